"""A categorical column that changes type under a running `driftmon serve`: a schema change, not drift.

The reference holds the strings "0".."4", the live files the integers 0..4 with the same
frequencies. Before, every live value counted as `other` (JS near 1, p = 0, a false critical).
Now the column is compared by text, scores no drift, and its status `type_changed` is in the
store, the HTTP API and `driftmon_column_status_info`, where an alert can use it.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from driftmon.store import alert_history, latest_results, make_engine, session_factory

from .helpers import HOUR, file_monitor, free_port, poll, series, value
from .server import serve_process, write_config

ENV = {k: v for k, v in os.environ.items() if k != "DRIFTMON_DATABASE_URL"}
P = [0.4, 0.3, 0.15, 0.1, 0.05]


def _write(path: Path, start: datetime, hours: int, *, text: bool, seed: int, rows: int = 300) -> Path:
    rng = np.random.default_rng(seed)
    n = hours * rows
    stamps = [start + timedelta(seconds=float(s)) for s in np.sort(rng.uniform(0, hours * 3600 - 1, n))]
    codes = rng.choice(5, n, p=P)
    path.parent.mkdir(parents=True, exist_ok=True)
    table = pa.table(
        {
            "event_time": pa.array(stamps, pa.timestamp("us", tz="UTC")),
            "x": pa.array(rng.normal(size=n)),
            "c": pa.array([str(v) for v in codes.tolist()]) if text else pa.array(codes, pa.int64()),
        }
    )
    pq.write_table(table, path)
    return path


def test_a_categorical_column_that_turns_integer_is_a_type_change_in_store_api_and_metrics(
    tmp_path: Path,
) -> None:
    hour = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    start = hour - 4 * HOUR
    ref = _write(tmp_path / "ref.parquet", start - 24 * HOUR, 24, text=True, seed=1)
    _write(tmp_path / "live" / "a.parquet", start, 4, text=False, seed=2)
    port = free_port()
    cfg = {
        "database": {"url": f"sqlite:///{tmp_path / 'driftmon.sqlite'}"},
        "server": {"port": port},
        "scheduler": {"max_backfill_windows": 4},
        "monitors": [file_monitor("m", tmp_path / "live", ref)],
    }
    path = write_config(tmp_path / "driftmon.yaml", cfg)
    engine = make_engine(f"sqlite:///{tmp_path / 'driftmon.sqlite'}")
    sessions = session_factory(engine)
    try:
        with serve_process(path, tmp_path, port=port, env=ENV) as server:
            server.start()

            def caught_up() -> dict[str, float] | None:
                parsed = server.metrics()[1]
                done = (
                    series(parsed, "driftmon_monitor_windows_behind").get(frozenset({("monitor", "m")})) == 0
                )
                return parsed if done and series(parsed, "driftmon_column_status_info") else None

            parsed = poll(caught_up, timeout=90, what="the monitor to catch up")
            c = {"monitor": "m", "column": "c", "role": "feature"}
            assert value(parsed, "driftmon_column_status_info", **c, status="type_changed") == 1
            assert value(parsed, "driftmon_column_status_info", **{**c, "column": "x"}, status="ok") == 1

            shown = server.get("/api/v1/monitors/m").json()
            latest = {col["name"]: col["latest"] for col in shown["columns"]}
            assert latest["c"]["status"] == "type_changed"
            assert "the baseline's categories are string, the live values integer" in latest["c"]["error"]
            assert "compared by text" in latest["c"]["error"]
            assert latest["x"]["status"] == "ok"
            runs = server.get("/api/v1/monitors/m/runs").json()
            assert runs
            assert all(r["status"] == "succeeded" for r in runs)
    finally:
        with sessions() as session:
            stored = {r.column: r for r in latest_results(session)}
            events = alert_history(session)
        engine.dispose()
    # Compared by text: the same frequencies score no drift (before: JS near 1), and no alert fires.
    assert stored["c"].status == "type_changed"
    assert stored["c"].scores["js_divergence"] is not None
    assert stored["c"].scores["js_divergence"] < 0.01
    assert stored["c"].n_live is not None
    assert stored["c"].n_live > 200  # one hour of about 300 rows
    assert events == []
