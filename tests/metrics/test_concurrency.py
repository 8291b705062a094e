"""Runs applied on worker threads while scrapes read: every scrape sees whole runs, none is lost."""

from __future__ import annotations

import threading
from collections.abc import Callable

from driftmon.metrics import AlertValue, MetricsSnapshot

from .helpers import HOUR, T0, Parsed, column_values, monitor_spec, parse, run_values, series, value

MONITORS = [f"m{i}" for i in range(4)]
COLUMNS = [f"c{i}" for i in range(5)]
RUNS = 60
ROWS = 7


def check_whole_runs(parsed: Parsed) -> int:
    """Assert each monitor shows whole runs only; return the runs counted over all monitors."""
    total = 0
    for monitor in MONITORS:
        runs = sum(
            v
            for lbl, v in series(parsed, "driftmon_monitor_runs_total").items()
            if ("monitor", monitor) in lbl
        )
        assert value(parsed, "driftmon_monitor_run_duration_seconds_count", monitor=monitor) == runs
        assert value(parsed, "driftmon_monitor_rows_read_total", monitor=monitor) == ROWS * runs
        ends = {
            v
            for lbl, v in series(parsed, "driftmon_column_window_end_timestamp_seconds").items()
            if ("monitor", monitor) in lbl
        }
        if runs:
            # Every column and the monitor moved together, to the end of window number `runs`.
            assert ends == {(T0 + runs * HOUR).timestamp()}
            assert (
                value(parsed, "driftmon_monitor_last_window_end_timestamp_seconds", monitor=monitor)
                == (T0 + runs * HOUR).timestamp()
            )
            states = {
                v
                for lbl, v in series(parsed, "driftmon_column_alert_state").items()
                if ("monitor", monitor) in lbl and ("statistic", "psi") in lbl
            }
            assert states == {runs % 3}
        else:
            assert not ends
        total += int(runs)
    return total


def test_scrapes_during_runs_see_whole_runs_and_the_final_counts_are_exact() -> None:
    snapshot = MetricsSnapshot([monitor_spec(m, COLUMNS) for m in MONITORS])
    writers_done = threading.Event()
    start = threading.Barrier(len(MONITORS) + 2)
    errors: list[BaseException] = []
    scrapes = {"first": 0, "second": 0}

    def guarded(work: Callable[[], None]) -> Callable[[], None]:
        def run() -> None:
            try:
                start.wait()
                work()
            except BaseException as exc:  # reported by the main thread
                errors.append(exc)
                writers_done.set()

        return run

    def writer(monitor: str) -> Callable[[], None]:
        def work() -> None:
            for i in range(RUNS):
                end = T0 + (i + 1) * HOUR
                snapshot.apply_run(
                    run_values(monitor, T0 + i * HOUR, rows=ROWS),
                    duration_seconds=0.5,
                    columns=[column_values(monitor, c, end, seed=i / RUNS) for c in COLUMNS],
                    alerts=[AlertValue(monitor, c, "psi", (i + 1) % 3) for c in COLUMNS],
                )

        return work

    def reader(kind: str, scrape: Callable[[], bytes]) -> Callable[[], None]:
        def work() -> None:
            last = 0
            while not writers_done.is_set() or scrapes[kind] == 0:
                counted = check_whole_runs(parse(scrape()))
                assert counted >= last, "a scrape went back in time"
                last = counted
                scrapes[kind] += 1

        return work

    threads = [threading.Thread(target=guarded(writer(m))) for m in MONITORS]
    threads += [
        threading.Thread(target=guarded(reader("first", snapshot.exposition))),
        threading.Thread(target=guarded(reader("second", snapshot.exposition))),
    ]
    for thread in threads:
        thread.start()
    for thread in threads[: len(MONITORS)]:
        thread.join()
    writers_done.set()
    for thread in threads[len(MONITORS) :]:
        thread.join()
    assert not errors, errors
    assert check_whole_runs(parse(snapshot.exposition())) == RUNS * len(MONITORS)
    assert scrapes["first"] >= 1
    assert scrapes["second"] >= 1
