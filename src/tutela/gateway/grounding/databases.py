"""Registering the customer databases `data_sources` of type `postgresql` can name.

An admin registers a source on an AI resource: a name, the connection string (sealed at once, like an
upstream key; never shown again) and the read-only query to run. The query takes named parameters:
`%(embedding)s` (the question's all-MiniLM-L6-v2 embedding as a pgvector literal, e.g. `'[0.1,…]'`,
384 dimensions), `%(question)s` (the question's text) and `%(top_n)s`; a literal `%` is written `%%`. It
returns the columns `content` (required), `title`, `url`, `filepath`, `chunk_id` and optionally `score`
(a similarity in 0…1 that `strictness` filters on). Only hosts the operator lists in
`gateway.database_hosts` can be registered (and are checked again at query time).
"""

from __future__ import annotations

import fnmatch
import re

from psycopg import conninfo
from psycopg.errors import ProgrammingError
from sqlalchemy.orm import Session

from tutela.errors import Conflict, InvalidInput, NotFound
from tutela.gateway.deployments import sealing
from tutela.gateway.grounding.models import DatabaseSource
from tutela.gateway.resources import service as resources
from tutela.runtime import Runtime
from tutela.storage.tenancy import get_owned, scoped

NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
PARAMETERS = ("embedding", "question", "top_n")
MAX_TIMEOUT_MS = 30_000


def _check_query(query: str) -> None:
    body = query.strip().rstrip(";")
    if not body:
        raise InvalidInput("the query is empty", param="query")
    if ";" in body:
        raise InvalidInput("the query must be a single SQL statement", param="query")
    named = set(re.findall(r"%\((\w+)\)s", body))
    if not named & {"embedding", "question"}:
        raise InvalidInput(
            "the query must use %(embedding)s (the question's vector) or %(question)s (its text)",
            param="query",
        )
    unknown = sorted(named - set(PARAMETERS))
    if unknown:
        raise InvalidInput(
            f"unknown query parameter %({unknown[0]})s; use {', '.join(PARAMETERS)}", param="query"
        )


def hosts(dsn: str) -> list[str]:
    """Where the connection string connects: "host:port" each (a socket directory as it is)."""
    try:
        parsed = conninfo.conninfo_to_dict(dsn)
    except ProgrammingError:
        parsed = {}
    if not parsed:
        raise InvalidInput(
            "not a PostgreSQL connection string (e.g. postgresql://reader:secret@db.example.com/kb)",
            param="connection_string",
        )
    names = str(parsed.get("host") or parsed.get("hostaddr") or "").split(",")
    ports = str(parsed.get("port") or "5432").split(",")
    out = []
    for i, name in enumerate(names):
        port = ports[i] if i < len(ports) else ports[-1]
        out.append(name if name.startswith("/") else f"{name or 'localhost'}:{port}")
    return out


def check_allowed(dsn: str, allowed: list[str]) -> None:
    """Refuse a connection string whose host the operator did not list in `gateway.database_hosts`."""
    for host in hosts(dsn):
        if not any(fnmatch.fnmatchcase(host, pattern) for pattern in allowed):
            raise InvalidInput(
                f"this server does not connect to {host[:80]!r} (not in gateway.database_hosts)",
                param="connection_string",
            )


def register(
    runtime: Runtime,
    db: Session,
    *,
    org_id: str,
    resource_id: str,
    name: str,
    connection_string: str,
    query: str,
    statement_timeout_ms: int,
) -> DatabaseSource:
    """Check and keep a source; its connection string is sealed before anything is stored."""
    resources.get_resource(db, org_id=org_id, resource_id=resource_id)
    if not NAME_PATTERN.match(name):
        raise InvalidInput("source names use letters, digits, '.', '_' or '-' (max 64)", param="name")
    if not 1 <= statement_timeout_ms <= MAX_TIMEOUT_MS:
        raise InvalidInput(
            f"statement_timeout_ms must be from 1 to {MAX_TIMEOUT_MS}", param="statement_timeout_ms"
        )
    check_allowed(connection_string, runtime.settings.gateway.database_hosts)
    _check_query(query)
    taken = scoped(DatabaseSource, org_id).where(
        DatabaseSource.resource_id == resource_id, DatabaseSource.name == name
    )
    if db.scalars(taken).first() is not None:
        raise Conflict(f"a data source named {name!r} already exists on this resource", param="name")
    row = DatabaseSource(
        org_id=org_id,
        resource_id=resource_id,
        name=name,
        query=query.strip().rstrip(";"),
        statement_timeout_ms=statement_timeout_ms,
        sealed_dsn=b"",
        dsn_data_key_id="",
    )
    db.add(row)
    db.flush()
    row.dsn_data_key_id, row.sealed_dsn = sealing.seal_secret(
        runtime, db, org_id=org_id, owner=row.id, scope=f"data-source:{row.id}", secret=connection_string
    )
    db.flush()
    return row


def list_sources(db: Session, *, org_id: str, resource_id: str) -> list[DatabaseSource]:
    """The resource's sources, by name."""
    resources.get_resource(db, org_id=org_id, resource_id=resource_id)
    stmt = scoped(DatabaseSource, org_id).where(DatabaseSource.resource_id == resource_id)
    return list(db.scalars(stmt.order_by(DatabaseSource.name)))


def find(db: Session, *, org_id: str, resource_id: str, name: str) -> DatabaseSource:
    """A source of the resource by name, or NotFound."""
    stmt = scoped(DatabaseSource, org_id).where(
        DatabaseSource.resource_id == resource_id, DatabaseSource.name == name
    )
    row = db.scalars(stmt).one_or_none() if NAME_PATTERN.match(name) else None
    if row is None:
        raise NotFound(f"no data source named {name[:64]!r} on this AI resource", param="source")
    return row


def connection_string(runtime: Runtime, db: Session, row: DatabaseSource) -> str:
    """The sealed connection string, opened in memory."""
    return sealing.open_secret(
        runtime, db, org_id=row.org_id, owner=row.id, key_id=row.dsn_data_key_id, sealed=row.sealed_dsn
    )


def delete(runtime: Runtime, db: Session, *, org_id: str, resource_id: str, source_id: str) -> None:
    """Forget a source and destroy the key of its connection string."""
    row = get_owned(db, DatabaseSource, source_id, org_id=org_id, what="data source")
    if row.resource_id != resource_id:
        raise NotFound(f"data source {source_id!r} not found")
    sealing.destroy_secret(runtime, org_id=org_id, key_id=row.dsn_data_key_id)
    db.delete(row)
    db.flush()
