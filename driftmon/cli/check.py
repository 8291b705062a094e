"""`driftmon check-config`: validate config files without running anything (`--connect`: and sources)."""

from __future__ import annotations

import click

from driftmon.cli.app import main
from driftmon.cli.common import config_files_option, load

__all__ = ["check_config"]


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

    With --connect, every problem found in a source is printed with its monitor, column and
    source (file path, or table or query with the password hidden); the exit status is 1 if any.
    """
    config = load(config_files)
    names = ", ".join(m.name for m in config.monitors) or "none"
    click.echo(f"OK: {' + '.join(config_files)}: {len(config.monitors)} monitor(s): {names}")
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
