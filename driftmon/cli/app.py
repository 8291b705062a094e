"""The `driftmon` command group; each command lives in its own module of driftmon.cli."""

from __future__ import annotations

from typing import Any

import click

from driftmon import __version__
from driftmon.cli.common import fail
from driftmon.errors import ConfigError, DriftmonError


class _Commands(click.Group):
    """The command group that turns any of driftmon's own errors into a message and exit status 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ConfigError as exc:  # its message lists every problem, each with its file and line
            click.echo(str(exc), err=True)
            raise SystemExit(1) from None
        except DriftmonError as exc:
            fail(str(exc))


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="driftmon")
def main() -> None:
    """driftmon: distribution-drift monitoring for production ML models.

    Exit status: 0 when the command did what was asked; 1 with a message on stderr when it could
    not (an invalid config file, an unknown monitor, a failed run or fit, an unusable store);
    2 for a bad command line (a missing or unknown option).
    """
