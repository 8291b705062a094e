"""What the commands share: config and store options, opening the store, times, failing clearly.

Any DriftmonError a command lets through is reported by the command group (driftmon.cli.app).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, NoReturn

import click

if TYPE_CHECKING:  # imported when used: `driftmon --help` stays quick
    from sqlalchemy.orm import Session, sessionmaker

    from driftmon.config import Config

config_files_option = click.option(
    "-c",
    "--config",
    "config_files",
    multiple=True,
    required=True,
    metavar="FILE",
    help="Config file; repeat to merge several (later files win).",
)
database_url_option = click.option(
    "--database-url",
    metavar="URL",
    help="SQLAlchemy URL of the store. Default: $DRIFTMON_DATABASE_URL, else the config's "
    "database.url, else the SQLite file driftmon.sqlite beside the first config file "
    "(./driftmon.sqlite without one).",
)

verbose_option = click.option(
    "-v", "--verbose", is_flag=True, help="Also log what the jobs do (baselines fitted, runs) on stderr."
)


@contextmanager
def job_logs(verbose: bool) -> Iterator[None]:
    """Show the jobs' log lines only when asked: the commands print every outcome themselves."""
    logger = logging.getLogger("driftmon.jobs")
    handler = logging.StreamHandler() if verbose else logging.NullHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    saved = logger.level, logger.propagate
    logger.addHandler(handler)
    logger.setLevel(logging.INFO if verbose else logging.WARNING)
    logger.propagate = False
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(saved[0])
        logger.propagate = saved[1]


def fail(message: str) -> NoReturn:
    """Print `error: message` on stderr and exit with status 1."""
    click.echo(f"error: {message}", err=True)
    raise SystemExit(1)


def parse_time(value: str, option: str) -> datetime:
    """Parse an ISO 8601 time for `option` (a time without an offset is UTC), or exit 1."""
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        fail(
            f"{option} {value!r} is not an ISO 8601 time such as 2024-05-01T10:00:00Z "
            "(a time without an offset is read as UTC)"
        )
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


@contextmanager
def open_store(database_url: str | None, config: Config | None = None) -> Iterator[sessionmaker[Session]]:
    """Yield sessions on the store, its schema at head; exit 1 with the reason if it is unusable.

    A SQLite store is created or migrated on the spot (it is driftmon's own embedded file); a
    PostgreSQL store must already be at head: `driftmon db upgrade` migrates it, deliberately.
    """
    import sqlalchemy as sa

    from driftmon.store import (
        StoreError,
        current_revision,
        display_url,
        ensure_at_head,
        head_revision,
        make_engine,
        resolve_database_url,
        session_factory,
    )

    configured = config.database.url.get_secret_value() if config is not None else None
    url = resolve_database_url(database_url, configured=configured)
    shown = display_url(url)
    engine: Any = None
    try:
        engine = make_engine(url)
        if engine.dialect.name == "sqlite":
            before = current_revision(engine)
            ensure_at_head(engine, auto_upgrade=True)
            if before != head_revision():
                click.echo(f"store {shown}: schema {before or 'created'} -> {head_revision()}", err=True)
        else:
            ensure_at_head(engine)
    except (StoreError, sa.exc.SQLAlchemyError) as exc:
        if engine is not None:
            engine.dispose()
        if isinstance(exc, StoreError):
            from driftmon.demo import explained

            fail(str(explained(exc)))
        from driftmon.jobs.errors import first_line

        fail(f"store {shown}: {first_line(exc)}")
    try:
        yield session_factory(engine)
    finally:
        engine.dispose()
