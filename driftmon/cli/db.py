"""`driftmon db`: schema migrations and retention of the store."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import click

from driftmon.cli.app import main
from driftmon.cli.common import database_url_option, fail

if TYPE_CHECKING:
    from sqlalchemy import Engine

_database_config_option = click.option(
    "-c",
    "--config",
    "config_files",
    multiple=True,
    metavar="FILE",
    help="Config file whose database settings to use; repeat to merge several.",
)


def _store_settings(database_url: str | None, config_files: tuple[str, ...]) -> tuple[str, int | None]:
    """Return the database URL (flag, env, config, default) and the configured retention in days."""
    from driftmon.store import resolve_database_url

    configured_url, retention_days = None, None
    if config_files:
        from driftmon.config import load_config

        config = load_config(config_files)
        configured_url = config.database.url.get_secret_value()
        retention_days = config.database.retention_days
    return resolve_database_url(database_url, configured=configured_url), retention_days


@contextmanager
def _engine(url: str, doing: str) -> Iterator[Engine]:
    """Yield an engine on `url`, disposed after; exit 1 with `cannot <doing> <url>: <why>` on failure."""
    import sqlalchemy as sa

    from driftmon.store import StoreError, display_url, make_engine

    try:
        engine = make_engine(url)
        try:
            yield engine
        finally:
            engine.dispose()
    except (StoreError, sa.exc.SQLAlchemyError) as exc:
        fail(f"cannot {doing} {display_url(url)}: {exc}")


@main.group()
def db() -> None:
    """Manage the store: schema migrations and retention."""


@db.command("upgrade")
@database_url_option
@_database_config_option
@click.option("--revision", default="head", show_default=True, help="Alembic revision to migrate to.")
def db_upgrade(database_url: str | None, config_files: tuple[str, ...], revision: str) -> None:
    """Create or migrate the driftmon tables (safe to run again: it does nothing at head)."""
    from driftmon.store import current_revision, display_url, upgrade

    url, _ = _store_settings(database_url, config_files)
    with _engine(url, "upgrade") as engine:
        before = current_revision(engine)
        upgrade(engine, revision)
        after = current_revision(engine)
    click.echo(f"{display_url(url)}: {before or 'empty'} -> {after}")


@db.command("current")
@database_url_option
@_database_config_option
@click.option("--check", is_flag=True, help="Exit with status 1 unless the database is at head.")
def db_current(database_url: str | None, config_files: tuple[str, ...], check: bool) -> None:
    """Print the database's schema revision and whether it is at head."""
    from driftmon.store import current_revision, display_url, head_revision

    url, _ = _store_settings(database_url, config_files)
    with _engine(url, "read") as engine:
        current, head = current_revision(engine), head_revision()
    state = "at head" if current == head else f"head is {head}: run `driftmon db upgrade`"
    click.echo(f"{display_url(url)}: {current or 'empty (no driftmon tables)'} ({state})")
    if check and current != head:
        raise SystemExit(1)


@db.command("prune")
@database_url_option
@_database_config_option
@click.option(
    "--days", type=click.IntRange(min=1), help="Keep this many days. Default: database.retention_days."
)
def db_prune(database_url: str | None, config_files: tuple[str, ...], days: int | None) -> None:
    """Delete runs, results and alert events older than the retention period (baselines stay)."""
    from datetime import UTC, datetime

    from driftmon.store import delete_results_older_than, display_url, ensure_at_head, session_factory

    url, retention_days = _store_settings(database_url, config_files)
    keep = days or retention_days
    if keep is None:
        raise click.UsageError("give --days N, or set database.retention_days in the config given with -c")
    with _engine(url, "prune") as engine:
        ensure_at_head(engine)
        with session_factory(engine)() as session, session.begin():
            report = delete_results_older_than(session, keep, now=datetime.now(UTC))
    click.echo(
        f"{display_url(url)}: deleted {report.runs} runs, {report.results} column results and "
        f"{report.alert_events} alert events older than {report.cutoff.isoformat()} (kept {keep} days)"
    )
