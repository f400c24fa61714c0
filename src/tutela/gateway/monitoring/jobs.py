"""The scheduled purge as a job (run by the in-process consumer or `tutela worker` processes)."""

from __future__ import annotations

from typing import Any

from tutela.gateway.monitoring import service
from tutela.runtime import Runtime
from tutela.storage.jobs import job


@job
def purge_expired(runtime: Runtime) -> dict[str, Any]:
    """Delete expired monitoring records and destroy their day keys, in every region."""
    result = service.purge(runtime)
    return {"records": result.records, "keys": result.keys, "days": result.days}
