"""Every module that registers background jobs, imported by each queue so a worker knows them all.

A `tutela worker` process runs in a fresh interpreter: a job module nobody imported would leave its jobs
unknown there. Add new job modules to this list.
"""

from __future__ import annotations

import importlib

JOB_MODULES = (
    "tutela.authoring.modules.jobs",
    "tutela.core.notifications.jobs",
    "tutela.gateway.monitoring.jobs",
)


def load_all() -> None:
    """Import every job module (idempotent)."""
    for name in JOB_MODULES:
        importlib.import_module(name)
