"""`driftmon results`: read stored results back, one record per window and column (JSON lines or CSV)."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import click

from driftmon.cli.app import main
from driftmon.cli.common import (
    config_files_option,
    database_url_option,
    fail,
    open_store,
    parse_time,
)
from driftmon.config import load_config

if TYPE_CHECKING:
    from driftmon.results import ResultRecord

# CSV columns besides each statistic's value, p-value and noise level, and its alert state.
_CSV_HEAD = (
    "monitor",
    "window_start",
    "window_end",
    "column",
    "kind",
    "role",
    "status",
    "n_reference",
    "n_live",
)


def result_records(monitor: str, columns: Iterable[ResultRecord]) -> list[dict[str, Any]]:
    """Return one JSON-ready record per stored window and column (the `run --json` column schema)."""
    return [
        {
            "monitor": monitor,
            "window_start": c.window_start.isoformat(),
            "window_end": c.window_end.isoformat(),
            **c.to_dict(),
        }
        for c in columns
    ]


def write_records(records: list[dict[str, Any]], statistics: tuple[str, ...], as_csv: bool) -> None:
    """Print records as JSON lines, or as CSV with one column per value (statistic, p-value, noise, alert)."""
    if not as_csv:
        for record in records:
            click.echo(json.dumps(record, allow_nan=False))
        return
    fields = [*_CSV_HEAD]
    for name in statistics:
        fields += [name, f"{name}_p_value", f"{name}_noise", f"{name}_alert"]
    fields.append("error")
    writer = csv.DictWriter(sys.stdout, fieldnames=fields, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for record in records:
        row = {key: record.get(key) for key in (*_CSV_HEAD, "error")}
        for name in statistics:
            row[name] = record.get(name)
            row[f"{name}_p_value"] = record["p_values"].get(name)
            row[f"{name}_noise"] = record["noise"].get(name)
            row[f"{name}_alert"] = record["alerts"].get(name)
        writer.writerow(row)


@main.command("results")
@config_files_option
@click.option("--monitor", "monitor_name", required=True, metavar="NAME", help="The monitor to read.")
@click.option(
    "--since", metavar="ISO8601", help="Windows starting at or after this time. Default: 7 days ago."
)
@click.option("--until", metavar="ISO8601", help="Windows ending at or before this time. Default: now.")
@click.option("--column", "column_names", multiple=True, metavar="NAME", help="Only this column; repeatable.")
@click.option("--csv", "as_csv", is_flag=True, help="Print CSV instead of JSON lines.")
@database_url_option
def results(
    config_files: tuple[str, ...],
    monitor_name: str,
    since: str | None,
    until: str | None,
    column_names: tuple[str, ...],
    as_csv: bool,
    database_url: str | None,
) -> None:
    """Print the stored results of a monitor's windows, oldest first, one line per window and column.

    Each record has every stored statistic, its p-value and no-drift noise level, the column's
    status and the alert state of each rule at that window (as the alert machine left it then).
    """
    from driftmon.store import window_results

    config = load_config(config_files)
    monitor = config.monitor(monitor_name)
    known = {c.name for c in monitor.columns}
    unknown = sorted(set(column_names) - known)
    if unknown:
        fail(
            f"monitor {monitor.name!r} has no column {', '.join(map(repr, unknown))}; "
            f"its columns: {', '.join(sorted(known))}"
        )
    now = datetime.now(UTC)
    hi = parse_time(until, "--until") if until else now
    lo = parse_time(since, "--since") if since else hi - timedelta(days=7)
    if lo >= hi:
        fail(f"--since {lo.isoformat()} is not before --until {hi.isoformat()}")
    with open_store(database_url, config) as sessions, sessions() as session:
        columns = window_results(session, monitor.name, lo, hi, columns=column_names or None)
    write_records(result_records(monitor.name, columns), tuple(monitor.statistics), as_csv)
