"""`driftmon check-config`: validate config files without running anything (`--connect`: and sources)."""

from __future__ import annotations

from datetime import UTC, datetime

import click

from driftmon.cli.app import main
from driftmon.cli.common import config_files_option
from driftmon.config import MonitorConfig, load_config


@main.command("check-config")
@config_files_option
@click.option(
    "--connect",
    is_flag=True,
    help="Also open each enabled monitor's live source and reference: reachable, every column "
    "there (and the timestamp column where needed), numeric columns holding numbers. Reads "
    "schemas and a few rows only.",
)
def check_config(config_files: tuple[str, ...], connect: bool) -> None:
    """Validate config files and print OK, or every problem with its file, line and path.

    Each monitor's line says which statistics it alerts on. A monitor whose latest complete
    window overlaps its fixed reference period gets a warning on stderr (its scores would
    compare reference rows with themselves); the status stays 0. With --connect, every problem
    found in a source is printed with its monitor, column and source (file path, or table or
    query with the password hidden); the exit status is 1 if any.
    """
    from driftmon.errors import WindowError
    from driftmon.windows import latest_complete_window, overlap_warning

    config = load_config(config_files)
    names = ", ".join(m.name for m in config.monitors) or "none"
    click.echo(f"OK: {' + '.join(config_files)}: {len(config.monitors)} monitor(s): {names}")
    now = datetime.now(UTC)
    for monitor in config.monitors:
        click.echo(f"  {monitor.name}: {alert_summary(monitor)}")
        if not monitor.enabled:
            continue
        try:
            warning = overlap_warning(monitor, latest_complete_window(monitor, now))
        except WindowError:  # a cron schedule that has not fired yet: no window to overlap
            continue
        if warning is not None:
            click.echo(f"warning: {warning} (the latest complete window)", err=True)
    if not connect:
        return
    from driftmon.jobs import check_monitor_sources

    checked = [m for m in config.monitors if m.enabled]
    problems = [p for m in checked for p in check_monitor_sources(m)]
    for problem in problems:
        click.echo(f"error: {problem}", err=True)
    skipped = len(config.monitors) - len(checked)
    note = f" ({skipped} disabled monitor(s) not checked)" if skipped else ""
    if problems:
        click.echo(f"{len(problems)} problem(s) in the sources of {len(checked)} monitor(s){note}", err=True)
        raise SystemExit(1)
    click.echo(f"OK: the sources of {len(checked)} monitor(s) are reachable and have every column{note}")


def alert_summary(monitor: MonitorConfig) -> str:
    """Say which alert rules a monitor's columns have, so a monitor that can never alert is plain."""
    columns = monitor.all_column_settings()
    ruled = sorted({name for c in columns for name in c.alerts})
    if not ruled:
        return "alerts off: no column has an alert rule (it never alerts)"
    silent = [c.name for c in columns if not c.alerts]
    custom = monitor.alerts != {} or any(c.alerts for c in monitor.columns)
    text = f"alerts on {', '.join(ruled)}" + (" (custom rules)" if custom else " (the default policy)")
    return text + (f"; no alert rule for {', '.join(silent)}" if silent else "")
