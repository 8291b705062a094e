"""`driftmon demo`: write the demo data that config/demo.yaml watches."""

from __future__ import annotations

import shlex

import click

from driftmon.cli.app import main
from driftmon.cli.common import parse_time


@main.command("demo")
@click.option(
    "--dir",
    "directory",
    default="driftmon-demo",
    show_default=True,
    metavar="DIR",
    help="Where to write the data. config/demo.yaml reads $DRIFTMON_DEMO_DIR, by default the "
    "driftmon-demo directory beside config/: run from the repository root, both agree.",
)
@click.option("--now", metavar="ISO8601", help="Generate as if it were this time. Default: now.")
@click.option("--force", is_flag=True, help="Write the data again even if it is up to date.")
def demo(directory: str, now: str | None, force: bool) -> None:
    """Write demo data: two models' events as Parquet, with drift in some columns (idempotent).

    Live events cover the two days before and after the current hour; from 12 hours before it
    the checkout model's `amount`, `country`, `session_seconds` and `fraud_score` drift while
    its other columns and the churn model stay stable. Existing data is kept while it still
    reaches 12 hours ahead; new data replaces it together with the demo's own store.
    """
    from driftmon.demo import DEMO_DIR, generate_demo

    moment = parse_time(now, "--now") if now is not None else None
    data = generate_demo(directory, now=moment, force=force)
    verb = "wrote" if data.generated else "up to date:"
    click.echo(
        f"{verb} {data.directory}/ events {data.live_start.isoformat()} .. {data.live_end.isoformat()}, "
        f"drift from {data.drift_start.isoformat()}"
    )
    if data.removed_database:
        click.echo(f"removed the old demo store {data.database} (its results described the old data)")
    if data.generated:
        # config/demo.yaml resolves a relative $DRIFTMON_DEMO_DIR from config/: name it absolutely.
        env = (
            ""
            if directory == DEMO_DIR
            else f"DRIFTMON_DEMO_DIR={shlex.quote(str(data.directory.resolve()))} "
        )
        click.echo("next:")
        click.echo(f"  {env}driftmon serve -c config/demo.yaml")
        click.echo("or, without the server:")
        click.echo(f"  {env}driftmon backfill -c config/demo.yaml --last 24")
        click.echo(f"  {env}driftmon run -c config/demo.yaml --monitor checkout-fraud")
