"""Blob storage: one `BlobStore` interface over a local folder or an S3-compatible bucket."""

from tutela.storage.blobs.factory import open_blob_store
from tutela.storage.blobs.keys import validate_key, validate_prefix
from tutela.storage.blobs.local import LocalStore
from tutela.storage.blobs.s3 import S3Store
from tutela.storage.blobs.store import BlobStore

__all__ = ["BlobStore", "LocalStore", "S3Store", "open_blob_store", "validate_key", "validate_prefix"]
