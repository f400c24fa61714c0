"""BlobStore behaviour, identical on a local folder and on S3 (moto server on loopback)."""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import boto3
import pytest

from tutela.storage.blobs import BlobStore, LocalStore, S3Store, open_blob_store
from tutela.storage.exceptions import (
    BlobNotFound,
    BlobStoreUnavailable,
    InvalidBlobKey,
    InvalidStoreUrl,
)

if TYPE_CHECKING:
    from mypy_boto3_s3.client import S3Client

    from tests.storage.moto_server import MotoServer


def _s3_client(moto: MotoServer) -> S3Client:
    return boto3.client(
        "s3",
        endpoint_url=moto.endpoint,
        region_name=moto.region,
        aws_access_key_id=moto.access_key_id,
        aws_secret_access_key=moto.secret_access_key,
    )


def _new_bucket(moto: MotoServer) -> str:
    bucket = f"tutela-{uuid.uuid4().hex[:16]}"
    _s3_client(moto).create_bucket(Bucket=bucket)
    return bucket


def _s3_store(moto: MotoServer, bucket: str, **overrides: object) -> S3Store:
    options: dict[str, object] = {
        "endpoint": moto.endpoint,
        "region": moto.region,
        "access_key_id": moto.access_key_id,
        "secret_access_key": moto.secret_access_key,
        "allow_http": True,
    }
    options.update(overrides)
    return S3Store(bucket, **options)  # type: ignore[arg-type]


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[BlobStore]:
    """The same tests run against each backend."""
    if request.param == "local":
        yield LocalStore(tmp_path / "blobs")
    else:
        moto: MotoServer = request.getfixturevalue("moto_server")
        yield _s3_store(moto, _new_bucket(moto), prefix="tenant-a")


# --------------------------------------------------------------------------- common behaviour


def test_store_implements_protocol(store: BlobStore) -> None:
    assert isinstance(store, BlobStore)
    assert "\n" not in store.describe()


def test_put_then_get_round_trips_bytes(store: BlobStore) -> None:
    payload = bytes(range(256)) * 10
    store.put("docs/v1/body.bin", payload)
    assert store.get("docs/v1/body.bin") == payload


def test_put_overwrites_and_accepts_empty_blob(store: BlobStore) -> None:
    store.put("a", b"first")
    store.put("a", b"")
    assert store.get("a") == b""


def test_get_missing_raises_blob_not_found_with_one_line_message(store: BlobStore) -> None:
    with pytest.raises(BlobNotFound, match="'nope/missing' not found") as info:
        store.get("nope/missing")
    assert "\n" not in str(info.value)


def test_get_below_a_blob_is_not_found(store: BlobStore) -> None:
    # Locally 'a/b' is a file so 'a/b/c' fails with ENOTDIR; S3 just has no such key.
    store.put("a/b", b"x")
    with pytest.raises(BlobNotFound):
        store.get("a/b/c")
    assert not store.exists("a/b/c")


def test_exists(store: BlobStore) -> None:
    store.put("dir/file", b"x")
    assert store.exists("dir/file")
    assert not store.exists("dir/other")
    assert not store.exists("dir")  # a "folder" is not a blob


def test_delete_is_idempotent(store: BlobStore) -> None:
    store.put("k", b"v")
    store.delete("k")
    store.delete("k")
    store.delete("never/existed")
    assert not store.exists("k")


def test_list_matches_whole_segments_and_is_sorted(store: BlobStore) -> None:
    for key in ["u1/b", "u1/a", "u1/deep/c", "u10/x", "u2/y"]:
        store.put(key, b".")
    assert store.list("u1") == ["u1/a", "u1/b", "u1/deep/c"]
    assert store.list("u1/") == ["u1/a", "u1/b", "u1/deep/c"]
    assert store.list("") == ["u1/a", "u1/b", "u1/deep/c", "u10/x", "u2/y"]
    assert store.list("absent") == []


