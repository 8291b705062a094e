"""`driftmon baseline fit` stores new baselines from a monitor's reference; `list` shows them."""

from __future__ import annotations

from datetime import UTC, datetime

import click

from driftmon.cli.app import main
from driftmon.cli.common import (
    config_files_option,
    database_url_option,
    fail,
    open_store,
)
from driftmon.config import load_config


@main.group()
def baseline() -> None:
    """Fit and list the frozen reference baselines that windows are compared with."""


@baseline.command("fit")
@config_files_option
@click.option("--monitor", "monitor_name", required=True, metavar="NAME", help="The monitor to fit.")
@click.option(
    "--column", "columns", multiple=True, metavar="NAME", help="Fit only this column; repeat for several."
)
@database_url_option
def baseline_fit(
    config_files: tuple[str, ...], monitor_name: str, columns: tuple[str, ...], database_url: str | None
) -> None:
    """Read the monitor's reference once and store a new active baseline version per column.

    Older versions stay stored. Runs score against the new versions from now on.
    """
    from driftmon.jobs import fit_baselines

    config = load_config(config_files)
    monitor = config.monitor(monitor_name)
    for name in columns:
        try:
            monitor.column(name)
        except KeyError as exc:
            fail(str(exc.args[0]))
    with open_store(database_url, config) as sessions:
        outcome = fit_baselines(monitor, sessions=sessions, now=datetime.now(UTC), columns=columns or None)
    span = f" in {outcome.span}" if outcome.span is not None else ""
    if outcome.error is not None:
        fail(f"monitor {monitor.name!r}: {outcome.error}")
    sample = " (bins fitted on a sample, counts exact)" if outcome.sampled else ""
    click.echo(f"{monitor.name}: reference {outcome.source}{span}: {outcome.rows} rows{sample}")
    for fitted in outcome.fitted:
        click.echo(
            f"  {fitted.column}: v{fitted.version}, {fitted.kind}, {fitted.n_bins} bins, {fitted.n} values"
        )
    for column, error in outcome.errors.items():
        click.echo(f"  {column}: {error}", err=True)
    if outcome.errors:
        fail(f"{len(outcome.errors)} column(s) of monitor {monitor.name!r} could not be fitted")


@baseline.command("list")
@config_files_option
@click.option(
    "--monitor", "monitor_names", multiple=True, metavar="NAME", help="Only this monitor; repeatable."
)
@click.option("--active", "active_only", is_flag=True, help="Only the active version of each column.")
@database_url_option
def baseline_list(
    config_files: tuple[str, ...], monitor_names: tuple[str, ...], active_only: bool, database_url: str | None
) -> None:
    """List stored baseline versions per monitor and column (* marks the active one)."""
    from driftmon.cli.tables import baseline_table
    from driftmon.store import list_baselines

    config = load_config(config_files)
    names = [config.monitor(n).name for n in monitor_names] or [m.name for m in config.monitors]
    with open_store(database_url, config) as sessions, sessions() as session:
        found = [b for name in names for b in list_baselines(session, name)]
    if active_only:
        found = [b for b in found if b.active]
    if not found:
        click.echo("no baselines stored yet; `driftmon baseline fit` or `driftmon run` fits them")
        return
    click.echo("\n".join(baseline_table(found)))
