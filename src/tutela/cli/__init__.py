"""The `tutela` command line; commands live in one module per domain."""

from __future__ import annotations

from tutela.cli import authoring, core, doctor, exports, gateway, limits, monitoring
from tutela.cli.common import main

__all__ = ["main"]
_COMMANDS = (
    authoring,
    core,
    doctor,
    exports,
    gateway,
    limits,
    monitoring,
)  # importing them registers their commands on `main`
