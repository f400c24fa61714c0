"""Key managers: a local key file and AWS KMS (moto server mode, plus a tiny fake for raw KMS errors)."""

from __future__ import annotations

import base64
import functools
import json
import os
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING

import boto3
import pytest

from tutela.storage.crypto.keymanagers import (
    AwsKmsKeyManager,
    KeyManager,
    LocalKeyManager,
    canonical_context,
    open_key_manager,
)
from tutela.storage.exceptions import (
    InvalidCiphertext,
    InvalidKeySpec,
    KeyAccessDenied,
    KeyManagerError,
    KeyUnavailable,
)

if TYPE_CHECKING:
    from mypy_boto3_kms.client import KMSClient

    from tests.storage.moto_server import MotoServer

CONTEXT = {"org": "org_1", "scope": "documents", "dek": "k_42"}
DATA_KEY = bytes(range(32))


@functools.cache
def _kms(moto: MotoServer) -> KMSClient:
    return boto3.client(
        "kms",
        endpoint_url=moto.endpoint,
        region_name=moto.region,
        aws_access_key_id=moto.access_key_id,
        aws_secret_access_key=moto.secret_access_key,
    )


def _manager(moto: MotoServer, key_id: str, **overrides: object) -> AwsKmsKeyManager:
    options: dict[str, object] = {
        "region": moto.region,
        "endpoint_url": moto.endpoint,
        "access_key_id": moto.access_key_id,
        "secret_access_key": moto.secret_access_key,
    }
    options.update(overrides)
    return AwsKmsKeyManager(key_id, **options)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def kms_key(moto_server: MotoServer) -> str:
    """A shared symmetric KMS key's ARN, for tests that do not change its state."""
    # moto's CreateKey takes ~0.3 s, so keys are only made fresh where a test needs it.
    return _kms(moto_server).create_key(Description="tutela shared")["KeyMetadata"]["Arn"]


@pytest.fixture
def fresh_kms_key(moto_server: MotoServer) -> str:
    """A new symmetric KMS key's ARN, for tests that disable or delete it."""
    return _kms(moto_server).create_key(Description="tutela test")["KeyMetadata"]["Arn"]


def _bare_id(arn: str) -> str:
    # moto's disable_key/schedule_key_deletion crash (KeyError) when given an ARN.
    return arn.rsplit("/", 1)[-1]


@pytest.fixture
def key_file(tmp_path: Path) -> Path:
    """A freshly generated local key file."""
    path = tmp_path / "customer.key"
    LocalKeyManager.generate_key_file(path)
    return path


@pytest.fixture(params=["local", "aws-kms"])
def manager(request: pytest.FixtureRequest, key_file: Path) -> KeyManager:
    """The behaviour every backend shares."""
    if request.param == "local":
        return LocalKeyManager(key_file)
    moto: MotoServer = request.getfixturevalue("moto_server")
    return _manager(moto, request.getfixturevalue("kms_key"))


# --------------------------------------------------------------------------- common behaviour


def test_manager_implements_protocol(manager: KeyManager) -> None:
    assert isinstance(manager, KeyManager)
    assert "\n" not in manager.describe()


def test_round_trip(manager: KeyManager) -> None:
    wrapped = manager.wrap(DATA_KEY, context=CONTEXT)
    assert DATA_KEY not in wrapped
    assert manager.unwrap(wrapped, context=dict(reversed(CONTEXT.items()))) == DATA_KEY


def test_wrapping_is_randomised(manager: KeyManager) -> None:
    assert manager.wrap(DATA_KEY, context=CONTEXT) != manager.wrap(DATA_KEY, context=CONTEXT)


@pytest.mark.parametrize(
    "other",
    [
        {**CONTEXT, "org": "org_2"},
        {k: v for k, v in CONTEXT.items() if k != "dek"},
        {**CONTEXT, "x": "y"},
        {},
    ],
)
def test_wrong_context_is_invalid_ciphertext(manager: KeyManager, other: dict[str, str]) -> None:
    wrapped = manager.wrap(DATA_KEY, context=CONTEXT)
    with pytest.raises(InvalidCiphertext) as info:
        manager.unwrap(wrapped, context=other)
    assert "\n" not in str(info.value)


