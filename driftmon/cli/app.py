"""The `driftmon` command group; each command lives in its own module of driftmon.cli."""

from __future__ import annotations

import click

from driftmon import __version__

__all__ = ["main"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="driftmon")
def main() -> None:
    """driftmon: distribution-drift monitoring for production ML models.

    Exit status: 0 when the command did what was asked; 1 with a message on stderr when it could
    not (an invalid config file, an unknown monitor, a failed run or fit, an unusable store);
    2 for a bad command line (a missing or unknown option).
    """
