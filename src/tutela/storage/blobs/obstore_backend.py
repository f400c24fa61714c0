"""Shared `BlobStore` implementation on top of an obstore store, with error translation."""

from __future__ import annotations

import builtins
from typing import TYPE_CHECKING, NoReturn

import obstore
from obstore.exceptions import (
    BaseError,
    PermissionDeniedError,
    UnauthenticatedError,
)

from tutela.storage.blobs.keys import validate_key, validate_prefix
from tutela.storage.exceptions import (
    BlobAccessDenied,
    BlobNotFound,
    BlobStoreError,
    BlobStoreUnavailable,
)

if TYPE_CHECKING:
    from obstore.store import LocalStore as ObLocalStore
    from obstore.store import S3Store as ObS3Store

# S3 DeleteObjects accepts at most 1000 keys per request.
_DELETE_BATCH = 1000
# Fragments of obstore's (unstructured) messages that mean "could not talk to the store".
_NO_SUCH_BUCKET = "<Code>NoSuchBucket</Code>"
_UNREACHABLE_HINTS = ("error sending request", "timed out", "connection refused", "dns error")


def first_line(exc: BaseException) -> str:
    """Return the first line of an exception message; obstore appends a multi-line debug dump."""
    text = str(exc).strip().splitlines()
    line = text[0] if text else type(exc).__name__
    # S3 error bodies start on the first line; the XML adds noise, not information.
    line = line.split("<?xml", 1)[0].rstrip(" :") or type(exc).__name__
    return line if len(line) <= 300 else line[:297] + "..."


def is_missing_object(exc: BaseException) -> bool:
    """Return True if an obstore error means "no such object" (and not "no such bucket")."""
    message = str(exc)
    if isinstance(exc, FileNotFoundError):
        # obstore reports a missing S3 bucket as FileNotFoundError too.
        return _NO_SUCH_BUCKET not in message
    # Locally, 'a/b/c' when 'a/b' is a file fails with ENOTDIR, where S3 just says 404.
    return "Not a directory (os error 20)" in message


class ObstoreBlobStore:
    """A `BlobStore` backed by an obstore store; subclasses only build the store."""

    def __init__(self, store: ObLocalStore | ObS3Store) -> None:
        self._store = store

    def describe(self) -> str:
        """Return a one-line description of the store."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.describe()}>"

    def put(self, key: str, data: bytes) -> None:
        """Store `data` under `key` atomically, replacing any existing blob."""
        validate_key(key)
        try:
            # Single-request upload: atomic on S3 and never leaves orphaned multipart parts.
            obstore.put(self._store, key, data, use_multipart=False)
        except (BaseError, OSError) as exc:
            self._raise(exc, "put", key)

    def get(self, key: str) -> bytes:
        """Return the blob stored under `key`; raise BlobNotFound if there is none."""
        validate_key(key)
        try:
            return bytes(obstore.get(self._store, key).bytes())
        except (BaseError, OSError) as exc:
            self._raise(exc, "get", key)

    def exists(self, key: str) -> bool:
        """Return True if a blob is stored under `key`."""
        validate_key(key)
        try:
            obstore.head(self._store, key)
        except (BaseError, OSError) as exc:
            if is_missing_object(exc):
                return False
            self._raise(exc, "head", key)
        return True

    def delete(self, key: str) -> None:
        """Remove the blob under `key`; succeed quietly if it does not exist."""
        validate_key(key)
        self._delete_many([key])

    def list(self, prefix: str = "") -> builtins.list[str]:
        """Return the sorted keys under `prefix` ('' lists everything)."""
        normalised = validate_prefix(prefix)
        try:
            stream = obstore.list(self._store, normalised or None, chunk_size=1000)
            keys = [meta["path"] for chunk in stream for meta in chunk]
        except (BaseError, OSError) as exc:
            self._raise(exc, "list", normalised)
        return sorted(keys)

    def delete_prefix(self, prefix: str) -> int:
        """Remove every blob under `prefix` and return how many were removed."""
        keys = self.list(prefix)
        for start in range(0, len(keys), _DELETE_BATCH):
            self._delete_many(keys[start : start + _DELETE_BATCH])
        return len(keys)

    def _delete_many(self, keys: builtins.list[str]) -> None:
        try:
            obstore.delete(self._store, keys)
        except (BaseError, OSError) as exc:
            if not is_missing_object(exc):
                self._raise(exc, "delete", keys[0] if len(keys) == 1 else f"{len(keys)} keys")
            # The local backend fails on a missing file and stops there, where S3 does
            # not; retry one by one so delete stays idempotent on every backend.
            for key in keys:
                try:
                    obstore.delete(self._store, key)
                except (BaseError, OSError) as exc_one:
                    if not is_missing_object(exc_one):
                        self._raise(exc_one, "delete", key)

    def _raise(self, exc: BaseException, op: str, key: str) -> NoReturn:
        """Translate an obstore/OS error into a one-line storage error."""
        raise self._translate(exc, op, key) from exc

    def _translate(self, exc: BaseException, op: str, key: str) -> BlobStoreError:
        where = self.describe()
        detail = first_line(exc)
        if isinstance(exc, PermissionDeniedError | UnauthenticatedError | PermissionError):
            return BlobAccessDenied(f"{op} {key!r} denied by {where}: {detail}")
        if _NO_SUCH_BUCKET in str(exc):
            return BlobStoreUnavailable(f"{op} {key!r} failed: the bucket of {where} does not exist")
        if is_missing_object(exc):
            return BlobNotFound(f"blob {key!r} not found in {where}")
        if any(hint in str(exc).lower() for hint in _UNREACHABLE_HINTS):
            return BlobStoreUnavailable(f"{op} {key!r} failed, {where} is unreachable: {detail}")
        return BlobStoreError(f"{op} {key!r} failed on {where}: {detail}")
