"""Store throughput and the latest-results read, on SQLite and PostgreSQL.

Run: .venv/bin/python -m tests.benchmarks.bench_store [URL ...] [--monitors 1000] [--columns 50]
     [--history 20]

Without URLs it benchmarks a fresh SQLite file and, when DRIFTMON_TEST_POSTGRES_URL is set, a
fresh PostgreSQL database created on that server (dropped afterwards). A URL given on the
command line must point at an empty database.

The measured writes go through the public API as a job makes them: claim_run in one
transaction, then finish_run with all column results in a second one, for one window of every
monitor (1,000 runs x 50 columns by default). Before that, baselines are stored through the
API for the first monitors (timed) and copied by bulk insert for the rest, and each monitor
gets `history` older windows by bulk insert (not a figure of the API), so the read runs
against (history + 1) x monitors x columns stored results. The latest-results read (one result
per (monitor, column)) is timed through latest_results(), one plain query on latest_results
that builds a ResultRecord per series. Baselines measured in the same run: the same table's
rows as SQLAlchemy rows (what a SQL client pays), its result ids alone, and the same answer
computed from the full history with a window function.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session, sessionmaker

from driftmon.core import compare, count_values, fit_numeric_bins
from driftmon.jobs import column_result
from driftmon.results import ResultRecord
from driftmon.store import (
    BaselineRecord,
    add_baseline,
    claim_run,
    display_url,
    finish_run,
    latest_results,
    list_baselines,
    make_engine,
    session_factory,
    upgrade,
)
from driftmon.store.models import Baseline, ColumnResult, LatestResult, Monitor, Run
from driftmon.store.results import result_rows
from driftmon.store.types import Base
from driftmon.windows import Window

SEED = 20260101
GOAL_READ_SECONDS = 0.200
T0 = datetime(2026, 1, 1, tzinfo=UTC)
HOUR = timedelta(hours=1)
# The window a prepared result names (the store takes each run's own).
WINDOW = Window(T0, T0 + HOUR)
STALE = timedelta(minutes=30)


@contextmanager
def fresh_postgres(server_url: str) -> Iterator[str]:
    name = f"driftmon_bench_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def column_templates(n_columns: int, rng: np.random.Generator) -> list[tuple[np.ndarray, list[np.ndarray]]]:
    """Per column: reference values and a few live samples (some drifted) to cycle through."""
    out = []
    for c in range(n_columns):
        reference = rng.normal(0.0, 1.0, 2000)
        lives = [rng.normal(0.05 * (c % 7) * k, 1.0, 500) for k in range(3)]
        out.append((reference, lives))
    return out


API_BASELINE_MONITORS = 20


def fit_baselines(
    sessions: sessionmaker[Session], monitors: list[str], templates: list[tuple[np.ndarray, list[np.ndarray]]]
) -> tuple[dict[str, list[BaselineRecord]], float]:
    """Store baselines through the API for the first monitors, bulk-copy them for the rest."""
    specs = [fit_numeric_bins(reference) for reference, _ in templates]
    counts = [
        count_values(spec, reference).counts for spec, (reference, _) in zip(specs, templates, strict=True)
    ]
    out: dict[str, list[BaselineRecord]] = {}
    start = time.perf_counter()
    for monitor in monitors[:API_BASELINE_MONITORS]:
        with sessions() as s, s.begin():
            out[monitor] = [
                add_baseline(
                    s, monitor, f"feature_{c:02d}", spec, counts[c], reference={"bench": True}, fitted_at=T0
                )
                for c, spec in enumerate(specs)
            ]
    per_second = min(len(monitors), API_BASELINE_MONITORS) * len(specs) / (time.perf_counter() - start)
    rest = monitors[API_BASELINE_MONITORS:]
    if rest:
        with sessions() as s, s.begin():
            s.execute(sa.insert(Monitor), [{"name": m, "created_at": T0, "updated_at": T0} for m in rest])
            ids = dict(s.execute(sa.select(Monitor.name, Monitor.id).where(Monitor.name.in_(rest))).all())
            template = s.execute(
                sa.select(Baseline).where(Baseline.id.in_([b.id for b in out[monitors[0]]]))
            ).scalars()
            columns = [c.key for c in sa.inspect(Baseline).columns if c.key not in ("id", "monitor_id")]
            rows = [{k: getattr(b, k) for k in columns} for b in template]
            s.execute(sa.insert(Baseline), [row | {"monitor_id": ids[m]} for m in rest for row in rows])
            stored = s.execute(
                sa.select(Monitor.name, Baseline.column_name)
                .join(Monitor, Monitor.id == Baseline.monitor_id)
                .where(Monitor.name.in_(rest))
            ).all()
        assert len(stored) == len(rest) * len(specs)
        with sessions() as s:
            for monitor in rest:
                out[monitor] = list_baselines(s, monitor)
    return out, per_second


def fill_history(
    sessions: sessionmaker[Session], prepared: dict[str, list[list[ResultRecord]]], history: int
) -> None:
    """Store `history` older succeeded windows per monitor by bulk insert (older than the measured one)."""
    with sessions() as s, s.begin():
        ids = dict(s.execute(sa.select(Monitor.name, Monitor.id)).all())
        templates = {
            m: [result_rows(s, m, ids[m], 0, results) for results in kinds] for m, kinds in prepared.items()
        }
    for window in range(history):
        start = T0 - (history - window) * HOUR
        with sessions() as s, s.begin():
            s.execute(
                sa.insert(Run),
                [
                    {
                        "monitor_id": ids[m],
                        "window_start": start,
                        "window_end": start + HOUR,
                        "status": "succeeded",
                        "started_at": start + HOUR,
                        "finished_at": start + HOUR,
                        "attempts": 1,
                        "rows_read": 500,
                    }
                    for m in prepared
                ],
            )
            run_ids = s.execute(sa.select(Run.monitor_id, Run.id).where(Run.window_start == start)).all()
            by_monitor = dict(run_ids)
            rows = [
                row | {"run_id": by_monitor[ids[m]]} for m in prepared for row in templates[m][window % 3]
            ]
            s.execute(sa.insert(Base.metadata.tables["column_results"]), rows)


def write_window(
    sessions: sessionmaker[Session], monitor: str, start: datetime, results: list[ResultRecord]
) -> None:
    with sessions() as s, s.begin():
        claim = claim_run(s, monitor, start, start + HOUR, now=start + HOUR, stale_after=STALE)
    with sessions() as s, s.begin():
        finish_run(s, claim, status="succeeded", finished_at=start + HOUR, results=results, rows_read=500)


def timed(run: Callable[[], object], repeats: int) -> tuple[float, float]:
    run()  # warm the caches: a snapshot rebuild at start-up reads warm pages after the first scrape
    seconds = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        seconds.append(time.perf_counter() - start)
    return min(seconds), statistics.median(seconds)


def cpu_probe_ms() -> float:
    """Time sum(range(10**7)): about 150-200 ms on an idle modern core; more means a busy machine."""
    start = time.perf_counter()
    sum(range(10**7))
    return (time.perf_counter() - start) * 1000


def naive_latest_sql() -> sa.Select[tuple[int]]:
    ranked = sa.select(
        ColumnResult.id,
        sa.func.row_number()
        .over(partition_by=(Run.monitor_id, ColumnResult.column_name), order_by=Run.window_end.desc())
        .label("rank"),
    ).join(Run, Run.id == ColumnResult.run_id)
    sub = ranked.subquery()
    return sa.select(sub.c.id).where(sub.c.rank == 1)


def bench(url: str, n_monitors: int, n_columns: int, history: int, repeats: int) -> None:
    engine: Engine = make_engine(url)
    try:
        upgrade(engine)
        sessions = session_factory(engine)
        with sessions() as s:
            if s.execute(sa.select(sa.func.count()).select_from(Run)).scalar_one():
                raise SystemExit(f"{display_url(url)} already holds runs: give an empty database")
        rng = np.random.default_rng(SEED)
        templates = column_templates(n_columns, rng)
        monitors = [f"monitor_{m:04d}" for m in range(n_monitors)]
        series = n_monitors * n_columns
        print(
            f"\n{engine.dialect.name}: {display_url(url)}  (load average {os.getloadavg()[0]:.1f}, "
            f"CPU probe {cpu_probe_ms():.0f} ms)"
        )
        print(
            f"  {n_monitors} monitors x {n_columns} columns; {history} older windows each, "
            "then the measured one"
        )

        baselines, per_second = fit_baselines(sessions, monitors, templates)
        print(f"  add_baseline(): {per_second:,.0f} baselines/s (first {API_BASELINE_MONITORS} monitors)")
        # Scoring is the job's work, not the store's: comparisons are computed once per column and
        # window kind (every monitor has the same bins), before the clock starts.
        first = baselines[monitors[0]]
        comparisons = [
            [
                compare(b.histogram, count_values(b.spec, lives[kind]))
                for b, (_, lives) in zip(first, templates, strict=True)
            ]
            for kind in range(3)
        ]
        prepared = {
            m: [
                [
                    column_result(c, b, monitor=m, window=WINDOW)
                    for c, b in zip(comparisons[kind], baselines[m], strict=True)
                ]
                for kind in range(3)
            ]
            for m in monitors
        }
        begin = time.perf_counter()
        fill_history(sessions, prepared, history)
        print(
            f"  history by bulk insert: {history * series:,} results in {time.perf_counter() - begin:.1f} s"
        )

        begin = time.perf_counter()
        for monitor in monitors:
            write_window(sessions, monitor, T0, prepared[monitor][history % 3])
        seconds = time.perf_counter() - begin
        print(
            f"  claim_run + finish_run: {n_monitors} runs x {n_columns} columns in {seconds:.2f} s = "
            f"{n_monitors / seconds:,.0f} runs/s, {series / seconds:,.0f} results/s"
        )

        def read_api() -> int:
            with sessions() as s:
                return len(latest_results(s))

        def rows(query: sa.Select[Any]) -> Callable[[], int]:
            def run() -> int:
                with sessions() as s:
                    return len(s.execute(query).all())

            return run

        read_rows = rows(sa.select(LatestResult.__table__))  # one readable row per series
        read_ids = rows(sa.select(LatestResult.result_id))
        read_naive = rows(naive_latest_sql())
        assert read_api() == read_rows() == read_ids() == read_naive() == series
        best, median = timed(read_api, repeats)
        print(
            f"  latest_results(): {series:,} series of {(history + 1) * series:,} results in "
            f"{best * 1000:.0f} ms best, {median * 1000:.0f} ms median "
            f"(goal < {GOAL_READ_SECONDS * 1000:.0f} ms on PostgreSQL: "
            f"{'meets it' if best < GOAL_READ_SECONDS else 'MISSES it'})"
        )
        best_rows, _ = timed(read_rows, max(1, repeats // 2))
        best_ids, _ = timed(read_ids, repeats)
        best_naive, _ = timed(read_naive, max(1, repeats // 2))
        print(
            f"  baselines: latest_results table as plain rows {best_rows * 1000:.0f} ms "
            f"({best_rows / best:.1f}x); its result ids only {best_ids * 1000:.0f} ms; a window function "
            f"over the full history {best_naive * 1000:.0f} ms ({best_naive / best:.0f}x)"
        )
        print(f"  (CPU probe after the reads: {cpu_probe_ms():.0f} ms)")
    finally:
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "urls", nargs="*", help="database URLs (default: a fresh SQLite file, and PostgreSQL)"
    )
    parser.add_argument("--monitors", type=int, default=1000)
    parser.add_argument("--columns", type=int, default=50)
    parser.add_argument("--history", type=int, default=20, help="older windows stored per monitor")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    if args.urls:
        for url in args.urls:
            bench(url, args.monitors, args.columns, args.history, args.repeats)
        return
    with tempfile.TemporaryDirectory() as tmp:
        bench(
            f"sqlite:///{Path(tmp) / 'bench.sqlite'}", args.monitors, args.columns, args.history, args.repeats
        )
    server = os.environ.get("DRIFTMON_TEST_POSTGRES_URL")
    if server:
        with fresh_postgres(server) as url:
            bench(url, args.monitors, args.columns, args.history, args.repeats)
    else:
        print("\nPostgreSQL skipped: set DRIFTMON_TEST_POSTGRES_URL to include it")


if __name__ == "__main__":
    main()
