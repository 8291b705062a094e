"""`driftmon serve`: the long-running service (scheduler, /metrics, health probes, JSON API)."""

from __future__ import annotations

import click

from driftmon.cli.app import main
from driftmon.cli.common import config_files_option, database_url_option


@main.command("serve")
@config_files_option
@database_url_option
@click.option("--host", metavar="ADDRESS", help="Listen on this address instead of the config's server.host.")
@click.option(
    "--port",
    type=click.IntRange(1, 65535),
    metavar="PORT",
    help="Listen on this port instead of the config's server.port.",
)
@click.option(
    "--no-catch-up",
    is_flag=True,
    help="Run no window at start-up: each monitor's first scheduled tick (or "
    "POST /api/v1/monitors/NAME/runs) runs the windows it missed.",
)
def serve(
    config_files: tuple[str, ...],
    database_url: str | None,
    host: str | None,
    port: int | None,
    no_catch_up: bool,
) -> None:
    """Run every enabled monitor on its schedule and serve /metrics, /healthz, /readyz and the API.

    At start-up the metrics are loaded from the store and each monitor catches up on the windows
    it missed (at most scheduler.max_backfill_windows; with --no-catch-up, at its first scheduled
    tick instead). SIGTERM or Ctrl-C stops cleanly: no new
    runs, runs in flight finish within scheduler.shutdown_grace, exit status 0. SIGHUP reloads
    the config files (an invalid config is refused and the running one stays; --host and --port
    stay in force). A SQLite store is created or migrated as needed; PostgreSQL needs
    `driftmon db upgrade` first.
    """
    from driftmon.service import serve as run_service

    if host is not None and not host.strip():
        raise click.BadParameter("must not be empty", param_hint="--host")
    raise SystemExit(
        run_service(config_files, database_url=database_url, host=host, port=port, catch_up=not no_catch_up)
    )
