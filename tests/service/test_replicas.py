"""Several processes on one store: a claim taken over after `kill -9`, one serve per SQLite file.

The processes are real `driftmon serve` (and `driftmon run`) subprocesses; the PostgreSQL ones
share a fresh database of the machine's server, with a SQL source made slow by `pg_sleep`.
"""

from __future__ import annotations

import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from .helpers import free_port, in_source_query, poll, write_parquet
from .server import ServerProcess, serve_process, wait_until, write_config

TIMEOUT = timedelta(seconds=40)
TAKEOVER = timedelta(seconds=45)  # the setting under test: longer than the timeout, as required
SLOW = 38  # seconds the live query sleeps while the first claimer holds the window (< TIMEOUT):
# long enough for the other replica to finish starting on a loaded machine
JITTER = 10.0  # seconds a loaded machine may add to the takeover tick (APScheduler, the claim)


def _yesterday() -> tuple[datetime, datetime]:
    """Return the newest complete 1-day window; wait out midnight UTC if it is about to move."""
    now = datetime.now(UTC)
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    if midnight + timedelta(days=1) - now < timedelta(minutes=3):
        wait_until((midnight + timedelta(days=1, seconds=5)).timestamp())
        midnight += timedelta(days=1)
    return midnight - timedelta(days=1), midnight