# Body and tag only: moto answers AccessDenied when the key id in its blob header is
# flipped (AWS says InvalidCiphertext); the local header has its own test below.
@pytest.mark.parametrize("position", [-1, -17, -30])
def test_tampered_ciphertext_is_invalid_ciphertext(manager: KeyManager, position: int) -> None:
    wrapped = bytearray(manager.wrap(DATA_KEY, context=CONTEXT))
    wrapped[position] ^= 0x01
    with pytest.raises(InvalidCiphertext):
        manager.unwrap(bytes(wrapped), context=CONTEXT)


def test_truncated_or_empty_ciphertext_is_invalid(manager: KeyManager) -> None:
    wrapped = manager.wrap(DATA_KEY, context=CONTEXT)
    for broken in (b"", wrapped[:10], wrapped[:-1]):
        with pytest.raises(InvalidCiphertext):
            manager.unwrap(broken, context=CONTEXT)


def test_plaintext_size_is_limited_like_kms(manager: KeyManager) -> None:
    with pytest.raises(ValueError, match=r"1\.\.4096"):
        manager.wrap(b"", context=CONTEXT)
    with pytest.raises(ValueError, match=r"1\.\.4096"):
        manager.wrap(b"x" * 4097, context=CONTEXT)


def test_context_must_be_strings(manager: KeyManager) -> None:
    with pytest.raises(TypeError):
        manager.wrap(DATA_KEY, context={"n": 1})  # type: ignore[dict-item]


# ------------------------------------------------------------------------------ local only


def test_canonical_context_is_order_independent_and_unicode_safe() -> None:
    assert canonical_context({"b": "2", "a": "é"}) == '{"a":"é","b":"2"}'.encode()
    assert canonical_context({"b": "2", "a": "1"}) == canonical_context({"a": "1", "b": "2"})


def test_local_key_file_formats(tmp_path: Path) -> None:
    raw = os.urandom(32)
    (tmp_path / "raw").write_bytes(raw)
    (tmp_path / "hex").write_text(raw.hex() + "\n")
    (tmp_path / "b64").write_text(base64.b64encode(raw).decode() + "\n")
    managers = [LocalKeyManager(tmp_path / name) for name in ("raw", "hex", "b64")]
    wrapped = managers[0].wrap(DATA_KEY, context=CONTEXT)
    assert all(m.unwrap(wrapped, context=CONTEXT) == DATA_KEY for m in managers)


def test_generated_key_file_is_private_and_never_overwritten(key_file: Path) -> None:
    assert key_file.stat().st_mode & 0o777 == 0o600
    with pytest.raises(KeyManagerError, match="refusing to overwrite"):
        LocalKeyManager.generate_key_file(key_file)


def test_local_missing_or_malformed_key_file_is_unavailable(tmp_path: Path) -> None:
    with pytest.raises(KeyUnavailable, match="does not exist"):
        LocalKeyManager(tmp_path / "absent")
    (tmp_path / "short").write_bytes(b"too short")
    with pytest.raises(KeyUnavailable, match="must hold 32 raw bytes"):
        LocalKeyManager(tmp_path / "short")


def test_local_other_key_is_reported_precisely(key_file: Path, tmp_path: Path) -> None:
    other = LocalKeyManager.generate_key_file(tmp_path / "other.key")
    wrapped = other.wrap(DATA_KEY, context=CONTEXT)
    with pytest.raises(InvalidCiphertext, match="was made by key"):
        LocalKeyManager(key_file).unwrap(wrapped, context=CONTEXT)


