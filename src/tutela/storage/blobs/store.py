"""The `BlobStore` interface every blob backend implements."""

from __future__ import annotations

from typing import Protocol, runtime_checkable


@runtime_checkable
class BlobStore(Protocol):
    """Flat key -> bytes storage; keys are '/'-separated relative paths (see `keys.py`).

    Prefixes match whole path segments: 'a/b' covers 'a/b/c' but not 'a/bc'.
    """

    def put(self, key: str, data: bytes) -> None:
        """Store `data` under `key` atomically, replacing any existing blob."""
        ...

    def get(self, key: str) -> bytes:
        """Return the blob stored under `key`; raise BlobNotFound if there is none."""
        ...

    def delete(self, key: str) -> None:
        """Remove the blob under `key`; succeed quietly if it does not exist."""
        ...

    def delete_prefix(self, prefix: str) -> int:
        """Remove every blob under `prefix` and return how many were removed."""
        ...

    def list(self, prefix: str = "") -> list[str]:
        """Return the sorted keys under `prefix` ('' lists everything)."""
        ...

    def exists(self, key: str) -> bool:
        """Return True if a blob is stored under `key`."""
        ...

    def describe(self) -> str:
        """Return a one-line, secret-free description of the store for logs and errors."""
        ...
