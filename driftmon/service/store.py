"""The service's store: opened and checked at start-up, watched while running, pruned by retention."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from driftmon.config import Config
from driftmon.jobs.errors import store_failure
from driftmon.metrics import MetricsSnapshot
from driftmon.store import (
    current_revision,
    delete_results_older_than,
    display_url,
    ensure_at_head,
    head_revision,
    make_engine,
    resolve_database_url,
    session_factory,
)

__all__ = ["StoreHandle", "open_store"]

log = logging.getLogger(__name__)


class StoreHandle:
    """The engine and sessions of the store, with the checks readiness and metrics need."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
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


def open_store(config: Config, database_url: str | None = None) -> StoreHandle:
    """Open the store at its schema head: a SQLite file is created or migrated, PostgreSQL must be at head.

    The URL is `database_url`, else $DRIFTMON_DATABASE_URL, else the config's database.url.
    Raises StoreError (unusable URL, schema not at head) or ConnectionError (unreachable).
    """
    url = resolve_database_url(database_url, configured=config.database.url.get_secret_value())
    engine = make_engine(url)
    try:
        ensure_at_head(engine, auto_upgrade=engine.dialect.name == "sqlite")
    except sa.exc.SQLAlchemyError as exc:
        engine.dispose()
        reason = store_failure(exc) or str(exc)
        raise ConnectionError(f"store {display_url(url)}: {reason}") from None
    except Exception:
        engine.dispose()
        raise
    return StoreHandle(engine)