@pytest.mark.parametrize("position", [0, 1, 8, 9, 20])
def test_local_tampered_header_or_nonce_is_invalid_ciphertext(key_file: Path, position: int) -> None:
    manager = LocalKeyManager(key_file)
    wrapped = bytearray(manager.wrap(DATA_KEY, context=CONTEXT))
    wrapped[position] ^= 0x01
    with pytest.raises(InvalidCiphertext):
        manager.unwrap(bytes(wrapped), context=CONTEXT)


def test_local_describe_shows_fingerprint_not_key(key_file: Path) -> None:
    manager = LocalKeyManager(key_file)
    assert manager.fingerprint.hex() in manager.describe()
    assert key_file.read_text().strip() not in manager.describe()


# --------------------------------------------------------------------------- AWS KMS (moto)


def test_kms_wrap_binds_encryption_context(moto_server: MotoServer, kms_key: str) -> None:
    wrapped = _manager(moto_server, kms_key).wrap(DATA_KEY, context=CONTEXT)
    plain = _kms(moto_server).decrypt(CiphertextBlob=wrapped, EncryptionContext=CONTEXT)["Plaintext"]
    assert plain == DATA_KEY


def test_kms_disabled_key_is_unavailable(moto_server: MotoServer, fresh_kms_key: str) -> None:
    manager = _manager(moto_server, fresh_kms_key)
    wrapped = manager.wrap(DATA_KEY, context=CONTEXT)
    _kms(moto_server).disable_key(KeyId=_bare_id(fresh_kms_key))
    with pytest.raises(KeyUnavailable, match="state Disabled") as info:
        manager.unwrap(wrapped, context=CONTEXT)
    assert "\n" not in str(info.value)
    with pytest.raises(KeyUnavailable):
        manager.wrap(DATA_KEY, context=CONTEXT)
    _kms(moto_server).enable_key(KeyId=_bare_id(fresh_kms_key))
    assert manager.unwrap(wrapped, context=CONTEXT) == DATA_KEY


def test_kms_key_scheduled_for_deletion_is_unavailable(moto_server: MotoServer, fresh_kms_key: str) -> None:
    manager = _manager(moto_server, fresh_kms_key)
    wrapped = manager.wrap(DATA_KEY, context=CONTEXT)
    _kms(moto_server).schedule_key_deletion(KeyId=_bare_id(fresh_kms_key), PendingWindowInDays=7)
    with pytest.raises(KeyUnavailable, match="scheduled for deletion on"):
        manager.unwrap(wrapped, context=CONTEXT)


def test_kms_unknown_key_is_unavailable(moto_server: MotoServer) -> None:
    manager = _manager(moto_server, str(uuid.uuid4()))
    with pytest.raises(KeyUnavailable, match="NotFoundException"):
        manager.wrap(DATA_KEY, context=CONTEXT)


def test_kms_ciphertext_of_another_key_is_rejected(moto_server: MotoServer, kms_key: str) -> None:
    other = _kms(moto_server).create_key()["KeyMetadata"]["Arn"]
    wrapped = _manager(moto_server, other).wrap(DATA_KEY, context=CONTEXT)
    # AWS answers IncorrectKeyException (-> InvalidCiphertext); moto answers AccessDenied.
    with pytest.raises((InvalidCiphertext, KeyAccessDenied)):
        _manager(moto_server, kms_key).unwrap(wrapped, context=CONTEXT)


def test_kms_alias_works(moto_server: MotoServer, kms_key: str) -> None:
    alias = f"alias/tutela-{uuid.uuid4().hex[:8]}"
    _kms(moto_server).create_alias(AliasName=alias, TargetKeyId=kms_key)
    manager = _manager(moto_server, alias)
    assert manager.unwrap(manager.wrap(DATA_KEY, context=CONTEXT), context=CONTEXT) == DATA_KEY


