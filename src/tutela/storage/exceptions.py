"""Domain errors raised by the storage layer (blob stores and key managers)."""

from __future__ import annotations


class StorageError(Exception):
    """Base class for every storage-layer error."""


class BlobStoreError(StorageError):
    """A blob store operation failed."""


class InvalidBlobKey(BlobStoreError, ValueError):
    """A blob key or prefix is malformed or could escape the store (e.g. contains '..')."""


class InvalidStoreUrl(BlobStoreError, ValueError):
    """A blob store URL could not be parsed or names an unsupported scheme."""


class BlobNotFound(BlobStoreError, LookupError):
    """No blob exists under the requested key."""


class BlobAccessDenied(BlobStoreError):
    """The store rejected our credentials or lacks permission for the operation."""


class BlobStoreUnavailable(BlobStoreError):
    """The store cannot be reached, or its bucket/root folder does not exist."""


class KeyManagerError(StorageError):
    """A customer-managed key operation failed."""


class InvalidKeySpec(KeyManagerError, ValueError):
    """A key manager spec string could not be parsed."""


class KeyUnavailable(KeyManagerError):
    """The key is disabled, scheduled for deletion, deleted, missing or unreachable."""


class KeyAccessDenied(KeyManagerError):
    """The caller is not allowed to use the key (credentials or key policy)."""


class InvalidCiphertext(KeyManagerError):
    """The wrapped key is corrupt, was wrapped by another key, or the context does not match."""
