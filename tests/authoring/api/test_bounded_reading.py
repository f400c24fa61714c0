"""Bounded resources over real HTTP: documents are read through a bounded pool of sandboxed children (extra
uploads wait in line, then get 503 with Retry-After), and every route has its own body limit."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.authoring.api.support import PDFS, Org, new_org
from tests.authoring.ingest.conftest import build_text_pdf
from tests.support.platform import Platform, running_platform
from tutela.authoring.ingest.sandbox import parse_pool
from tutela.config import ServerSettings

_MB = 1024 * 1024
MEMORY = 512 * _MB


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    with running_platform("sqlite", tmp_path_factory.mktemp("bounded")) as running:
        yield running


@pytest.fixture(scope="module")
def org(platform: Platform) -> Org:
    return new_org(platform, "Bounded")


def _reading_children() -> list[int]:
    """Resident bytes of each sandboxed PDF reader that is a child of this process, from /proc."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        if b"tutela.authoring.ingest.worker" in cmdline and int(fields["PPid"]) == os.getpid():
            found.append(int(fields.get("VmRSS", "0 kB").split()[0]) * 1024)
    return found


def _upload(platform: Platform, token: str, name: str, data: bytes) -> httpx.Response:
    with platform.client(token) as client:
        return client.post("/api/documents", files={"file": (name, data, "application/pdf")}, timeout=300)


def test_uploads_are_read_one_at_a_time_and_the_overflow_gets_503(
    platform: Platform, org: Org, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TUTELA_AUTHORING__PARSE_CONCURRENCY", "1")
    monkeypatch.setenv("TUTELA_AUTHORING__PARSE_QUEUE", "1")
    monkeypatch.setenv("TUTELA_AUTHORING__PARSE_MEMORY_BYTES", str(MEMORY))
    pool = parse_pool(1, 1, 120.0)  # the pool those settings select, shared with the server's threads
    bomb = build_text_pdf(["Hello"], padding=900 * _MB)  # ~1 MB on disk, far more than MEMORY inflated
    slow = (PDFS / "real" / "GeoTopo-komprimiert.pdf").read_bytes()  # 117 pages: seconds to read

    peaks = {"children": 0, "rss": 0}
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            children = _reading_children()
            peaks["children"] = max(peaks["children"], len(children))
            peaks["rss"] = max(peaks["rss"], sum(children))
            time.sleep(0.01)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    with ThreadPoolExecutor(max_workers=3) as executor:
        first = executor.submit(_upload, platform, org.author, "geotopo.pdf", slow)
        _until(lambda: pool.running == 1, "the first upload to be read")
        second = executor.submit(_upload, platform, org.author, "bomb-1.pdf", bomb)
        _until(lambda: pool.waiting == 1, "the second upload to wait in line")
        refused = _upload(platform, org.author, "bomb-2.pdf", bomb)  # the line is full
        answers = [first.result(timeout=300), second.result(timeout=300)]
    done.set()
    sampler.join(timeout=10)

    assert refused.status_code == 503, refused.text
    assert int(refused.headers["retry-after"]) >= 1
    assert refused.json()["error"]["code"] == "busy"
    assert refused.json()["error"]["type"] == "service_unavailable_error"
    assert answers[0].status_code == 201, answers[0].text
    assert answers[1].status_code == 422, answers[1].text
    assert answers[1].json()["error"]["code"] == "memory"
    assert "more than 512 MB" in answers[1].json()["error"]["message"]
    assert peaks["children"] == 1, peaks  # never two readers at once
    assert 0 < peaks["rss"] <= MEMORY, peaks
    assert (pool.running, pool.waiting) == (0, 0)
    # The line empties: the next upload is read again.
    assert _upload(platform, org.author, "again.pdf", slow).status_code == 201


def _until(condition: object, what: str, timeout: float = 60) -> None:
    assert callable(condition)
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.005)


def _assert_too_large(response: httpx.Response, limit: int) -> None:
    assert response.status_code == 413, response.text
    error = response.json()["error"]
    assert error["code"] == "payload_too_large"
    assert error["type"] == "invalid_request_error"
    assert str(limit) in error["message"]
    assert response.headers["x-request-id"].startswith("req_")


def test_sign_in_and_other_json_routes_refuse_big_bodies_before_reading_them(
    platform: Platform, org: Org
) -> None:
    limit = ServerSettings().max_json_body_bytes
    big = b'{"organization": "x", "email": "a@example.com", "password": "' + b"p" * (3 * _MB) + b'"}'
    headers = {"content-type": "application/json"}
    with platform.client() as client:
        _assert_too_large(client.post("/api/auth/login", content=big, headers=headers), limit)

        def chunks() -> Iterator[bytes]:  # no Content-Length: counted while it streams in
            for start in range(0, len(big), 64 * 1024):
                yield big[start : start + 64 * 1024]

        _assert_too_large(client.post("/api/auth/login", content=chunks(), headers=headers), limit)
        form = {"organization": "x", "email": "a@example.com", "password": "p" * (3 * _MB)}
        _assert_too_large(client.post("/login", data=form), limit)
    with platform.client(org.admin) as client:
        _assert_too_large(client.post("/api/groups", content=big, headers=headers), limit)


def test_the_upload_route_alone_takes_large_bodies(platform: Platform, org: Org) -> None:
    not_a_pdf = b"this is not a PDF " * (3 * _MB // 18)  # over the JSON limit, under the upload limit
    refused = _upload(platform, org.author, "notes.txt", not_a_pdf)
    assert refused.status_code == 400, refused.text  # read, then refused for what it is
    assert refused.json()["error"]["code"] == "unsupported_file"
