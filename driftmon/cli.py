"""The `driftmon` command line."""

from __future__ import annotations

import click

from driftmon import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="driftmon")
def main() -> None:
    """driftmon: distribution-drift monitoring for production ML models."""
