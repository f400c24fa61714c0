"""Looking for traces of a canary: every log line, every database row, every file."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import inspect, select, table, text

from tutela.runtime import Runtime


class LogLines(logging.Handler):
    """Collects every formatted log line of every logger."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@contextmanager
def capture_all_logs() -> Iterator[LogLines]:
    """Every logger at DEBUG into one list for the duration of the block."""
    handler = LogLines()
    root = logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(previous)


def database_text(runtime: Runtime) -> str:
    """Every value of every table of every database of the runtime, as text."""
    dumps = []
    databases = [runtime.directory] + [db for r in runtime.regions.values() for db in (r.db, r.keys_db)]
    for database in databases:
        with database.engine.connect() as conn:
            for name in inspect(conn).get_table_names():
                dumps.extend(str(row) for row in conn.execute(select(text("*")).select_from(table(name))))
    return "\n".join(dumps)


def files_containing(folder: Path, needle: str) -> list[Path]:
    """Files under a folder whose raw bytes contain the needle."""
    return [p for p in folder.rglob("*") if p.is_file() and needle.encode() in p.read_bytes()]


def reachable_text(root: object, needle: str) -> list[object]:
    """Every str or bytes reachable from `root` (through the garbage collector's references) that contains
    `needle`: proof that an in-memory structure keeps no copy of a text."""
    import gc

    raw = needle.encode()
    found: list[object] = []
    seen: set[int] = set()
    todo = [root]
    while todo:
        item = todo.pop()
        if id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, str):
            if needle in item:
                found.append(item)
        elif isinstance(item, bytes | bytearray):
            if raw in item:
                found.append(item)
        elif not isinstance(item, type):
            todo.extend(gc.get_referents(item))
    return found
