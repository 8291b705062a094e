"""`driftmon serve` with spark monitors: a real server process with its own local Spark driver.

One monitor counts on the local driver, one names a dead standalone master: the dead one fails
every run with a clear reason while the other keeps producing results and metrics.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from ..spark_settings import spark_source
from .helpers import HOUR, free_port, monitor, poll, value, write_parquet
from .server import serve_process, write_config
from .test_serve import all_runs, base, floor, store_of

pytest.importorskip("pyspark")

__all__ = ["store_of"]  # the fixture, used below by name

ENV = {k: v for k, v in os.environ.items() if k != "DRIFTMON_DATABASE_URL"}


def test_serve_runs_a_spark_monitor_while_a_dead_master_fails_alone(
    tmp_path: Path, store_of: sessionmaker[Session]
) -> None:
    size = timedelta(seconds=5)
    start = floor(datetime.now(UTC), size) - 2 * size
    ref = write_parquet(tmp_path / "ref.parquet", start - HOUR, 1, rows=2000, seed=7)
    write_parquet(tmp_path / "live" / "a.parquet", start, 200, size, rows=150, seed=8)
    fast = {"window": {"size": "5s"}, "schedule": {"interval": "5s"}, "timeout": "10m"}
    alive = monitor("spark-alive", spark_source(path=str(tmp_path / "live")), {"path": str(ref)}, **fast)
    dead_source = {"kind": "spark", "master": "spark://127.0.0.1:1", "path": str(tmp_path / "live")}
    dead = monitor("spark-dead", dead_source, {"path": str(ref)}, **fast)
    port = free_port()
    cfg = base(tmp_path, port, [dead, alive], scheduler={"max_backfill_windows": 2})
    path = write_config(tmp_path / "driftmon.yaml", cfg)
    with serve_process(path, tmp_path, port=port, env=ENV) as server:
        server.start()
        poll(
            lambda: any(r.status == "succeeded" for r in all_runs(store_of, "spark-alive")),
            timeout=600,
            what="a spark window to be counted",
        )
        poll(
            lambda: any(r.status == "failed" for r in all_runs(store_of, "spark-dead")),
            timeout=60,
            what="the dead master's failure",
        )
        _, parsed = server.metrics()
        assert value(parsed, "driftmon_monitor_source_up", monitor="spark-dead") == 0
        assert value(parsed, "driftmon_monitor_source_up", monitor="spark-alive") == 1
        assert server.stop() == 0
    failed = [r for r in all_runs(store_of, "spark-dead") if r.status == "failed"]
    assert all("Spark master does not answer (127.0.0.1:1" in (r.error or "") for r in failed)
    succeeded = [r for r in all_runs(store_of, "spark-alive") if r.status == "succeeded"]
    assert succeeded
    assert not [r for r in all_runs(store_of, "spark-alive") if r.status == "failed"]
