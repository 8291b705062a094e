"""`driftmon serve` at scale: /metrics scraped over real HTTP, and the service's start-up.

Run: .venv/bin/python -m tests.benchmarks.bench_scrape [--monitors 200] [--columns 30]
     [--scrapes 300] [--history-hours 2160] [--database URL] [--keep]

The realistic large fleet by default: 200 monitors x 30 columns on the default alert policy
(so the default metric set), with 90 days of hourly history. The store is filled through the
store's functions by bench_metrics.fill (baselines, the newest window of every monitor, some
firing alerts), then the older hourly windows are copied from it by bulk INSERT ... SELECT (not
a figure of the API): a fresh PostgreSQL database when DRIFTMON_TEST_POSTGRES_URL is set (or
--database names one already filled; --keep keeps a fresh one), else a SQLite file. A config
of the same monitors and columns is written, and `driftmon serve` is started as a subprocess
on a free port. Figures:

- start-up: process start to /healthz answering (imports, config validation, store check,
  snapshot rebuilt from the store, HTTP up), with the rebuild time the service logs itself;
- the same start-up steps timed in this process: load_config, open_store, rebuild_snapshot;
- scrape latency p50/p99 and body size over HTTP (curl, from another process), first while
  the scheduler's start-up ticks run (every monitor tries its latest window; the sources do not
  exist, so each run fails and is counted), then once they are done;
- the baseline measured in the same run: /healthz over the same connection (the HTTP floor).

Wall times are printed next to the load average: on a shared machine they move with it.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa
import yaml

from driftmon.config import load_config
from driftmon.metrics import MetricsSnapshot, MonitorSpec
from driftmon.service import open_store, rebuild_snapshot
from driftmon.store import make_engine
from driftmon.store.models import ColumnResult, Run
from tests.benchmarks.bench_metrics import POSTGRES_ENV, fill, fresh_database, percentile, specs

GOAL_IDLE_P99_SECONDS = 0.100
GOAL_BUSY_P99_SECONDS = 0.250
GOAL_STARTUP_SECONDS = 3.0


def config(monitors: list[MonitorSpec], directory: Path, port: int) -> dict[str, Any]:
    """Return a config of `monitors` on the default alert policy; their sources do not exist."""
    return {
        "server": {"port": port},
        "scheduler": {"max_backfill_windows": 0, "max_workers": 4},
        "logging": {"level": "INFO"},
        "defaults": {
            "source": {"kind": "file"},
            "timestamp_column": "event_time",
            "window": {"size": "1h"},
        },
        "monitors": [
            {
                "name": spec.name,
                "source": {"path": str(directory / "absent" / spec.name)},
                "reference": {"path": str(directory / "absent" / "reference.parquet")},
                "columns": [{"name": c.name, "kind": "numeric"} for c in spec.columns],
            }
            for spec in monitors
        ],
    }


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def scrape(client: httpx.Client, path: str, n: int) -> tuple[list[float], int]:
    """GET `path` n times with curl (a C client, as Prometheus' is native); return times and body size.

    Without curl, httpx in this process, whose own reading of a large body adds to the times.
    """
    url = f"{client.base_url}{path}"
    curl = shutil.which("curl")
    times, size = [], 0
    for _ in range(n):
        if curl is None:
            begin = time.perf_counter()
            response = client.get(path)
            times.append(time.perf_counter() - begin)
            response.raise_for_status()
            size = len(response.content)
            continue
        done = subprocess.run(
            [curl, "-sf", "-o", "/dev/null", "-w", "%{time_total} %{size_download}", url],
            capture_output=True,
            text=True,
            check=True,
        )
        seconds, downloaded = done.stdout.split()
        times.append(float(seconds))
        size = int(downloaded)
    return times, size


def startup_path(path: Path, url: str) -> None:
    """Time the service's start-up steps in this process: config, store check, snapshot rebuild."""
    print(f"\nstart-up path in-process (load average {os.getloadavg()[0]:.1f}):")
    wall, cpu = time.perf_counter(), time.process_time()

    def lap(label: str) -> None:
        nonlocal wall, cpu
        now, now_cpu = time.perf_counter(), time.process_time()
        print(f"  {label:<44} {now - wall:6.2f} s wall {now_cpu - cpu:6.2f} s cpu")
        wall, cpu = now, now_cpu

    loaded = load_config([path])
    lap("load_config")
    handle = open_store(loaded, url)
    lap("open_store (reachable, schema at head)")
    rebuild_snapshot(MetricsSnapshot(), loaded, handle.sessions, now=datetime.now(UTC))
    lap("rebuild_snapshot (specs, store reads, rebuild)")
    handle.dispose()


def report(label: str, times: list[float], goal: float | None = None) -> None:
    p50, p99, most = statistics.median(times) * 1e3, percentile(times, 0.99) * 1e3, max(times) * 1e3
    verdict = ""
    if goal is not None:
        verdict = f"   {'meets' if p99 < goal * 1e3 else 'MISSES'} the {goal * 1e3:.0f} ms p99 goal"
    print(f"  {label:<40} p50 {p50:7.1f} ms   p99 {p99:7.1f} ms   max {most:7.1f} ms{verdict}")


def runs_counted(body: str) -> float:
    prefix = "driftmon_monitor_runs_total{"
    return sum(float(line.rsplit(" ", 1)[1]) for line in body.splitlines() if line.startswith(prefix))


def extend_history(url: str, hours: int) -> None:
    """Copy each monitor's stored window to the `hours` - 1 hourly windows before it, in bulk."""
    runs, results = Run.__table__, ColumnResult.__table__
    run_columns = [c.name for c in runs.columns if c.name not in ("id",)]
    result_columns = [c.name for c in results.columns if c.name not in ("id", "run_id")]
    shifted = {"window_start", "window_end", "started_at", "finished_at"}
    engine = make_engine(url)
    begin = time.perf_counter()
    try:
        with engine.begin() as conn:
            (newest,) = conn.execute(sa.select(sa.func.max(runs.c.window_end))).one()
        step = 240
        for first in range(1, hours, step):
            last = min(hours - 1, first + step - 1)
            back = "(k * interval '1 hour')" if engine.dialect.name == "postgresql" else None
            if back is None:
                raise SystemExit("--history-hours above 1 needs PostgreSQL")
            select_runs = ", ".join(f"r.{c} - {back}" if c in shifted else f"r.{c}" for c in run_columns)
            with engine.begin() as conn:
                conn.execute(
                    sa.text(
                        f"INSERT INTO runs ({', '.join(run_columns)}) SELECT {select_runs} "
                        f"FROM runs r, generate_series({first}, {last}) k WHERE r.window_end = :newest"
                    ),
                    {"newest": newest},
                )
                listed = ", ".join(result_columns)
                conn.execute(
                    sa.text(
                        f"INSERT INTO column_results (run_id, {listed}) "
                        f"SELECT n.id, {', '.join('c.' + c for c in result_columns)} "
                        "FROM column_results c JOIN runs r ON r.id = c.run_id "
                        "JOIN runs n ON n.monitor_id = r.monitor_id "
                        f"AND n.window_end <= r.window_end - interval '{first} hours' "
                        f"AND n.window_end >= r.window_end - interval '{last} hours' "
                        "WHERE r.window_end = :newest"
                    ),
                    {"newest": newest},
                )
            print(
                f"  history: windows {last:,} of {hours - 1:,} copied ({time.perf_counter() - begin:.0f} s)"
            )
        with engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").execute(sa.text("ANALYZE"))
            (n,) = conn.execute(sa.select(sa.func.count()).select_from(results)).one()
        print(f"  history: {n:,} column results stored, {time.perf_counter() - begin:.0f} s (setup)")
    finally:
        engine.dispose()


@contextmanager
def store(args: argparse.Namespace, monitors: list[MonitorSpec], directory: Path) -> Iterator[str]:
    if args.database:
        yield args.database
        return
    server = os.environ.get(POSTGRES_ENV)
    if server:
        with fresh_database(server, keep=args.keep) as url:
            print(f"store: a fresh PostgreSQL database; filling {len(monitors)} monitors")
            fill(url, monitors, 1)
            extend_history(url, args.history_hours)
            yield url
        return
    url = f"sqlite:///{directory / 'driftmon.sqlite'}"
    print(f"store: SQLite ({POSTGRES_ENV} is not set); filling {len(monitors)} monitors, one window each")
    fill(url, monitors, 1)
    yield url


def wait_healthy(client: httpx.Client, process: subprocess.Popen[bytes], log: Path) -> None:
    while True:
        try:
            if client.get("/healthz").status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if process.poll() is not None:
            raise SystemExit(log.read_text())
        time.sleep(0.05)


def measure(client: httpx.Client, args: argparse.Namespace, pid: int) -> None:
    print(f"\nscrapes over HTTP, {args.scrapes} each (load average {os.getloadavg()[0]:.1f}):")
    during, _ = scrape(client, "/metrics", args.scrapes)
    report("/metrics while every monitor runs", during, GOAL_BUSY_P99_SECONDS)
    deadline = time.monotonic() + 300
    while runs_counted(client.get("/metrics").text) < args.monitors and time.monotonic() < deadline:
        time.sleep(0.5)
    after, size = scrape(client, "/metrics", args.scrapes)
    report("/metrics, scheduler idle", after, GOAL_IDLE_P99_SECONDS)
    floor, _ = scrape(client, "/healthz", args.scrapes)
    report("baseline: /healthz (the HTTP floor)", floor)
    lines = client.get("/metrics").text.count("\n")
    ratio = statistics.median(after) / statistics.median(floor)
    print(f"  body: {size / 1e6:.2f} MB, {lines:,} lines; server RSS {rss_mb(pid):.0f} MB")
    print(f"  /metrics p50 is {ratio:.1f}x the /healthz p50")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--monitors", type=int, default=200)
    parser.add_argument("--columns", type=int, default=30)
    parser.add_argument("--scrapes", type=int, default=300)
    parser.add_argument("--history-hours", type=int, default=90 * 24, help="hourly windows per monitor")
    parser.add_argument("--database", help="a store already filled (by a --keep run)")
    parser.add_argument("--keep", action="store_true", help="keep the filled PostgreSQL database")
    args = parser.parse_args()
    monitors = specs(args.monitors, args.columns)
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        port = free_port()
        path = directory / "driftmon.yaml"
        path.write_text(yaml.safe_dump(config(monitors, directory, port), sort_keys=False))
        size = path.stat().st_size / 1e6
        print(f"config: {args.monitors} monitors x {args.columns} columns, {size:.1f} MB of YAML")
        with store(args, monitors, directory) as url:
            startup_path(path, url)
            env = {**os.environ, "DRIFTMON_DATABASE_URL": url}
            log_path = directory / "serve.log"
            log = log_path.open("wb")
            started = time.perf_counter()
            command = [sys.executable, "-m", "driftmon", "serve", "-c", str(path)]
            process = subprocess.Popen(command, env=env, stdout=log, stderr=log)
            try:
                with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
                    wait_healthy(client, process, log_path)
                    up = time.perf_counter() - started
                    loaded = re.search(r"snapshot loaded from the store in ([0-9.]+)s", log_path.read_text())
                    verdict = "meets" if up < GOAL_STARTUP_SECONDS else "MISSES"
                    print(f"\nstart-up (load average {os.getloadavg()[0]:.1f}):")
                    print(f"  process start to /healthz answering: {up:6.2f} s ({verdict} the 3 s goal)")
                    if loaded:
                        print(
                            f"  of which the snapshot rebuilt from the store: {float(loaded.group(1)):6.2f} s"
                        )
                    measure(client, args, process.pid)
            finally:
                begin = time.perf_counter()
                process.terminate()
                code = process.wait(120)
                log.close()
                print(f"\nSIGTERM: exit status {code} after {time.perf_counter() - begin:.2f} s")


if __name__ == "__main__":
    main()
