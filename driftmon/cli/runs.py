"""`driftmon run` scores one window; `driftmon backfill` scores every window of a range."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import click

from driftmon.cli.app import main
from driftmon.cli.common import (
    config_files_option,
    database_url_option,
    fail,
    job_logs,
    open_store,
    parse_time,
    verbose_option,
)
from driftmon.config import load_config

if TYPE_CHECKING:  # imported when used: `driftmon --help` stays quick
    from driftmon.config import MonitorConfig
    from driftmon.windows import Window


def _window(monitor: MonitorConfig, window_end: str | None, now: datetime) -> Window:
    from driftmon.config import format_duration
    from driftmon.windows import is_complete, latest_complete_window, next_window_end, window_ending_at

    if window_end is None:
        return latest_complete_window(monitor, now)
    end = parse_time(window_end, "--window-end")
    window = window_ending_at(monitor, end)
    if window.end != end:
        later = next_window_end(monitor, window.end)
        fail(
            f"--window-end {end.isoformat()} is not a window boundary of monitor {monitor.name!r} "
            f"({monitor.window.label} windows); the nearest are "
            f"{window.end.isoformat()} and {later.isoformat()}"
        )
    if not is_complete(monitor, window, now):
        ready = window.end + monitor.window.delay
        fail(
            f"window {window} of monitor {monitor.name!r} is not complete until {ready.isoformat()} "
            f"(its end plus the {format_duration(monitor.window.delay)} delay for late data); "
            "scoring it now would store a partial window"
        )
    return window


@main.command("run")
@config_files_option
@click.option("--monitor", "monitor_name", required=True, metavar="NAME", help="The monitor to run.")
@click.option(
    "--window-end",
    metavar="ISO8601",
    help="End of the window to score (a window boundary). Default: the latest complete window.",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document instead of a table.")
@database_url_option
@verbose_option
def run(
    config_files: tuple[str, ...],
    monitor_name: str,
    window_end: str | None,
    as_json: bool,
    database_url: str | None,
    verbose: bool,
) -> None:
    """Score one window of a monitor, store it, and print every column's result.

    A window is stored once: running it again prints the stored result ("already done").
    The exit status is 1 when the run failed or some columns failed (partial), with the
    reasons on stderr. A SQLite store is created or migrated as needed; PostgreSQL needs
    `driftmon db upgrade` first.
    """
    from driftmon.cli.tables import run_report
    from driftmon.jobs import run_window
    from driftmon.windows import overlap_warning

    config = load_config(config_files)
    monitor = config.monitor(monitor_name)
    now = datetime.now(UTC)
    window = _window(monitor, window_end, now)
    warning = overlap_warning(monitor, window)
    if warning is not None:
        click.echo(f"warning: {warning}", err=True)
    with job_logs(verbose), open_store(database_url, config) as sessions:
        outcome = run_window(monitor, window, sessions=sessions, now=now)
    if as_json:
        click.echo(json.dumps(outcome.to_dict(), indent=2, allow_nan=False))
    else:
        click.echo("\n".join(run_report(outcome)))
    if outcome.status in ("failed", "partial"):
        failed = outcome.failed_columns
        # Failed columns are listed with their reasons above (or in the JSON); say it once.
        reason = f"{len(failed)} of {len(outcome.columns)} columns failed" if failed else outcome.error
        fail(f"monitor {monitor.name!r} window {window}: {outcome.status}: {reason}")


def _overlap_warning(monitor: MonitorConfig, windows: list[Window]) -> str | None:
    """Return one line naming the windows of a backfill that overlap the reference, or None."""
    from driftmon.windows import reference_overlap

    overlapping = [w for w in windows if reference_overlap(monitor, w) is not None]
    if not overlapping:
        return None
    span = reference_overlap(monitor, overlapping[0])
    which = str(overlapping[0]) if len(overlapping) == 1 else f"{overlapping[0]} to {overlapping[-1]}"
    return (
        f"warning: monitor {monitor.name!r}: {len(overlapping)} of {len(windows)} windows ({which}) "
        f"overlap its reference period {span}; rows in both are compared with themselves, "
        "so drift is understated"
    )


def _range(
    monitor: MonitorConfig, start: str | None, end: str | None, last: int | None, now: datetime
) -> tuple[datetime, datetime]:
    from driftmon.windows import latest_complete_window, windows_ending_by

    if last is not None:
        if start is not None or end is not None:
            raise click.UsageError("give --last N, or --start and --end, not both")
        newest = latest_complete_window(monitor, now).end
        windows = windows_ending_by(monitor, newest, last)
        return (windows[0].start, newest) if windows else (newest, newest)
    if start is None or end is None:
        raise click.UsageError("give --start and --end (ISO 8601), or --last N")
    lo, hi = parse_time(start, "--start"), parse_time(end, "--end")
    if lo >= hi:
        fail(f"--start {lo.isoformat()} is not before --end {hi.isoformat()}")
    return lo, hi


@main.command("backfill")
@config_files_option
@click.option(
    "--monitor",
    "monitor_names",
    multiple=True,
    metavar="NAME",
    help="The monitor to backfill; repeat for several. Default: every enabled monitor.",
)
@click.option("--start", metavar="ISO8601", help="Score the windows that start at or after this time...")
@click.option("--end", metavar="ISO8601", help="...and end at or before this time.")
@click.option(
    "--last", type=click.IntRange(min=1), metavar="N", help="Instead: the N latest complete windows."
)
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print one JSON line per window and column of the range (stored ones too) instead of a summary.",
)
@database_url_option
@verbose_option
def backfill(
    config_files: tuple[str, ...],
    monitor_names: tuple[str, ...],
    start: str | None,
    end: str | None,
    last: int | None,
    as_json: bool,
    database_url: str | None,
    verbose: bool,
) -> None:
    """Score every complete window of a range, oldest first, skipping windows already stored.

    Windows that failed before are run again; windows not yet complete (still open, or within
    the monitor's delay for late data) are left for later. Exit status 1 if any run failed.
    With --json, each window and column of the range is printed as `driftmon results` prints it:
    values, p-values, noise levels, status and the alert state of that window.
    """
    from driftmon.cli.results import result_records, write_records
    from driftmon.jobs import RunOutcome, backfill_windows
    from driftmon.jobs import backfill as run_backfill
    from driftmon.store import window_results

    config = load_config(config_files)
    monitors = [config.monitor(n) for n in monitor_names] or [m for m in config.monitors if m.enabled]
    if not monitors:
        fail("the configuration has no enabled monitor to backfill")
    now = datetime.now(UTC)
    failures = 0
    with job_logs(verbose), open_store(database_url, config) as sessions:
        for monitor in monitors:
            lo, hi = _range(monitor, start, end, last, now)
            windows = backfill_windows(monitor, lo, hi, now=now)[0] if lo < hi else []
            if not windows:
                if not as_json:
                    click.echo(f"{monitor.name}: no complete window in [{lo.isoformat()}, {hi.isoformat()})")
                continue
            warning = _overlap_warning(monitor, windows)
            if warning is not None:
                click.echo(warning, err=True)
            # A bar on a terminal only: piped, logged or with --json, the output is the lines below alone.
            hidden = as_json or not sys.stderr.isatty()
            with click.progressbar(
                length=len(windows), label=monitor.name, show_pos=True, file=sys.stderr, hidden=hidden
            ) as bar:

                def advance(window: Window, outcome: RunOutcome | None) -> None:
                    bar.update(1)

                # --last N starts at the source's first row; an explicit range is scored as asked.
                outcome = run_backfill(
                    monitor,
                    lo,
                    hi,
                    sessions=sessions,
                    now=now,
                    progress=advance,
                    from_first_row=last is not None,
                )
            failures += len(outcome.failed)
            if as_json:
                with sessions() as session:
                    records = result_records(monitor.name, window_results(session, monitor.name, lo, hi))
                write_records(records, tuple(monitor.statistics), as_csv=False)
                for failed in outcome.runs:
                    if failed.status in ("failed", "partial"):
                        click.echo(
                            f"{monitor.name} {failed.window}: {failed.status}: {failed.error}", err=True
                        )
                continue
            statuses = ", ".join(
                f"{n} {s}"
                for s in ("succeeded", "partial", "insufficient_data", "failed")
                if (n := outcome.count(s))
            )
            alerts = sum(len(r.transitions) for r in outcome.runs)
            click.echo(
                f"{monitor.name}: {len(outcome.windows)} windows: {len(outcome.runs)} ran"
                f"{f' ({statuses})' if statuses else ''}, {len(outcome.skipped)} already stored, "
                f"{alerts} alert transitions"
                + (f", {len(outcome.before_data)} before the data starts" if outcome.before_data else "")
            )
            for failed in outcome.runs:
                if failed.status in ("failed", "partial"):
                    click.echo(f"  {failed.window}: {failed.status}: {failed.error}", err=True)
    if failures:
        fail(f"{failures} window(s) failed; run the backfill again to retry them")
