"""Fixtures shared by every test folder: each core test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.platform import Platform, running_platform


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def platform(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    """A running Tutela (one per test module and backend); tests make their own organizations."""
    with running_platform(request.param, tmp_path_factory.mktemp(f"platform-{request.param}")) as running:
        yield running
