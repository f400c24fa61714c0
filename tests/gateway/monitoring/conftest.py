"""Monitoring tests: a live platform with no access cache, so suspensions and opt-outs show at once."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.platform import Platform, running_platform


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def platform(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    """A running Tutela per backend whose gateway re-checks keys on every request."""
    data_dir = tmp_path_factory.mktemp(f"monitoring-{request.param}")
    with running_platform(request.param, data_dir, gateway={"access_cache_seconds": 0}) as running:
        yield running
