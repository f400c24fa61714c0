"""The `postgresql` connector: the customer's own PostgreSQL (with pgvector), queried at request time.

The registered query runs in a READ ONLY transaction (also the session's default) with the source's
statement timeout, on a connection opened for this request and closed after it; nothing is copied into
Tutela. Its rows become passages: `content`, `title`, `url`, `filepath`, `chunk_id`, and with a `score`
column (0…1) rows under the strictness floor are dropped. Failures are 400s that say what went wrong and
never quote the connection string.
"""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg import conninfo, errors

from tutela.errors import InvalidInput, NotFound
from tutela.gateway.exchange import Exchange
from tutela.gateway.grounding import databases
from tutela.gateway.grounding.sources import Found
from tutela.gateway.providers.extractive.embeddings import Embedder
from tutela.gateway.wire.data_sources import PostgresParameters
from tutela.gateway.wire.exceptions import InvalidRequestError
from tutela.runtime import Runtime

CONNECT_TIMEOUT_S = 5
MIN_SCORE = {1: 0.0, 2: 0.2, 3: 0.3, 4: 0.45, 5: 0.6}
_PARAM = "data_sources[0].parameters"


def _refuse(message: str, param: str = _PARAM) -> InvalidRequestError:
    return InvalidRequestError(message, param=param, code="data_source_error")


def vector_literal(vector: Any) -> str:
    """A pgvector literal: `[0.1,0.2,…]`."""
    return "[" + ",".join(f"{float(x):.7g}" for x in vector) + "]"


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _scrubbed(message: str, dsn: str) -> str:
    try:
        secret = conninfo.conninfo_to_dict(dsn).get("password")
    except psycopg.ProgrammingError:
        secret = None
    first = message.strip().splitlines()[0] if message.strip() else "no reason given"
    return first.replace(str(secret), "***") if secret else first


def run_query(
    dsn: str, query: str, params: dict[str, Any], *, timeout_ms: int, limit: int
) -> list[dict[str, Any]]:
    """The query's first `limit` rows as dictionaries, read-only, within the timeout."""
    options = f"-c default_transaction_read_only=on -c statement_timeout={timeout_ms}"
    try:
        conn = psycopg.connect(dsn, connect_timeout=CONNECT_TIMEOUT_S, options=options, autocommit=False)
    except psycopg.Error as exc:
        raise _refuse(
            f"Could not connect to the data source's database: {_scrubbed(str(exc), dsn)}"
        ) from None
    try:
        with conn:
            conn.read_only = True
            with conn.cursor() as cur:
                cur.execute("SELECT set_config('statement_timeout', %s, true)", (str(timeout_ms),))
                cur.execute(query, params)  # the customer's registered query
                if cur.description is None:
                    raise _refuse("The data source's query returned no rows (it must be a SELECT).")
                names = [d.name for d in cur.description]
                rows = [dict(zip(names, row, strict=True)) for row in cur.fetchmany(limit)]
            conn.rollback()
            return rows
    except errors.QueryCanceled:
        raise _refuse(f"The data source's query ran past its statement timeout ({timeout_ms} ms).") from None
    except errors.ReadOnlySqlTransaction:
        raise _refuse(
            "The data source's query tried to write; data source queries run in a read-only transaction."
        ) from None
    except psycopg.Error as exc:
        raise _refuse(f"The data source's query failed: {_scrubbed(str(exc), dsn)}") from None


def from_postgres(
    runtime: Runtime, exchange: Exchange, question: str, params: PostgresParameters
) -> list[Found]:
    """The rows the resource's registered query finds for the question."""
    caller = exchange.caller
    with runtime.region_session(caller.org_id) as db:
        try:
            source = databases.find(
                db, org_id=caller.org_id, resource_id=caller.resource_id, name=params.source
            )
        except NotFound as exc:
            raise _refuse(f"{exc.message}.", param=f"{_PARAM}.source") from None
        dsn = databases.connection_string(runtime, db, source)
        query, timeout_ms = source.query, source.statement_timeout_ms
    try:
        databases.check_allowed(dsn, runtime.settings.gateway.database_hosts)
    except InvalidInput as exc:
        raise _refuse(f"The data source cannot be used: {exc.message}.", param=f"{_PARAM}.source") from None
    values: dict[str, Any] = {"question": question, "top_n": params.top_n_documents}
    if "%(embedding)s" in query:
        values["embedding"] = vector_literal(Embedder.load().embed([question])[0])
    rows = run_query(dsn, query, values, timeout_ms=timeout_ms, limit=params.top_n_documents)
    if rows and "content" not in rows[0]:
        raise _refuse("The data source's query must return a 'content' column.")
    floor = MIN_SCORE[params.strictness]
    found = []
    for i, row in enumerate(rows):
        score = row.get("score")
        if isinstance(score, int | float) and score < floor:
            continue
        if not isinstance(row.get("content"), str) or not row["content"].strip():
            continue
        found.append(
            Found(
                content=row["content"],
                title=_text(row.get("title")),
                url=_text(row.get("url")),
                filepath=_text(row.get("filepath")),
                chunk_id=_text(row.get("chunk_id")) or str(i),
            )
        )
    return found
