"""`driftmon check-config`: validate config files without running anything."""

from __future__ import annotations

import click

from driftmon.cli.app import main
from driftmon.cli.common import config_files_option, load

__all__ = ["check_config"]


@main.command("check-config")
@config_files_option
def check_config(config_files: tuple[str, ...]) -> None:
    """Validate config files and print OK, or every problem with its file, line and path."""
    config = load(config_files)
    names = ", ".join(m.name for m in config.monitors) or "none"
    click.echo(f"OK: {' + '.join(config_files)}: {len(config.monitors)} monitor(s): {names}")