def _load_events(engine: Engine, table: str, start: datetime, rows: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    step = timedelta(days=1) / rows
    values = [
        {"t": start + k * step, "x": float(rng.normal()), "c": f"k{int(rng.integers(0, 4))}"}
        for k in range(rows)
    ]
    with engine.begin() as conn:
        conn.execute(sa.text(f"CREATE TABLE {table} (event_time timestamptz, x float8, c text)"))
        conn.execute(sa.text(f"INSERT INTO {table} VALUES (:t, :x, :c)"), values)


def _replica_config(tmp_path: Path, url: str, port: int, name: str) -> Path:
    query = (
        "SELECT e.* FROM live_events e CROSS JOIN (SELECT pg_sleep(seconds) AS slept FROM slow_control) AS s"
    )
    data: dict[str, Any] = {
        "database": {"url": url},
        "server": {"host": "127.0.0.1", "port": port},
        "scheduler": {"max_backfill_windows": 1},
        "monitors": [
            {
                "name": "m",
                "source": {"kind": "sql", "url": url, "query": query},
                "timestamp_column": "event_time",
                "reference": {"table": "ref_events"},
                "window": {"size": "1d"},
                "columns": ["x", {"name": "c", "kind": "categorical"}],
                "min_samples": 100,
                "timeout": f"{TIMEOUT.seconds}s",
                "takeover_after": f"{TAKEOVER.seconds}s",
            }
        ],
    }
    return write_config(tmp_path / f"{name}.yaml", data)


def _runs(engine: Engine) -> list[sa.Row[Any]]:
    with engine.connect() as conn:
        return list(
            conn.execute(
                sa.text(
                    "SELECT r.id, r.window_start, r.status, r.attempts, r.started_at FROM runs r "
                    "JOIN monitors m ON m.id = r.monitor_id WHERE m.name = 'm' ORDER BY r.id"
                )
            )
        )


def test_a_killed_replicas_window_is_taken_over_within_the_takeover_time(
    pg: Engine, postgres_url: str, tmp_path: Path
) -> None:
    start, _ = _yesterday()
    _load_events(pg, "ref_events", start - timedelta(days=7), 2000, seed=1)
    _load_events(pg, "live_events", start, 2000, seed=2)
    with pg.begin() as conn:
        conn.execute(sa.text("CREATE TABLE slow_control (seconds float8)"))
        conn.execute(sa.text("INSERT INTO slow_control VALUES (:s)"), {"s": SLOW})

    replicas: dict[str, ServerProcess] = {}
    with ExitStack() as stack:
        for name in ("replica-a", "replica-b"):
            workdir = tmp_path / name
            workdir.mkdir()
            port = free_port()
            config = _replica_config(workdir, postgres_url, port, name)
            server = ServerProcess(config, workdir, port=port, env={"PGAPPNAME": name})
            stack.callback(server.close)
            replicas[name] = server
        # Both start at once and race for the window; whoever claimed it sits in the slow query.
        with ThreadPoolExecutor(2) as pool:
            starting = [pool.submit(server.start) for server in replicas.values()]
            holder = poll(
                lambda: in_source_query(pg, "replica-"), timeout=120, what="a replica in the slow query"
            )[0]
            for started in starting:
                started.result()
        (claimed,) = _runs(pg)
        assert claimed.status == "running"  # still held: the slow query outlasts both start-ups
        assert claimed.attempts == 1
        assert claimed.window_start == start
        replicas[holder].kill()
        killed_at = datetime.now(UTC)
        with pg.begin() as conn:
            conn.execute(sa.text("UPDATE slow_control SET seconds = 0"))
        (survivor,) = [s for n, s in replicas.items() if n != holder]

        bound = (TAKEOVER + timedelta(seconds=JITTER)).total_seconds()
        (taken,) = poll(
            lambda: [r for r in _runs(pg) if r.attempts == 2],
            timeout=bound + 60,
            what=f"the survivor to take the window over:\n{survivor.log()}",
        )
        done = poll(
            lambda: [r for r in _runs(pg) if r.status == "succeeded"],
            timeout=60,
            what=f"the taken-over window to succeed:\n{survivor.log()}",
        )
        takeover = (taken.started_at - claimed.started_at).total_seconds()
        after_kill = (taken.started_at - killed_at).total_seconds()
        print(
            f"\ntakeover_after {TAKEOVER.seconds}s: window claimed at {claimed.started_at.isoformat()}, "
            f"taken over {takeover:.2f}s after the claim, {after_kill:.2f}s after kill -9 of {holder}"
        )
        assert TAKEOVER.total_seconds() <= takeover <= TAKEOVER.total_seconds() + JITTER
        assert after_kill <= TAKEOVER.total_seconds() + JITTER

        # Nothing lost, nothing stored twice: one run of the window, its two columns once,
        # one baseline version per column.
        runs = _runs(pg)
        assert [(r.id, r.window_start, r.status, r.attempts) for r in runs] == [
            (claimed.id, start, "succeeded", 2)
        ]
        assert done[0].id == claimed.id
        with pg.connect() as conn:
            results = conn.execute(
                sa.text("SELECT column_name FROM column_results WHERE run_id = :id ORDER BY column_name"),
                {"id": claimed.id},
            ).scalars()
            assert list(results) == ["c", "x"]
            versions = conn.execute(
                sa.text("SELECT column_name, count(*) FROM baselines GROUP BY column_name ORDER BY 1")
            ).all()
            assert [tuple(v) for v in versions] == [("c", 1), ("x", 1)]
        assert survivor.process is not None
        assert survivor.process.poll() is None
        assert survivor.stop() == 0


def _sqlite_config(tmp_path: Path, port: int) -> Path:
    live = write_parquet(tmp_path / "live.parquet", datetime.now(UTC) - timedelta(hours=30), 24, seed=1)
    ref = write_parquet(tmp_path / "ref.parquet", datetime.now(UTC) - timedelta(days=10), 24, seed=2)
    data = {
        "database": {"url": f"sqlite:///{tmp_path}/store.sqlite"},
        "server": {"host": "127.0.0.1", "port": port},
        "scheduler": {"max_backfill_windows": 2},
        "monitors": [
            {
                "name": "m",
                "source": {"kind": "file", "path": str(live)},
                "timestamp_column": "event_time",
                "reference": {"path": str(ref)},
                "window": {"size": "1h"},
                "columns": ["x", {"name": "c", "kind": "categorical"}],
                "min_samples": 10,
            }
        ],
    }
    return write_config(tmp_path / "driftmon.yaml", data)


def test_a_second_serve_on_the_same_sqlite_file_is_refused(tmp_path: Path) -> None:
    port = free_port()
    config = _sqlite_config(tmp_path, port)
    store = tmp_path / "store.sqlite"
    with serve_process(config, tmp_path, port=port) as first:
        first.start()
        second = ServerProcess(config, tmp_path, port=free_port())
        second.log_path = tmp_path / "second.log"
        with second.log_path.open("wb") as log:
            proc = subprocess.Popen(
                [sys.executable, "-m", "driftmon", "serve", f"--config={config}", f"--port={free_port()}"],
                cwd=tmp_path,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        assert proc.wait(60) == 1
        refused = second.log_path.read_text()
        assert f"the SQLite store {store} is already served by another driftmon serve" in refused
        assert f"{store}.serve.lock" in refused

        # A short-lived `driftmon run` next to the serve is allowed: SQLite's own locking
        # serialises the writes and the window's claim keeps it computed once.
        # (a window older than the serve's look-back, so that it is computed here for real).
        older = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=3)
        ran = subprocess.run(
            [
                sys.executable,
                "-m",
                "driftmon",
                "run",
                "--monitor=m",
                f"--config={config}",
                f"--window-end={older.isoformat()}",
                "--json",
            ],
            cwd=tmp_path,
            capture_output=True,
            timeout=120,
            check=False,
        )
        assert ran.returncode == 0, ran.stdout.decode() + ran.stderr.decode()
        assert first.process is not None
        assert first.process.poll() is None
        first.kill()  # kill -9: the kernel drops the lock with the process

    started = time.monotonic()
    with serve_process(config, tmp_path, port=port) as again:
        again.start()
        assert time.monotonic() - started < 60
        assert again.stop() == 0