def test_delete_prefix_removes_only_that_subtree(store: BlobStore) -> None:
    for key in ["org/1/a", "org/1/b/c", "org/10/a", "org/2/a"]:
        store.put(key, b".")
    assert store.delete_prefix("org/1") == 2
    assert store.list("") == ["org/10/a", "org/2/a"]
    assert store.delete_prefix("org/1") == 0


def test_delete_prefix_handles_more_than_one_batch(tmp_path: Path) -> None:
    # Local only: obstore already splits S3 DeleteObjects into 1000-key requests, and
    # 1005 PUTs against moto cost ~5 s.
    store = LocalStore(tmp_path)
    keys = [f"many/{i:04d}" for i in range(1005)]
    with ThreadPoolExecutor(max_workers=16) as pool:
        list(pool.map(lambda key: store.put(key, b""), keys))
    assert store.delete_prefix("many") == 1005
    assert store.list("many") == []


HOSTILE_KEYS = [
    "../etc/passwd",
    "a/../../b",
    "/etc/passwd",
    "a//b",
    "a/./b",
    "a/",
    "",
    ".",
    "..",
    ".hidden",
    "a\\..\\b",
    "a#1",
    "with space",
    "tab\tkey",
    "new\nline",
    "nul\x00byte",
    "é",
    "x" * 256,
    "/".join(["abcdefgh"] * 120),
]


@pytest.mark.parametrize("key", HOSTILE_KEYS)
def test_hostile_keys_are_rejected_by_every_operation(store: BlobStore, key: str) -> None:
    for operation in (
        lambda: store.put(key, b"x"),
        lambda: store.get(key),
        lambda: store.exists(key),
        lambda: store.delete(key),
    ):
        with pytest.raises(InvalidBlobKey) as info:
            operation()
        assert "\n" not in str(info.value)
    assert store.list("") == []


@pytest.mark.parametrize("prefix", ["../x", "/abs", "a//b", "a/..", "/"])
def test_hostile_prefixes_are_rejected(store: BlobStore, prefix: str) -> None:
    with pytest.raises(InvalidBlobKey):
        store.list(prefix)
    with pytest.raises(InvalidBlobKey):
        store.delete_prefix(prefix)


def test_invalid_key_is_a_value_error(store: BlobStore) -> None:
    with pytest.raises(ValueError, match=r"segment '\.\.' is not allowed"):
        store.put("../x", b"")


# ------------------------------------------------------------------------------ local only


