"""The `driftmon` command line."""

from __future__ import annotations

import click

from driftmon import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="driftmon")
def main() -> None:
    """driftmon: distribution-drift monitoring for production ML models."""


@main.command("check-config")
@click.option(
    "-c",
    "--config",
    "config_files",
    multiple=True,
    required=True,
    metavar="FILE",
    help="Config file; repeat to merge several (later files win).",
)
def check_config(config_files: tuple[str, ...]) -> None:
    """Validate config files and print OK, or every problem with its file, line and path."""
    from driftmon.config import load_config
    from driftmon.errors import ConfigError

    try:
        config = load_config(config_files)
    except ConfigError as exc:
        click.echo(str(exc), err=True)
        raise SystemExit(1) from None
    names = ", ".join(m.name for m in config.monitors) or "none"
    click.echo(f"OK: {' + '.join(config_files)}: {len(config.monitors)} monitor(s): {names}")
