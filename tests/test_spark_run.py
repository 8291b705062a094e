"""A spark monitor end to end through `driftmon run` and `backfill`, beside one on a dead master.

The commands run in this process, on the shared local Spark driver (tests/spark_settings.py);
the stored baseline must hold driftmon's own counts of the reference rows over its bins, and
the stored window results the counts of the window's rows.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml
from click.testing import CliRunner

from driftmon.cli import main
from driftmon.core import count_values
from driftmon.store import list_baselines, make_engine, run_history, session_factory

from .spark_settings import spark_source

pytest.importorskip("pyspark")

HOUR = timedelta(hours=1)


def events(start: datetime, hours: int, seed: int) -> pa.Table:
    rng = np.random.default_rng(seed)
    n = 400 * hours
    stamps = [start + timedelta(seconds=float(s)) for s in np.sort(rng.uniform(0, hours * 3600 - 1, n))]
    amount = rng.lognormal(3.0, 0.8, n)
    amount[rng.random(n) < 0.03] = np.nan
    return pa.table(
        {
            "event_time": pa.array(stamps, pa.timestamp("us", tz="UTC")),
            "amount": pa.array(amount),
            "country": pa.array(rng.choice(["de", "fr", "us", "jp"], n, p=[0.4, 0.3, 0.2, 0.1]).tolist()),
        }
    )


def monitor(name: str, source: dict[str, Any], reference: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": name,
        "source": source,
        "timestamp_column": "event_time",
        "reference": reference,
        "window": {"size": "1h"},
        "columns": [{"name": "amount", "kind": "numeric"}, "country"],
    }


def test_a_spark_monitor_runs_end_to_end_and_a_dead_master_fails_alone(tmp_path: Path) -> None:
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    reference_start = now - 30 * HOUR
    live = pa.concat_tables([events(reference_start, 24, seed=1), events(now - 6 * HOUR, 7, seed=2)])
    pq.write_table(live, tmp_path / "events.parquet")
    reference = {"start": reference_start.isoformat(), "end": (reference_start + 24 * HOUR).isoformat()}
    config = {
        "monitors": [
            monitor("on-spark", spark_source(path="events.parquet"), reference),
            monitor(
                "dead-master", {"kind": "spark", "master": "spark://127.0.0.1:1", "path": "x"}, reference
            ),
        ]
    }
    path = tmp_path / "driftmon.yaml"
    path.write_text(yaml.safe_dump(config))
    store = f"sqlite:///{tmp_path}/store.sqlite"
    runner = CliRunner(env={"DRIFTMON_DATABASE_URL": store})

    checked = runner.invoke(main, ["check-config", "-c", str(path), "--connect"])
    assert checked.exit_code == 1, checked.output
    assert "Spark master does not answer (127.0.0.1:1" in checked.output
    assert "on-spark" not in checked.output.split("Spark master does not answer")[0].splitlines()[-1]
    ran = runner.invoke(main, ["run", "-c", str(path), "--monitor", "on-spark", "--json"])
    assert ran.exit_code == 0, ran.output
    document = json.loads(ran.stdout)
    assert document["status"] == "succeeded"
    assert [c["status"] for c in document["columns"]] == ["ok", "ok"]
    dead = runner.invoke(main, ["run", "-c", str(path), "--monitor", "dead-master", "--json"])
    assert dead.exit_code == 1
    failed = json.loads(dead.stdout)
    assert failed["status"] == "failed"
    assert "Spark master does not answer (127.0.0.1:1" in failed["error"]
    # Every monitor at once: the dead master fails its windows, the other monitor goes on.
    filled = runner.invoke(main, ["backfill", "-c", str(path), "--last", "3"])
    assert filled.exit_code != 0
    assert "Spark master does not answer" in filled.output

    engine = make_engine(store)
    with session_factory(engine)() as session:
        baselines = {b.column: b for b in list_baselines(session, "on-spark")}
        runs = run_history(session, "on-spark")
    engine.dispose()
    assert {r.status for r in runs} == {"succeeded"}
    assert len(runs) >= 3
    ts = live.column("event_time").to_pylist()
    in_reference = [reference_start <= t < reference_start + 24 * HOUR for t in ts]
    rows = live.filter(pa.array(in_reference))
    for name, baseline in baselines.items():
        expected = count_values(baseline.histogram.spec, rows.column(name))
        assert baseline.histogram == expected
