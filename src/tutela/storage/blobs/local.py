"""`LocalStore`: blobs as files under a root folder."""

from __future__ import annotations

from pathlib import Path

from obstore.exceptions import BaseError
from obstore.store import LocalStore as ObLocalStore

from tutela.storage.blobs.obstore_backend import ObstoreBlobStore, first_line
from tutela.storage.exceptions import BlobStoreUnavailable


class LocalStore(ObstoreBlobStore):
    """Blobs stored as files under `root`; writes go to a staging file then rename (atomic)."""

    def __init__(self, root: str | Path, *, create: bool = True) -> None:
        path = Path(root).expanduser()
        if not path.is_absolute():
            path = path.resolve()
        if not create and not path.is_dir():
            raise BlobStoreUnavailable(f"blob root {path} does not exist or is not a folder")
        try:
            store = ObLocalStore(path, mkdir=create)
        except (BaseError, OSError) as exc:
            raise BlobStoreUnavailable(f"cannot open blob root {path}: {first_line(exc)}") from exc
        self.root = path
        super().__init__(store)

    def describe(self) -> str:
        """Return a one-line description of the store."""
        return f"local folder {self.root}"
