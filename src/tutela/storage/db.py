"""Databases: one directory database, and per region one data database and one key store.

Three declarative bases keep the three schemas apart, so a table cannot land in the wrong database by
accident. The key store is separate from the data database so that deleting a data key also defeats backups
of the data database: a copy of `tutela.db` holds only ciphertext whose keys live elsewhere.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import DateTime, Engine, String, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker
from sqlalchemy.types import TypeDecorator

ID_LENGTH = 36


def new_id() -> str:
    """A random identifier (UUID4 text): unguessable, so ids say nothing about other tenants."""
    return str(uuid.uuid4())


def is_valid_id(value: str) -> bool:
    """True when `value` has the shape of an id this system issues."""
    try:
        return str(uuid.UUID(value)) == value
    except ValueError:
        return False


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Stores aware UTC datetimes on both engines (SQLite has no time zones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use tutela.storage.db.utcnow()")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class DirectoryBase(DeclarativeBase):
    """Tables of the directory: organization → region, platform staff. No customer content."""


class RegionBase(DeclarativeBase):
    """Tables of a region's data database: everything an organization owns."""


class KeysBase(DeclarativeBase):
    """Tables of a region's key store: wrapped data keys only."""


class IdMixin:
    """A random string primary key."""

    id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True, default=new_id)


class TimestampMixin:
    """Creation time."""

    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # secure_delete zeroes deleted content, so a deleted row or key is really gone from the file.
    cursor = dbapi_connection.cursor()
    for pragma in (
        "PRAGMA foreign_keys=ON",
        "PRAGMA journal_mode=WAL",
        "PRAGMA secure_delete=ON",
        "PRAGMA busy_timeout=10000",
        "PRAGMA synchronous=NORMAL",
    ):
        cursor.execute(pragma)
    cursor.close()


def open_engine(url: str) -> Engine:
    """Create an engine; SQLite files get their folder and the pragmas above."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        url = str(parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False))
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


class Database:
    """An engine and its session factory."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = open_engine(url)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """One unit of work: commit on success, roll back on any error."""
        session = self.sessions()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def checkpoint(self) -> bool:
        """Empty SQLite's write-ahead log into the database file; True when done (always, elsewhere).

        secure_delete zeroes a deleted row in the database, but the WAL keeps older copies of its page until
        a checkpoint truncates it: call this after deleting something that must really be gone (a key).
        """
        if self.engine.dialect.name != "sqlite":
            return True
        with self.engine.connect() as conn:
            row = conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").first()
        return row is not None and row[0] == 0

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()