def test_local_blobs_are_plain_files_under_the_root(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    store.put("a/b/c.bin", b"data")
    assert (tmp_path / "a" / "b" / "c.bin").read_bytes() == b"data"


def test_local_root_must_exist_when_create_is_false(tmp_path: Path) -> None:
    with pytest.raises(BlobStoreUnavailable, match="does not exist"):
        LocalStore(tmp_path / "missing", create=False)


def test_local_writes_are_atomic_for_concurrent_readers(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    old, new = b"o" * 2_000_000, b"n" * 2_000_000
    store.put("big", old)
    seen: set[tuple[bytes, int, int]] = set()
    stop = threading.Event()

    def read_repeatedly() -> None:
        while not stop.is_set():
            data = store.get("big")
            seen.add((data[:1], len(set(data)), len(data)))

    reader = threading.Thread(target=read_repeatedly)
    reader.start()
    try:
        for _ in range(10):
            store.put("big", new)
            store.put("big", old)
    finally:
        stop.set()
        reader.join()
    # Every read saw one complete version: a single distinct byte value, never a mix or a prefix.
    assert seen <= {(b"o", 1, 2_000_000), (b"n", 1, 2_000_000)}
    assert seen
    assert os.listdir(tmp_path) == ["big"]  # no staging files left behind


# --------------------------------------------------------------------------------- S3 only


def test_s3_prefix_scopes_keys_in_the_bucket(moto_server: MotoServer) -> None:
    bucket = _new_bucket(moto_server)
    store = _s3_store(moto_server, bucket, prefix="region/eu")
    store.put("doc/1", b"x")
    raw = _s3_client(moto_server).list_objects_v2(Bucket=bucket)
    assert [item["Key"] for item in raw.get("Contents", [])] == ["region/eu/doc/1"]
    assert store.list("") == ["doc/1"]


def test_s3_missing_bucket_is_unavailable_not_blob_not_found(moto_server: MotoServer) -> None:
    store = _s3_store(moto_server, f"absent-{uuid.uuid4().hex[:12]}")
    for operation in (lambda: store.put("k", b"v"), lambda: store.get("k"), lambda: store.list("")):
        with pytest.raises(BlobStoreUnavailable) as info:
            operation()
        assert "\n" not in str(info.value)
    with pytest.raises(BlobStoreUnavailable):
        store.delete("k")


def test_s3_unreachable_endpoint_fails_fast(unused_endpoint: str) -> None:
    store = S3Store(
        "bucket",
        endpoint=unused_endpoint,
        access_key_id="x",
        secret_access_key="y",
        allow_http=True,
        max_retries=0,
        timeout=timedelta(seconds=2),
    )
    with pytest.raises(BlobStoreUnavailable, match="unreachable") as info:
        store.get("k")
    assert "\n" not in str(info.value)


def test_s3_plain_http_endpoint_needs_allow_http() -> None:
    with pytest.raises(InvalidStoreUrl, match="allow_http"):
        S3Store("bucket", endpoint="http://127.0.0.1:9000")


@pytest.fixture
def unused_endpoint() -> str:
    """An http endpoint on loopback where nothing listens."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


# --------------------------------------------------------------------------------- factory


def test_open_file_url_and_plain_paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    by_url = open_blob_store(f"file://{tmp_path}/by-url")
    assert isinstance(by_url, LocalStore)
    assert by_url.root == tmp_path / "by-url"
    assert isinstance(open_blob_store(str(tmp_path / "plain")), LocalStore)
    monkeypatch.chdir(tmp_path)
    relative = open_blob_store("rel/dir")
    assert isinstance(relative, LocalStore)
    assert relative.root == tmp_path / "rel" / "dir"


def test_open_file_url_decodes_percent_escapes(tmp_path: Path) -> None:
    store = open_blob_store(f"file://{tmp_path}/with%20space")
    assert isinstance(store, LocalStore)
    assert store.root == tmp_path / "with space"


def test_open_s3_url_end_to_end(moto_server: MotoServer) -> None:
    bucket = _new_bucket(moto_server)
    store = open_blob_store(
        f"s3://{bucket}/some/prefix?endpoint={moto_server.endpoint}&region={moto_server.region}",
        access_key_id=moto_server.access_key_id,
        secret_access_key=moto_server.secret_access_key,
    )
    assert isinstance(store, S3Store)
    assert (store.bucket, store.prefix, store.region) == (bucket, "some/prefix", moto_server.region)
    store.put("k", b"v")
    assert _s3_client(moto_server).get_object(Bucket=bucket, Key="some/prefix/k")["Body"].read() == b"v"
    assert "testing-secret" not in store.describe()


def test_open_s3_url_reads_credentials_from_aws_environment(
    moto_server: MotoServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", moto_server.access_key_id)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", moto_server.secret_access_key)
    monkeypatch.setenv("AWS_REGION", moto_server.region)
    bucket = _new_bucket(moto_server)
    store = open_blob_store(f"s3://{bucket}?endpoint={moto_server.endpoint}")
    store.put("k", b"v")
    assert store.get("k") == b"v"


@pytest.mark.parametrize(
    "url",
    [
        "",
        "ftp://host/path",
        "s3://",
        "s3:///prefix",
        "s3://bucket?unknown=1",
        "s3://bucket?region=a&region=b",
        "s3://key:secret@bucket",
        "s3://bucket?endpoint=http://127.0.0.1:1&allow_http=maybe",
        "file://otherhost/data",
        "file:relative/path",
    ],
)
def test_bad_urls_raise_invalid_store_url(url: str) -> None:
    with pytest.raises(InvalidStoreUrl) as info:
        open_blob_store(url)
    assert "\n" not in str(info.value)
