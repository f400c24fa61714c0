"""Real databases for tests: SQLite files in a temp folder, or fresh PostgreSQL databases on 127.0.0.1."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest

from tutela.config import RegionSettings, Settings

PG_HOST = os.environ.get("TUTELA_TEST_PG", "postgresql://postgres@127.0.0.1:5432")


def postgres_reachable() -> bool:
    """True when the PostgreSQL server of this machine answers."""
    try:
        with psycopg.connect(f"{PG_HOST}/postgres", connect_timeout=3):
            return True
    except psycopg.OperationalError:
        return False


def require_postgres() -> None:
    """Skip locally without PostgreSQL; in CI its absence is a failure, not a skip."""
    if postgres_reachable():
        return
    if os.environ.get("CI"):
        pytest.fail("PostgreSQL on 127.0.0.1:5432 is required in CI")
    pytest.skip("PostgreSQL on 127.0.0.1:5432 is not running")


def _admin(sql: str) -> None:
    with psycopg.connect(f"{PG_HOST}/postgres", autocommit=True) as conn:
        conn.execute(sql)  # type: ignore[arg-type]


@contextmanager
def postgres_databases(names: list[str]) -> Iterator[dict[str, str]]:
    """Create fresh databases (unique names) and drop them afterwards; yields name → URL."""
    prefix = f"tutela_t_{uuid.uuid4().hex[:10]}"
    urls = {}
    for name in names:
        db = f"{prefix}_{name.replace('-', '_')}"
        _admin(f'CREATE DATABASE "{db}"')
        urls[name] = f"{PG_HOST}/{db}"
    try:
        yield urls
    finally:
        for url in urls.values():
            _admin(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')


@contextmanager
def settings_for(
    backend: str,
    data_dir: Path,
    *,
    regions: tuple[tuple[str, str], ...] = (("local", "local"),),
    **extra: object,
) -> Iterator[Settings]:
    """Settings with every database on `backend` ("sqlite" or "postgres"), blobs and keys under data_dir."""
    if backend == "sqlite":
        region_settings = [RegionSettings(name=n, jurisdiction=j) for n, j in regions]
        yield Settings(data_dir=data_dir, regions=region_settings, **extra)  # type: ignore[arg-type]
        return
    require_postgres()
    names = ["directory"] + [n for n, _ in regions] + [f"{n}_keys" for n, _ in regions]
    with postgres_databases(names) as urls:
        region_settings = [
            RegionSettings(name=n, jurisdiction=j, database_url=urls[n], keys_url=urls[f"{n}_keys"])
            for n, j in regions
        ]
        yield Settings(
            data_dir=data_dir,
            directory_url=urls["directory"],
            regions=region_settings,
            **extra,  # type: ignore[arg-type]
        )


REDIS_URL = os.environ.get("TUTELA_TEST_REDIS", "redis://127.0.0.1:6379/0")


def require_redis() -> None:
    """Skip locally without Redis; in CI its absence is a failure, not a skip."""
    import redis

    try:
        if redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping():
            return
    except redis.ConnectionError:
        pass
    if os.environ.get("CI"):
        pytest.fail("Redis on 127.0.0.1:6379 is required in CI")
    pytest.skip("Redis on 127.0.0.1:6379 is not running")