def test_kms_unreachable_endpoint_is_unavailable(unused_endpoint: str) -> None:
    manager = AwsKmsKeyManager(
        str(uuid.uuid4()),
        region="eu-west-3",
        endpoint_url=unused_endpoint,
        access_key_id="x",
        secret_access_key="y",
        max_attempts=1,
        timeout_seconds=2,
    )
    with pytest.raises(KeyUnavailable, match="unreachable") as info:
        manager.wrap(DATA_KEY, context=CONTEXT)
    assert "\n" not in str(info.value)


# ------------------------------------------ raw KMS error codes, as real AWS returns them

# moto ignores key state in Encrypt/Decrypt, so this loopback fake answers with the
# error bodies AWS sends; it exercises botocore's real parsing and our translation.


class _KmsErrorHandler(BaseHTTPRequestHandler):
    error_code = "DisabledException"

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        body = json.dumps({"__type": self.server.error_code, "message": "from fake KMS"}).encode()  # type: ignore[attr-defined]
        self.send_response(400)
        self.send_header("Content-Type", "application/x-amz-json-1.1")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.fixture
def fake_kms() -> Iterator[ThreadingHTTPServer]:
    """An HTTP server on loopback that answers every KMS call with a chosen error code."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _KmsErrorHandler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    thread.join()


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("DisabledException", KeyUnavailable),
        ("KMSInvalidStateException", KeyUnavailable),
        ("NotFoundException", KeyUnavailable),
        ("KeyUnavailableException", KeyUnavailable),
        ("AccessDeniedException", KeyAccessDenied),
        ("UnrecognizedClientException", KeyAccessDenied),
        ("InvalidCiphertextException", InvalidCiphertext),
        ("IncorrectKeyException", InvalidCiphertext),
        ("SomethingNewException", KeyManagerError),
    ],
)
def test_kms_error_codes_translate(
    fake_kms: ThreadingHTTPServer, code: str, expected: type[KeyManagerError]
) -> None:
    fake_kms.error_code = code  # type: ignore[attr-defined]
    host, port = fake_kms.server_address[:2]
    manager = AwsKmsKeyManager(
        "arn:aws:kms:eu-west-3:111122223333:key/abc",
        endpoint_url=f"http://{host!s}:{port}",
        access_key_id="x",
        secret_access_key="y",
        check_key_state=False,
        max_attempts=1,
    )
    assert manager.region == "eu-west-3"  # taken from the ARN
    with pytest.raises(expected) as info:
        manager.unwrap(b"opaque", context=CONTEXT)
    assert type(info.value) is expected
    assert "\n" not in str(info.value)


# --------------------------------------------------------------------------------- factory


def test_open_local_spec(key_file: Path) -> None:
    manager = open_key_manager(f"local:{key_file}")
    assert isinstance(manager, LocalKeyManager)
    assert manager.key_path == key_file


def test_open_aws_kms_spec(moto_server: MotoServer, kms_key: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", moto_server.access_key_id)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", moto_server.secret_access_key)
    manager = open_key_manager(
        f"aws-kms:{kms_key}?region={moto_server.region}&endpoint={moto_server.endpoint}"
    )
    assert isinstance(manager, AwsKmsKeyManager)
    assert (manager.key_id, manager.region, manager.endpoint_url) == (
        kms_key,
        moto_server.region,
        moto_server.endpoint,
    )
    assert manager.unwrap(manager.wrap(DATA_KEY, context=CONTEXT), context=CONTEXT) == DATA_KEY


@pytest.mark.parametrize(
    "spec",
    [
        "",
        "nocolon",
        "vault:secret/key",
        "local:relative/key",
        "aws-kms:",
        "aws-kms:?region=eu-west-3",
        "aws-kms:key?colour=blue",
        "aws-kms:key?region=eu-west-3&check_state=maybe",
    ],
)
def test_bad_specs_raise_invalid_key_spec(spec: str) -> None:
    with pytest.raises(InvalidKeySpec) as info:
        open_key_manager(spec)
    assert "\n" not in str(info.value)


@pytest.fixture
def unused_endpoint() -> str:
    """An http endpoint on loopback where nothing listens."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"
