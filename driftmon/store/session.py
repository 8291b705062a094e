"""Database URLs, engines and sessions: SQLite by default, PostgreSQL in production."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import Session, sessionmaker

from driftmon.store.errors import MissingDirectoryError, StoreInputError, UnsupportedDatabaseError

DATABASE_URL_ENV = "DRIFTMON_DATABASE_URL"
DEFAULT_SQLITE_FILE = "driftmon.sqlite"
# How long a SQLite writer waits for another writer before failing with "database is locked".
SQLITE_BUSY_TIMEOUT_MS = 30_000


def resolve_database_url(explicit: str | None = None, *, configured: str | None = None) -> str:
    """Pick the database URL: `explicit`, else $DRIFTMON_DATABASE_URL, else `configured`, else the default.

    `explicit` is a command-line flag; `configured` is the URL from the driftmon config file; the
    default is the SQLite file driftmon.sqlite in the working directory. An empty environment
    variable counts as unset.
    """
    if explicit is not None:
        if not explicit.strip():
            raise StoreInputError("the database URL given on the command line is empty")
        return explicit
    from_env = os.environ.get(DATABASE_URL_ENV, "").strip()
    if from_env:
        return from_env
    if configured:
        return configured
    return f"sqlite:///{Path.cwd().resolve() / DEFAULT_SQLITE_FILE}"


def display_url(url: str | URL) -> str:
    """Render a URL for messages and logs with its password hidden."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unparseable database URL>"


def parse_database_url(url: str | URL) -> URL:
    """Parse and normalise a database URL: a bare postgresql:// URL uses the psycopg 3 driver."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        # The message would echo the URL, password included.
        raise UnsupportedDatabaseError(
            "the database URL is not a valid SQLAlchemy URL (expected e.g. sqlite:///driftmon.sqlite "
            "or postgresql+psycopg://user@host:5432/db)"
        ) from None
    backend = parsed.get_backend_name()
    if backend == "postgres":
        parsed = parsed.set(drivername="postgresql")
        backend = "postgresql"
    if backend == "postgresql" and parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if backend not in ("sqlite", "postgresql"):
        raise UnsupportedDatabaseError(
            f"database {display_url(parsed)}: the driftmon store supports sqlite and postgresql, "
            f"not {backend!r}"
        )
    return parsed


def _sqlite_engine(url: URL, **kwargs: Any) -> Engine:
    path = url.database
    if path and path != ":memory:" and not path.startswith("file:"):
        parent = Path(path).expanduser().resolve().parent
        if not parent.is_dir():
            raise MissingDirectoryError(path, str(parent))
    engine = sa.create_engine(url, **kwargs)

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take BEGIN away from the sqlite3 module so SAVEPOINT and transactional DDL work.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        if path and path != ":memory:":
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(connection: sa.Connection) -> None:
        # IMMEDIATE takes the write lock up front: a deferred transaction that reads and then
        # writes fails at once with SQLITE_BUSY when another writer committed in between, while
        # an immediate one waits (busy_timeout) and then sees a consistent database.
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def make_engine(url: str | URL, **kwargs: Any) -> Engine:
    """Create an engine for the store (SQLite: foreign keys, WAL, busy timeout; PostgreSQL: pre-ping)."""
    parsed = parse_database_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed, **kwargs)
    kwargs.setdefault("pool_pre_ping", True)
    # psycopg's own executemany pipelines one short, cached statement; SQLAlchemy's multi-row
    # VALUES rewrite makes a long statement psycopg re-parses on every run (3x slower writes).
    kwargs.setdefault("use_insertmanyvalues", False)
    engine = sa.create_engine(parsed, **kwargs)

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Sessions in UTC: psycopg then returns timestamps with tzinfo=datetime.UTC, which the
        # store hands out as they are.
        autocommit = dbapi_connection.autocommit
        dbapi_connection.autocommit = True
        dbapi_connection.execute("SET TIME ZONE 'UTC'")
        dbapi_connection.autocommit = autocommit

    return engine


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Return a sessionmaker whose objects stay readable after commit."""
    return sessionmaker(engine, expire_on_commit=False)
