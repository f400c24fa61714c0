"""The scheduled purge as a job (run by the in-process consumer or `tutela worker` processes)."""

from __future__ import annotations

from typing import Any

from tutela.gateway.images import service as images
from tutela.gateway.monitoring import service
from tutela.gateway.usage import retention as usage_retention
from tutela.runtime import Runtime
from tutela.storage.jobs import job


@job
def purge_expired(runtime: Runtime) -> dict[str, Any]:
    """Delete expired monitoring records (destroying their day keys), expired image links and usage
    aggregates older than their organization's usage retention, everywhere."""
    result = service.purge(runtime)
    expired_images = images.purge_expired(runtime)
    usage_rows = usage_retention.purge(runtime)
    return {
        "records": result.records,
        "keys": result.keys,
        "days": result.days,
        "images": expired_images,
        "usage_rows": usage_rows,
    }
