"""What to look for in one organization's requests: its region's national ids and its own people's names.

Built from the region's jurisdiction and the organization's active users' display names (read from its
region database off the event loop), kept in memory for `gateway.access_cache_seconds` like the other
gateway caches, so a new colleague's name is covered within that time. Nothing here is written anywhere.
"""

from __future__ import annotations

import asyncio
import threading
import time

from tutela.core.users import service as users
from tutela.gateway.pii import names, national_ids
from tutela.gateway.pii.detectors import Detector, profile
from tutela.runtime import Runtime


def detectors_for(jurisdiction: str, display_names: list[str]) -> tuple[Detector, ...]:
    """Every detector for an organization of this jurisdiction with these people."""
    people = names.directory_names(display_names)
    found = (people, names.person_names) if people is not None else (names.person_names,)
    return profile(national_ids.for_jurisdiction(jurisdiction), found)


class PiiProfiles:
    """Each organization's detectors, cached briefly."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self._cached: dict[str, tuple[tuple[Detector, ...], float]] = {}
        self._lock = threading.Lock()

    async def detectors(self, org_id: str) -> tuple[Detector, ...]:
        """The organization's detectors, from the cache or loaded off the event loop."""
        cached = self._cached.get(org_id)
        if (
            cached is not None
            and time.monotonic() - cached[1] <= self.runtime.settings.gateway.access_cache_seconds
        ):
            return cached[0]
        return await asyncio.to_thread(self._load, org_id)

    def _load(self, org_id: str) -> tuple[Detector, ...]:
        names.name_lists()  # the first request pays for loading the lists, off the event loop
        region = self.runtime.region_of(org_id)
        with region.db.session() as db:
            people = [u.display_name for u in users.list_users(db, org_id=org_id) if u.is_active]
        found = detectors_for(region.settings.jurisdiction, people)
        with self._lock:
            self._cached[org_id] = (found, time.monotonic())
        return found
