"""Server-side rendering time of the pages over a store with 2,000 windows of one monitor.

Run: .venv/bin/python -m tests.benchmarks.bench_pages [--windows 2000] [--columns 7] [--repeat 15]
     [--database FILE]   (keep the filled SQLite file there, and reuse it when it exists)

Stores `windows` hourly windows of a monitor with `columns` columns (half numeric with 10
quantile bins, half categorical with 12 categories) in a fresh SQLite file through the public
API (claim_run, finish_run, record_alert_event), then times each page two ways: built in
process (store reads + HTML, what the server does per request) and requested over real HTTP
from `driftmon serve`'s app. The column page is timed with its default history (100 windows)
and with all `windows` in its history. Goal: the column page renders in <= 300 ms.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import numpy as np

from driftmon.config import Config
from driftmon.core import compare, count_values, fit_categorical_bins, fit_numeric_bins
from driftmon.http import ApiContext, HttpServer, Readiness, create_app
from driftmon.jobs import column_result
from driftmon.metrics import MetricsSnapshot
from driftmon.pages import add_pages, load_column_page
from driftmon.pages.column import render_column
from driftmon.pages.monitor import load_monitor_page, render_monitor
from driftmon.pages.overview import load_overview, render_overview
from driftmon.store import (
    add_baseline,
    claim_run,
    finish_run,
    make_engine,
    record_alert_event,
    session_factory,
    upgrade,
)
from driftmon.windows import Window

GOAL_SECONDS = 0.300
T0 = datetime(2026, 1, 1, tzinfo=UTC)
HOUR = timedelta(hours=1)


def _config(columns: list[str], tmp: Path) -> Config:
    specs = [c if i % 2 == 0 else {"name": c, "kind": "categorical"} for i, c in enumerate(columns)]
    return Config.model_validate(
        {
            "monitors": [
                {
                    "name": "bench",
                    "source": {"kind": "file", "path": str(tmp / "live")},
                    "reference": {"path": str(tmp / "reference.parquet")},
                    "timestamp_column": "event_time",
                    "window": {"size": "1h"},
                    "columns": specs,
                }
            ]
        }
    )


def _fill(url: str, columns: list[str], windows: int) -> None:
    rng = np.random.default_rng(7)
    sessions = session_factory(make_engine(url))
    baselines = {}
    with sessions() as s, s.begin():
        for i, column in enumerate(columns):
            if i % 2 == 0:
                values = rng.normal(0, 1, 20_000)
                spec = fit_numeric_bins(values, n_bins=10)
            else:
                values = rng.choice([f"k{j}" for j in range(12)], 20_000).astype(object)
                spec = fit_categorical_bins(values)
            hist = count_values(spec, values)
            baselines[column] = add_baseline(
                s, "bench", column, spec, hist.counts, reference={"bench": True}, fitted_at=T0, now=T0
            )
    for w in range(windows):
        start = T0 + w * HOUR
        drift = 0.6 if w >= windows // 2 else 0.0
        with sessions() as s, s.begin():
            claim = claim_run(
                s, "bench", start, start + HOUR, now=start + HOUR, stale_after=timedelta(minutes=30)
            )
        results = []
        for i, column in enumerate(columns):
            base = baselines[column]
            if i % 2 == 0:
                live = count_values(base.spec, rng.normal(drift, 1, 1000))
            else:
                live = count_values(base.spec, rng.choice([f"k{j}" for j in range(13)], 1000).astype(object))
            comparison = compare(base.histogram, live, calibration="analytic")
            results.append(
                column_result(comparison, base, monitor="bench", window=Window(start, start + HOUR))
            )
        with sessions() as s, s.begin():
            finish_run(
                s, claim, status="succeeded", finished_at=start + HOUR, results=results, rows_read=1000
            )
            if w == windows // 2 + 1:
                record_alert_event(
                    s, "bench", columns[0], "js_divergence", severity="warning", state="firing",
                    at=start + HOUR, value=0.05, threshold=0.02, window_start=start, window_end=start + HOUR,
                    run_id=claim.run.id,
                )  # fmt: skip


def _time(what: str, action: Callable[[], object], repeat: int) -> float:
    action()  # warm up
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    median = statistics.median(times)
    print(f"  {what:<58} median {median * 1000:7.1f} ms   max {max(times) * 1000:7.1f} ms")
    return median


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--windows", type=int, default=2000)
    parser.add_argument("--columns", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--database", type=Path, help="SQLite file to fill once and reuse")
    args = parser.parse_args()
    columns = [f"col{i}" for i in range(args.columns)]
    with tempfile.TemporaryDirectory() as folder:
        database = args.database or Path(folder) / "bench.sqlite"
        url = f"sqlite:///{database}"
        filled = database.exists()
        engine = make_engine(url)
        upgrade(engine)
        if filled:
            print(f"reusing {database} (filled by an earlier run with the same --windows and --columns)")
        else:
            started = time.perf_counter()
            _fill(url, columns, args.windows)
            took = time.perf_counter() - started
            print(f"stored {args.windows} windows x {args.columns} columns in {took:.1f} s")
        cfg = _config(columns, Path(folder))
        monitor = cfg.monitors[0]
        sessions = session_factory(engine)

        def column_page(history: int) -> Callable[[], object]:
            def build() -> str:
                with sessions() as s:
                    page = load_column_page(s, monitor, columns[0], history=history)
                return render_column(page, history)

            return build

        def monitor_page() -> str:
            with sessions() as s:
                return render_monitor(load_monitor_page(s, monitor, "state", False), "state", False)

        def overview() -> str:
            with sessions() as s:
                return render_overview(load_overview(s, cfg.monitors, T0))

        print("in process (store reads and HTML):")
        default = _time("column page, history of 100 windows (default)", column_page(100), args.repeat)
        full = _time(
            f"column page, history of all {args.windows} windows", column_page(args.windows), args.repeat
        )
        _time("monitor page (48-window sparklines)", monitor_page, args.repeat)
        _time("overview", overview, args.repeat)
        ctx = ApiContext(
            config=lambda: cfg, sessions=sessions, snapshot=MetricsSnapshot(), readiness=lambda: Readiness({})
        )
        app = create_app(ctx)
        add_pages(app, lambda: datetime.now(UTC))
        server = HttpServer(app, "127.0.0.1", 0)
        server.start()
        try:
            with httpx.Client(base_url=server.url, timeout=60) as client:
                path = f"/monitors/bench/columns/{columns[0]}"
                print("over HTTP (driftmon serve's app):")
                size = len(client.get(path).content)
                http_default = _time(
                    f"GET {path} ({size // 1024} KiB)", lambda: client.get(path), args.repeat
                )
                size = len(client.get(f"{path}?n={args.windows}").content)
                http_full = _time(
                    f"GET {path}?n={args.windows} ({size // 1024} KiB)",
                    lambda: client.get(f"{path}?n={args.windows}"),
                    args.repeat,
                )
        finally:
            server.stop()
        engine.dispose()
    worst = max(default, full, http_default, http_full)
    verdict = "meets" if worst <= GOAL_SECONDS else "MISSES"
    print(
        f"slowest column page median {worst * 1000:.1f} ms: {verdict} the {GOAL_SECONDS * 1000:.0f} ms goal"
    )


if __name__ == "__main__":
    main()
