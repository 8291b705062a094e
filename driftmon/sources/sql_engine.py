"""Engines for SQL sources: fail fast when unreachable, read naive timestamps as UTC, SQLite read only."""

from __future__ import annotations

import os
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url

from driftmon.errors import SourceUnreachableError

CONNECT_TIMEOUT_SECONDS = 10


def first_line(exc: BaseException) -> str:
    """Return the first line of a database error (the driver's message, without SQL or parameters)."""
    orig = getattr(exc, "orig", None) or exc
    text = str(orig).strip()
    return text.splitlines()[0] if text else type(orig).__name__


def sqlstate(exc: BaseException) -> str | None:
    """Return the SQLSTATE code of a database error, when the driver reports one."""
    return getattr(getattr(exc, "orig", None), "sqlstate", None)


def create_source_engine(url_text: str, description: str) -> Engine:
    """Create the engine of a source; a SQLite file that does not exist is unreachable, not created."""
    url = make_url(url_text)
    backend = url.get_backend_name()
    file = url.database if backend == "sqlite" else None
    if file not in (None, "", ":memory:") and not url.query.get("uri") and not os.path.exists(str(file)):
        raise SourceUnreachableError(description, f"SQLite file {file} does not exist")
    connect_args: dict[str, Any] = {}
    if backend == "postgresql":
        connect_args["connect_timeout"] = CONNECT_TIMEOUT_SECONDS
    engine = sa.create_engine(url, pool_pre_ping=True, connect_args=connect_args)
    if backend == "postgresql":
        sa.event.listen(engine, "connect", _utc_session)
    if backend == "sqlite":
        sa.event.listen(engine, "connect", _query_only)
    return engine


def _query_only(dbapi_connection: Any, _record: Any) -> None:
    # A source only reads: SQLite then refuses any write on this connection.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA query_only = ON")
    cursor.close()


def _utc_session(dbapi_connection: Any, _record: Any) -> None:
    # Naive `timestamp` columns are then compared as UTC, like everywhere else in driftmon.
    cursor = dbapi_connection.cursor()
    cursor.execute("SET TIME ZONE 'UTC'")
    cursor.close()
    dbapi_connection.commit()
