"""The service's store: opened and checked at start-up, watched while running, pruned by retention."""

from __future__ import annotations

import fcntl
import logging
import os
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from driftmon.config import Config
from driftmon.jobs.errors import store_failure
from driftmon.metrics import MetricsSnapshot
from driftmon.store import (
    StoreError,
    current_revision,
    delete_results_older_than,
    display_url,
    ensure_at_head,
    head_revision,
    make_engine,
    resolve_database_url,
    session_factory,
)

# A SQLite store is served by one process: `driftmon serve` holds an exclusive lock on this
# file next to the database for its whole life (the kernel releases it on exit or crash).
SQLITE_LOCK_SUFFIX = ".serve.lock"

log = logging.getLogger(__name__)


class StoreFailures:
    """One ERROR line when a periodic task's store access starts failing, one INFO line when it recovers.

    A store that is down for an hour would otherwise log the same failure every few seconds.
    """

    def __init__(self, task: str) -> None:
        self.task = task
        self._last: str | None = None

    def failed(self, exc: BaseException) -> None:
        """Log the store failure `exc` unless it repeats the last one; re-raise anything else."""
        reason = store_failure(exc)
        if reason is None:
            raise exc
        if reason != self._last:
            log.error("%s: the store failed, retrying: %s", self.task, reason)
        self._last = reason

    def succeeded(self) -> None:
        if self._last is not None:
            log.info("%s: the store answers again", self.task)
        self._last = None


class StoreHandle:
    """The engine and sessions of the store, with the checks readiness and metrics need."""

    def __init__(self, engine: Engine, lock: int | None = None) -> None:
        self.engine = engine
        self._lock = lock  # the SQLite serve lock's file descriptor
        self.sessions: sessionmaker[Session] = session_factory(engine)
        self.url = display_url(engine.url)
        self.head = head_revision()

    def check(self) -> str:
        """Return 'ok' when the database answers and its schema is at head, else why not."""
        try:
            current = current_revision(self.engine)
        except Exception as exc:
            reason = store_failure(exc)
            if reason is None:
                raise
            return f"database {self.url}: {reason}"
        if current != self.head:
            return (
                f"database {self.url}: schema at {current or 'nothing'}, driftmon needs {self.head}; "
                "run `driftmon db upgrade`"
            )
        return "ok"

    def refresh(self, snapshot: MetricsSnapshot) -> str:
        """Check the database and export the result as driftmon_database_up."""
        result = self.check()
        snapshot.set_database_up(result == "ok")
        if result != "ok":
            log.error("store: %s", result)
        return result

    def prune(self, days: int, now: Callable[[], datetime]) -> None:
        """Delete results older than `days` days (database.retention_days)."""
        with self.sessions() as session, session.begin():
            report = delete_results_older_than(session, days, now=now())
        if report.runs or report.alert_events:
            log.info(
                "retention: deleted %d runs, %d results and %d alert events before %s",
                report.runs,
                report.results,
                report.alert_events,
                report.cutoff.isoformat(),
            )

    def dispose(self) -> None:
        self.engine.dispose()
        if self._lock is not None:
            os.close(self._lock)  # releases the flock
            self._lock = None


def _lock_sqlite(database: str) -> int:
    """Take the serve lock of a SQLite database file, or raise StoreError if another process has it."""
    path = Path(os.path.abspath(database) + SQLITE_LOCK_SUFFIX)
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    except OSError as exc:
        raise StoreError(f"cannot open the lock file {path}: {exc.strerror or exc}") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise StoreError(
            f"the SQLite store {database} is already served by another driftmon serve (it holds "
            f"{path}); a SQLite store takes one serve process: stop the other one, or use PostgreSQL "
            "to run several replicas"
        ) from None
    except OSError as exc:
        os.close(fd)
        raise StoreError(f"cannot lock {path}: {exc.strerror or exc}") from None
    os.ftruncate(fd, 0)
    os.write(fd, f"{os.getpid()}\n".encode())
    return fd


def open_store(config: Config, database_url: str | None = None) -> StoreHandle:
    """Open the store at its schema head: a SQLite file is created or migrated, PostgreSQL must be at head.

    A SQLite file is locked for this process first (see SQLITE_LOCK_SUFFIX): a second serve on
    the same file is refused with a StoreError naming it.

    The URL is `database_url`, else $DRIFTMON_DATABASE_URL, else the config's database.url.
    Raises StoreError (unusable URL, schema not at head) or ConnectionError (unreachable).
    """
    url = resolve_database_url(database_url, configured=config.database.url.get_secret_value())
    engine = make_engine(url)
    database = engine.url.database
    lock: int | None = None
    try:
        if engine.dialect.name == "sqlite" and database and database != ":memory:":
            lock = _lock_sqlite(database)
        ensure_at_head(engine, auto_upgrade=engine.dialect.name == "sqlite")
    except BaseException as exc:
        engine.dispose()
        if lock is not None:
            os.close(lock)
        if isinstance(exc, sa.exc.SQLAlchemyError):
            reason = store_failure(exc) or str(exc)
            raise ConnectionError(f"store {display_url(url)}: {reason}") from None
        raise
    return StoreHandle(engine, lock)
