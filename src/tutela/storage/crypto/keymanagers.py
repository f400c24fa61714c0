"""Customer-managed keys used as a second wrapping layer for data keys (local file or AWS KMS)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import re
import secrets
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable
from urllib.parse import parse_qs

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    EndpointConnectionError,
    NoCredentialsError,
    PartialCredentialsError,
)
from botocore.exceptions import ConnectionError as BotoConnectionError
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from tutela.storage.exceptions import (
    InvalidCiphertext,
    InvalidKeySpec,
    KeyAccessDenied,
    KeyManagerError,
    KeyUnavailable,
)

if TYPE_CHECKING:
    from mypy_boto3_kms.client import KMSClient

KEY_BYTES = 32
NONCE_BYTES = 12
# KMS Encrypt refuses more; applied to every backend so they stay interchangeable.
MAX_PLAINTEXT_BYTES = 4096
_LOCAL_VERSION = b"\x01"
_FINGERPRINT_BYTES = 8
_LOCAL_HEADER_BYTES = len(_LOCAL_VERSION) + _FINGERPRINT_BYTES
_HEX_KEY = re.compile(r"[0-9a-fA-F]{64}")


@runtime_checkable
class KeyManager(Protocol):
    """A customer-managed key that wraps and unwraps small secrets (data keys)."""

    def wrap(self, plaintext: bytes, *, context: dict[str, str]) -> bytes:
        """Encrypt `plaintext`, binding `context`; the same context is needed to unwrap."""
        ...

    def unwrap(self, ciphertext: bytes, *, context: dict[str, str]) -> bytes:
        """Decrypt what `wrap` produced under the same context."""
        ...

    def describe(self) -> str:
        """Return a one-line, secret-free description of the key."""
        ...


def canonical_context(context: dict[str, str]) -> bytes:
    """Serialise an encryption context deterministically (sorted keys, compact UTF-8 JSON)."""
    if not isinstance(context, dict):
        raise TypeError(f"context must be a dict[str, str], got {type(context).__name__}")
    for name, value in context.items():
        if not isinstance(name, str) or not isinstance(value, str):
            raise TypeError(f"context entries must be str -> str, got {name!r}: {type(value).__name__}")
    return json.dumps(context, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _check_plaintext(plaintext: bytes) -> None:
    if not isinstance(plaintext, bytes | bytearray):
        raise TypeError(f"plaintext must be bytes, got {type(plaintext).__name__}")
    if not 1 <= len(plaintext) <= MAX_PLAINTEXT_BYTES:
        raise ValueError(f"plaintext must be 1..{MAX_PLAINTEXT_BYTES} bytes, got {len(plaintext)}")


# --------------------------------------------------------------------------- local key file


class LocalKeyManager:
    """AES-256-GCM under a 32-byte key read from a file; context is bound as associated data.

    The key file holds 32 raw bytes, 64 hex characters, or base64 of 32 bytes.
    Wrapped format: version (1) | key fingerprint (8) | nonce (12) | ciphertext+tag.
    """

    def __init__(self, key_path: str | Path) -> None:
        self.key_path = Path(key_path).expanduser()
        key = _read_key_file(self.key_path)
        self._aead = AESGCM(key)
        self.fingerprint = hashlib.sha256(b"tutela-local-key\x00" + key).digest()[:_FINGERPRINT_BYTES]

    @classmethod
    def generate_key_file(cls, key_path: str | Path) -> LocalKeyManager:
        """Create a new random key file (mode 0600, never overwriting) and open it."""
        path = Path(key_path).expanduser()
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError as exc:
            raise KeyManagerError(f"refusing to overwrite existing key file {path}") from exc
        except OSError as exc:
            raise KeyUnavailable(f"cannot create key file {path}: {exc.strerror}") from exc
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(secrets.token_hex(KEY_BYTES) + "\n")
        return cls(path)

    def describe(self) -> str:
        """Return a one-line description (path and key fingerprint, never the key)."""
        return f"local key file {self.key_path} (fingerprint {self.fingerprint.hex()})"

    def wrap(self, plaintext: bytes, *, context: dict[str, str]) -> bytes:
        """Encrypt `plaintext` with AES-256-GCM, binding `context` as associated data."""
        _check_plaintext(plaintext)
        header = _LOCAL_VERSION + self.fingerprint
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, bytes(plaintext), header + canonical_context(context))
        return header + nonce + sealed

    def unwrap(self, ciphertext: bytes, *, context: dict[str, str]) -> bytes:
        """Decrypt a `wrap` result; raise InvalidCiphertext on tampering or context mismatch."""
        aad_context = canonical_context(context)
        if len(ciphertext) < _LOCAL_HEADER_BYTES + NONCE_BYTES + 16:
            raise InvalidCiphertext(
                f"wrapped key is {len(ciphertext)} bytes, too short for {self.describe()}"
            )
        version = ciphertext[:1]
        if version != _LOCAL_VERSION:
            raise InvalidCiphertext(f"wrapped key has unknown format version {version.hex()}")
        fingerprint = ciphertext[1:_LOCAL_HEADER_BYTES]
        if fingerprint != self.fingerprint:
            raise InvalidCiphertext(
                f"wrapped key was made by key {fingerprint.hex()}, not by {self.describe()}"
            )
        nonce = ciphertext[_LOCAL_HEADER_BYTES : _LOCAL_HEADER_BYTES + NONCE_BYTES]
        sealed = ciphertext[_LOCAL_HEADER_BYTES + NONCE_BYTES :]
        try:
            return self._aead.decrypt(nonce, sealed, ciphertext[:_LOCAL_HEADER_BYTES] + aad_context)
        except InvalidTag as exc:
            raise InvalidCiphertext(
                f"wrapped key failed authentication under {self.describe()} (tampered, or wrong context)"
            ) from exc


def _read_key_file(path: Path) -> bytes:
    try:
        raw = path.read_bytes()
    except FileNotFoundError as exc:
        raise KeyUnavailable(f"key file {path} does not exist") from exc
    except PermissionError as exc:
        raise KeyAccessDenied(f"key file {path} is not readable by this process") from exc
    except OSError as exc:
        raise KeyUnavailable(f"cannot read key file {path}: {exc.strerror}") from exc
    if len(raw) == KEY_BYTES:
        return raw
    text = raw.strip()
    if _HEX_KEY.fullmatch(text.decode("ascii", errors="replace")):
        return bytes.fromhex(text.decode("ascii"))
    try:
        decoded = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        decoded = b""
    if len(decoded) == KEY_BYTES:
        return decoded
    raise KeyUnavailable(
        f"key file {path} must hold 32 raw bytes, 64 hex characters or base64 of 32 bytes"
        f" (found {len(raw)} bytes)"
    )


# --------------------------------------------------------------------------------- AWS KMS

# KMS error codes -> our error classes. Anything else becomes a plain KeyManagerError.
_KMS_UNAVAILABLE = frozenset(
    {
        "DisabledException",
        "KMSInvalidStateException",
        "NotFoundException",
        "KeyUnavailableException",
        "DependencyTimeoutException",
        "KMSInternalException",
        "ThrottlingException",
        "LimitExceededException",
        "CustomKeyStoreInvalidStateException",
    }
)
_KMS_DENIED = frozenset(
    {
        "AccessDeniedException",
        "UnrecognizedClientException",
        "InvalidSignatureException",
        "ExpiredTokenException",
        "InvalidClientTokenId",
        "SignatureDoesNotMatch",
        "DryRunOperationException",
    }
)
_KMS_BAD_CIPHERTEXT = frozenset({"InvalidCiphertextException", "IncorrectKeyException"})
_USABLE_STATES = frozenset({"Enabled"})


class AwsKmsKeyManager:
    """Wraps with AWS KMS `Encrypt`/`Decrypt`, passing the context as `EncryptionContext`.

    With `check_key_state` (the default) every call first asks `DescribeKey` for the key
    state. AWS enforces the state itself, but the check yields a precise reason (disabled
    vs. pending deletion and when) and makes emulators that ignore key state (moto) behave
    like AWS. It costs one extra request and the `kms:DescribeKey` permission.
    """

    def __init__(
        self,
        key_id: str,
        *,
        region: str | None = None,
        endpoint_url: str | None = None,
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
        session_token: str | None = None,
        check_key_state: bool = True,
        max_attempts: int = 3,
        timeout_seconds: float = 10.0,
        client: KMSClient | None = None,
    ) -> None:
        if not key_id:
            raise InvalidKeySpec("AWS KMS key id must not be empty")
        self.key_id = key_id
        self.region = region or _region_from_arn(key_id)
        self.endpoint_url = endpoint_url
        self.check_key_state = check_key_state
        self._client = client or _make_kms_client(
            region=self.region,
            endpoint_url=endpoint_url,
            access_key_id=access_key_id,
            secret_access_key=secret_access_key,
            session_token=session_token,
            max_attempts=max_attempts,
            timeout_seconds=timeout_seconds,
        )

    def describe(self) -> str:
        """Return a one-line description of the key (id, region, custom endpoint)."""
        region = self.region or self._client.meta.region_name
        where = f" via {self.endpoint_url}" if self.endpoint_url else ""
        return f"AWS KMS key {self.key_id} in {region}{where}"

    def check(self) -> None:
        """Raise KeyUnavailable/KeyAccessDenied unless the key exists and is enabled."""
        try:
            metadata = self._client.describe_key(KeyId=self.key_id)["KeyMetadata"]
        except (ClientError, BotoCoreError) as exc:
            raise self._translate(exc, "DescribeKey") from exc
        state = metadata.get("KeyState", "Enabled" if metadata.get("Enabled") else "Disabled")
        if state in _USABLE_STATES:
            return
        if state == "PendingDeletion":
            when = metadata.get("DeletionDate")
            suffix = f" on {when:%Y-%m-%d}" if when is not None else ""
            raise KeyUnavailable(
                f"{self.describe()} is scheduled for deletion{suffix}; cancel it to restore access"
            )
        raise KeyUnavailable(f"{self.describe()} is not usable (state {state})")

    def wrap(self, plaintext: bytes, *, context: dict[str, str]) -> bytes:
        """Encrypt `plaintext` with KMS under this key and `context`."""
        _check_plaintext(plaintext)
        canonical_context(context)  # validates types before any network call
        if self.check_key_state:
            self.check()
        try:
            response = self._client.encrypt(
                KeyId=self.key_id, Plaintext=bytes(plaintext), EncryptionContext=context
            )
        except (ClientError, BotoCoreError) as exc:
            raise self._translate(exc, "Encrypt") from exc
        return response["CiphertextBlob"]

    def unwrap(self, ciphertext: bytes, *, context: dict[str, str]) -> bytes:
        """Decrypt with KMS; raise InvalidCiphertext on tampering, wrong key or wrong context."""
        canonical_context(context)
        if not ciphertext:
            raise InvalidCiphertext(f"wrapped key is empty, cannot unwrap with {self.describe()}")
        if self.check_key_state:
            self.check()
        try:
            # Naming the key stops KMS from decrypting with whatever key the blob names.
            response = self._client.decrypt(
                CiphertextBlob=bytes(ciphertext), EncryptionContext=context, KeyId=self.key_id
            )
        except (ClientError, BotoCoreError) as exc:
            raise self._translate(exc, "Decrypt") from exc
        return response["Plaintext"]

    def _translate(self, exc: ClientError | BotoCoreError, operation: str) -> KeyManagerError:
        """Map a botocore error to one of our one-line key errors."""
        key = self.describe()
        if isinstance(exc, ClientError):
            error: Any = exc.response.get("Error", {})
            code = str(error.get("Code", "Unknown"))
            message = " ".join(str(error.get("Message", "")).split())
            detail = f"{operation} failed for {key}: {code}: {message}".rstrip(": ")
            if code in _KMS_BAD_CIPHERTEXT:
                return InvalidCiphertext(
                    f"{operation} rejected the wrapped key for {key} (tampered, other key, or wrong context)"
                )
            if code in _KMS_DENIED:
                hint = " (grant kms:DescribeKey or disable check_state)" if operation == "DescribeKey" else ""
                return KeyAccessDenied(detail + hint)
            if code in _KMS_UNAVAILABLE:
                return KeyUnavailable(detail)
            return KeyManagerError(detail)
        if isinstance(exc, NoCredentialsError | PartialCredentialsError):
            return KeyAccessDenied(f"{operation} for {key}: no usable AWS credentials ({exc})")
        if isinstance(exc, EndpointConnectionError | BotoConnectionError):
            return KeyUnavailable(f"{operation} for {key}: KMS endpoint unreachable ({exc})")
        return KeyUnavailable(f"{operation} for {key} failed: {exc}")


def _region_from_arn(key_id: str) -> str | None:
    # arn:aws:kms:<region>:<account>:key/<id> carries its own region.
    parts = key_id.split(":")
    if len(parts) >= 6 and parts[0] == "arn" and parts[2] == "kms" and parts[3]:
        return parts[3]
    return None


def _make_kms_client(
    *,
    region: str | None,
    endpoint_url: str | None,
    access_key_id: str | None,
    secret_access_key: str | None,
    session_token: str | None,
    max_attempts: int,
    timeout_seconds: float,
) -> KMSClient:
    # Imported lazily: boto3 takes a noticeable time to import and local-key setups never need it.
    import boto3
    from botocore.config import Config

    if (access_key_id is None) != (secret_access_key is None):
        raise InvalidKeySpec("pass both access_key_id and secret_access_key, or neither")
    config = Config(
        retries={"max_attempts": max_attempts, "mode": "standard"},
        connect_timeout=timeout_seconds,
        read_timeout=timeout_seconds,
    )
    try:
        session = boto3.session.Session(
            aws_access_key_id=access_key_id,
            aws_secret_access_key=secret_access_key,
            aws_session_token=session_token,
            region_name=region,
        )
        return session.client("kms", endpoint_url=endpoint_url, config=config)
    except BotoCoreError as exc:
        # e.g. NoRegionError: no region argument, none in the ARN, none in the environment.
        raise InvalidKeySpec(f"cannot configure AWS KMS client: {exc}") from exc


# --------------------------------------------------------------------------------- factory

_AWS_QUERY_KEYS = frozenset({"region", "endpoint", "check_state"})


def open_key_manager(spec: str) -> KeyManager:
    """Open `local:/path/to/key` or `aws-kms:<arn|id|alias>?region=..&endpoint=..`.

    AWS credentials come from the standard environment/instance chain, never the spec.
    """
    if not isinstance(spec, str) or not spec.strip():
        raise InvalidKeySpec("key manager spec is empty")
    scheme, sep, rest = spec.partition(":")
    if not sep:
        raise InvalidKeySpec(f"key manager spec {spec!r} has no scheme (use local:/path or aws-kms:<key>)")
    if scheme == "local":
        path = rest.removeprefix("//")
        if not path.startswith("/"):
            raise InvalidKeySpec(f"local key spec {spec!r} must hold an absolute path (local:/path/to/key)")
        return LocalKeyManager(path)
    if scheme == "aws-kms":
        key_id, _, query_text = rest.partition("?")
        if not key_id:
            raise InvalidKeySpec(f"AWS KMS spec {spec!r} names no key (aws-kms:<arn|id|alias>)")
        query: dict[str, str] = {}
        for name, values in parse_qs(query_text, keep_blank_values=True).items():
            if name not in _AWS_QUERY_KEYS:
                allowed = ", ".join(sorted(_AWS_QUERY_KEYS))
                raise InvalidKeySpec(f"AWS KMS spec parameter {name!r} is not supported (allowed: {allowed})")
            query[name] = values[-1]
        check = query.get("check_state", "true").lower()
        if check not in {"true", "false"}:
            raise InvalidKeySpec(f"AWS KMS spec check_state must be true or false, got {check!r}")
        return AwsKmsKeyManager(
            key_id,
            region=query.get("region") or None,
            endpoint_url=query.get("endpoint") or None,
            check_key_state=check == "true",
        )
    raise InvalidKeySpec(f"unknown key manager scheme {scheme!r} in {spec!r} (use local: or aws-kms:)")
