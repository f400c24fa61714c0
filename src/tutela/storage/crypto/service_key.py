"""The service key file: its format, the permissions it must have, and when a missing one may be made.

The file is a small JSON document, `{"kid": "<id>", "key": "<base64 of 32 bytes>"}`, readable by its owner
only (mode 0600 or stricter). A missing file is created on a brand-new installation; once a database holds
what the key made (wrapped data keys, audit chains keyed by it), a missing file is refused instead: a new key
would leave that data unreadable and every audit chain failing verification.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import secrets
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Select, inspect, literal_column, select, table
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from tutela.storage.crypto.exceptions import KeyFileError, ServiceKeyMissing
from tutela.storage.db import Database

KEY_BYTES = 32
MAX_FILE_BYTES = 4096  # the JSON document is under 100 bytes; anything this large is another file
PRIVATE_BITS = stat.S_IRWXG | stat.S_IRWXO


@dataclass(frozen=True)
class ProtectedTable:
    """A table holding what the service key made, and how to name it in an error."""

    what: str  # e.g. "wrapped data keys"
    where: str  # e.g. "the key store of region 'eu'"
    db: Database
    name: str


def holds_rows(db: Database, name: str) -> bool:
    """True when the table exists and has a row; only reads, and never creates a SQLite file."""
    url = make_url(db.url)
    if url.get_backend_name() == "sqlite" and (
        not url.database or url.database == ":memory:" or not Path(url.database).exists()
    ):
        return False
    with db.engine.connect() as conn:
        if not inspect(conn).has_table(name):
            return False
        one_row: Select[tuple[int]] = select(literal_column("1")).select_from(table(name)).limit(1)
        return conn.execute(one_row).first() is not None


def refuse_if_protected(path: Path, protected: Iterable[ProtectedTable]) -> None:
    """Raise ServiceKeyMissing when a database already holds data made with the (missing) key at `path`."""
    found: list[str] = []
    for item in protected:
        try:
            if holds_rows(item.db, item.name):
                found.append(f"{item.what} in {item.where}")
        except SQLAlchemyError as exc:
            raise KeyFileError(
                f"service key file {path} does not exist and {item.where} cannot be checked for data made "
                f"with it ({type(exc).__name__}); refusing to make a new key until it can be checked"
            ) from exc
    if found:
        raise ServiceKeyMissing(
            f"service key file {path} is missing, but {' and '.join(found)} were made with it, and that "
            "data cannot be read or verified without it: restore the file from a backup (or point "
            "TUTELA_KEY_FILE at it); Tutela does not make a new key over existing data"
        )


def create(path: Path) -> None:
    """Write a new random key file with mode 0600; when another process made it first, keep theirs."""
    path.parent.mkdir(parents=True, exist_ok=True)
    body = {"kid": secrets.token_hex(8), "key": base64.b64encode(os.urandom(KEY_BYTES)).decode()}
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    except OSError as exc:
        raise KeyFileError(f"cannot create service key file {path}: {exc.strerror}") from exc
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        json.dump(body, handle)
        handle.flush()
        os.fsync(handle.fileno())  # data is about to be wrapped with it: it must survive a power cut


def read(path: Path) -> tuple[str, bytes]:
    """The key id and the 32-byte key, after checking the file's type, permissions, size and format."""
    try:
        info = path.stat()
    except FileNotFoundError:
        raise KeyFileError(f"service key file {path} does not exist") from None
    except OSError as exc:
        raise KeyFileError(f"service key file {path} cannot be examined: {exc.strerror}") from exc
    if not stat.S_ISREG(info.st_mode):
        raise KeyFileError(f"service key file {path} is not a regular file")
    mode = stat.S_IMODE(info.st_mode)
    if os.name == "posix" and mode & PRIVATE_BITS:
        raise KeyFileError(
            f"service key file {path} is open to other users (mode {mode:04o}); "
            f"it must be readable by its owner only: chmod 600 {path}"
        )
    if info.st_size == 0:
        raise KeyFileError(f"service key file {path} is empty")
    if info.st_size > MAX_FILE_BYTES:
        raise KeyFileError(
            f"service key file {path} is {info.st_size} bytes, too large for a service key file "
            f"(at most {MAX_FILE_BYTES})"
        )
    try:
        raw = path.read_bytes()
    except PermissionError as exc:
        raise KeyFileError(f"service key file {path} is not readable by this process") from exc
    except OSError as exc:
        raise KeyFileError(f"service key file {path} cannot be read: {exc.strerror}") from exc
    return _parse(path, raw)


def _parse(path: Path, raw: bytes) -> tuple[str, bytes]:
    """The key id and key of the file's JSON document, or the one thing wrong with it."""
    expected = '{"kid": "...", "key": "<base64 of 32 bytes>"}'
    try:
        body = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise KeyFileError(f"service key file {path} is not JSON (expected {expected})") from None
    if not isinstance(body, dict):
        raise KeyFileError(f"service key file {path} must hold a JSON object (expected {expected})")
    kid, encoded = body.get("kid"), body.get("key")
    if not isinstance(kid, str) or not kid:
        raise KeyFileError(f'service key file {path} has no "kid" (a non-empty string)')
    if not isinstance(encoded, str):
        raise KeyFileError(f'service key file {path} has no "key" (base64 of {KEY_BYTES} bytes)')
    try:
        key = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise KeyFileError(f'service key file {path} has a "key" that is not base64') from None
    if len(key) != KEY_BYTES:
        raise KeyFileError(
            f"service key file {path} holds a {len(key)}-byte key; it must be {KEY_BYTES} bytes"
        )
    return kid, key
