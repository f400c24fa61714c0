"""`/v1/files` through the `openai` package (and `AzureOpenAI`): upload, list, retrieve, content, delete;
validation naming the line; isolation between resources and tenants; sealed bytes whose deletion defeats a
backup, checked on raw storage; SQLite and PostgreSQL."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import openai
import pytest

from tests.authoring.api.support import assert_destroyed, raw_objects
from tests.gateway.monitoring.support import Org, new_org
from tests.support.platform import Platform
from tutela.core.organizations.models import Organization
from tutela.gateway.resources import service as resources
from tutela.storage.crypto.exceptions import DataKeyDestroyed
from tutela.storage.crypto.keymanagers import LocalKeyManager
from tutela.storage.crypto.models import DataKey

API_VERSION = "2024-10-21"
CANARY = "The onboarding checklist lives in the blue binder"


def _examples(n: int, *, canary: str = CANARY) -> bytes:
    lines = [
        {
            "messages": [
                {"role": "system", "content": "You answer HR questions."},
                {"role": "user", "content": f"Where is checklist {i}?"},
                {"role": "assistant", "content": f"{canary}, page {i}."},
            ]
        }
        for i in range(n)
    ]
    return "\n".join(json.dumps(line) for line in lines).encode()


@pytest.fixture(scope="module")
def org(platform: Platform) -> Org:
    return new_org(platform, "files")


def _client(platform: Platform, key: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{platform.base_url}/v1", api_key=key, max_retries=0)


def _object_id(platform: Platform, org: Org, file_id: str) -> str:
    from sqlalchemy import text

    with platform.runtime.region_of(org.id).db.engine.connect() as conn:
        found: str = conn.execute(
            text("SELECT object_id FROM gateway_files WHERE id = :id"), {"id": file_id.removeprefix("file-")}
        ).scalar_one()
        return found


def test_upload_list_retrieve_content_delete(platform: Platform, org: Org, tmp_path: Path) -> None:
    client = _client(platform, org.key)
    data = _examples(10)
    created = client.files.create(file=("train.jsonl", data), purpose="fine-tune")
    assert created.object == "file" and created.id.startswith("file-")
    assert (created.filename, created.bytes, created.purpose) == ("train.jsonl", len(data), "fine-tune")
    assert created.id in [f.id for f in client.files.list()]
    assert [f.id for f in client.files.list(purpose="batch")] == []
    assert client.files.retrieve(created.id).bytes == len(data)
    assert client.files.content(created.id).content == data

    # Raw storage: the blob is sealed (no plaintext), under a key of its own.
    (raw,) = raw_objects(platform, org.id, [_object_id(platform, org, created.id)])
    assert CANARY.encode() not in raw.blob.read_bytes()
    backup = tmp_path / "backup.blob"
    shutil.copyfile(raw.blob, backup)  # a backup of the region's blob store, taken before the deletion

    deleted = client.files.delete(created.id)
    assert deleted.deleted is True and deleted.id == created.id
    assert_destroyed(platform, org.id, [raw])
    region = platform.runtime.region_of(org.id)
    with region.keys_db.session() as kdb, pytest.raises(DataKeyDestroyed):
        platform.runtime.keys.get(kdb, raw.key_id, org_id=org.id)  # the backup's bytes stay sealed forever
    assert CANARY.encode() not in backup.read_bytes()
    with pytest.raises(openai.NotFoundError):
        client.files.retrieve(created.id)
    with pytest.raises(openai.NotFoundError):
        client.files.content(created.id)


def test_azure_client_and_purposes(platform: Platform, org: Org) -> None:
    client = openai.AzureOpenAI(
        azure_endpoint=platform.base_url, api_key=org.key, api_version=API_VERSION, max_retries=0
    )
    batch = b'{"custom_id": "a", "method": "POST", "url": "/v1/chat/completions", "body": {}}\n'
    made = client.files.create(file=("batch.jsonl", batch), purpose="batch")
    assert made.purpose == "batch" and client.files.retrieve(made.id).filename == "batch.jsonl"
    notes = client.files.create(file=("notes.pdf", b"%PDF-1.4 anything"), purpose="assistants")
    assert {f.id for f in client.files.list()} >= {made.id, notes.id}
    client.files.delete(made.id)
    client.files.delete(notes.id)


@pytest.mark.parametrize(
    ("purpose", "data", "param", "words"),
    [
        ("fine-tune", _examples(9), "file", "at least 10 examples"),
        ("fine-tune", _examples(3) + b"\n{not json\n" + _examples(8), "file", "Line 4"),
        (
            "fine-tune",
            _examples(1) + b'\n{"messages": [{"role": "wizard", "content": "x"}]}\n' + _examples(9),
            "file",
            "Line 2: messages[0] has an invalid role 'wizard'",
        ),
        ("fine-tune", b'{"messages": [{"role": "user", "content": "x"}]}\n' * 10, "file", "Line 1: "),
        ("batch", b'{"custom_id": "a", "method": "GET", "url": "/v1/x", "body": {}}\n', "file", "Line 1"),
        ("fine-tune", b"", "file", "empty"),
        ("training", _examples(10), "purpose", "Invalid purpose"),
    ],
)
def test_files_a_purpose_cannot_use_are_refused_naming_the_line(
    platform: Platform, org: Org, purpose: str, data: bytes, param: str, words: str
) -> None:
    client = _client(platform, org.key)
    before = {f.id for f in client.files.list()}
    with pytest.raises(openai.BadRequestError) as caught:
        client.files.create(file=("x.jsonl", data), purpose=purpose)  # type: ignore[arg-type]
    body: Any = caught.value.body
    assert body["param"] == param and words in body["message"], body
    assert {f.id for f in client.files.list()} == before


def test_another_resource_or_tenant_sees_no_file(platform: Platform, org: Org) -> None:
    made = _client(platform, org.key).files.create(file=("t.jsonl", _examples(10)), purpose="fine-tune")
    with platform.runtime.region_session(org.id) as db:
        other = resources.create_resource(db, org_id=org.id, name="files-other")
        _, other_key = resources.create_key(db, org_id=org.id, resource_id=other.id, name="k")
    for key in (other_key, new_org(platform, "files-stranger").key):
        client = _client(platform, key)
        assert made.id not in [f.id for f in client.files.list()]
        for call in (client.files.retrieve, client.files.content, client.files.delete):
            with pytest.raises(openai.NotFoundError):
                call(made.id)
    assert _client(platform, org.key).files.retrieve(made.id).id == made.id


def test_malformed_uploads_are_a_400(platform: Platform, org: Org) -> None:
    with platform.client(org.key) as http:
        no_file = http.post("/v1/files", data={"purpose": "fine-tune"})
        no_purpose = http.post("/v1/files", files={"file": ("a.jsonl", _examples(10))})
        broken = http.post(
            "/v1/files",
            content=b'--xx\r\nContent-Disposition: form-data; name="file"\r\n\r\nabc',
            headers={"content-type": "multipart/form-data; boundary=xx"},
        )
    assert (no_file.status_code, no_file.json()["error"]["param"]) == (400, "file")
    assert (no_purpose.status_code, no_purpose.json()["error"]["param"]) == (400, "purpose")
    assert broken.status_code == 400, broken.text


def test_the_organizations_own_key_is_a_second_layer(platform: Platform, tmp_path: Path) -> None:
    org = new_org(platform, "files-cmk")
    key_path = tmp_path / "customer.key"
    LocalKeyManager.generate_key_file(key_path)
    spec = f"local:{key_path}"
    with platform.runtime.region_session(org.id) as db:
        row = db.get(Organization, org.id)
        assert row is not None
        row.customer_key_spec = spec
    client = _client(platform, org.key)
    made = client.files.create(file=("t.jsonl", _examples(10)), purpose="fine-tune")
    (raw,) = raw_objects(platform, org.id, [_object_id(platform, org, made.id)])
    with platform.runtime.region_of(org.id).keys_db.session() as kdb:
        key = kdb.get(DataKey, raw.key_id)
        assert key is not None and key.customer_key == spec
    moved = tmp_path / "customer.key.away"
    key_path.rename(moved)  # the organization withdraws its key: nobody can read the file, not even Tutela
    with pytest.raises(openai.APIStatusError) as caught:
        client.files.content(made.id)
    assert caught.value.status_code >= 500
    moved.rename(key_path)
    assert client.files.content(made.id).content == _examples(10)
