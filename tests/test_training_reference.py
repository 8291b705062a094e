"""A training set without a timestamp column as the reference, end to end through `run` and `backfill`.

Files (Parquet, CSV), a SQL table and a SQL query (SQLite and PostgreSQL) serve as the training
set; the baselines the commands store must hold the counts of every training row, as
driftmon.core counts them over the stored bins. The commands use the real clock, so the live
data covers the hours before the current one.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa
import yaml
from click.testing import CliRunner

from driftmon.cli import main
from driftmon.core import count_values
from driftmon.store import list_baselines, make_engine, session_factory

HOUR = timedelta(hours=1)
TRAINING_ROWS = 2_500
LIVE_HOURS = 6


def training_set(seed: int = 11) -> dict[str, list[Any]]:
    rng = np.random.default_rng(seed)
    return {
        "amount": [None if rng.random() < 0.03 else float(v) for v in rng.lognormal(3.0, 0.8, TRAINING_ROWS)],
        "country": [
            str(v) for v in rng.choice(["de", "fr", "us", "jp"], TRAINING_ROWS, p=[0.4, 0.3, 0.2, 0.1])
        ],
    }


def live_rows(seed: int = 12) -> list[dict[str, Any]]:
    rng = np.random.default_rng(seed)
    start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - LIVE_HOURS * HOUR
    rows = []
    for h in range(LIVE_HOURS + 1):  # and into the current hour
        for s in np.sort(rng.uniform(0, 3599, 300)):
            rows.append(
                {
                    "event_time": start + h * HOUR + timedelta(seconds=float(s)),
                    "amount": float(rng.lognormal(3.0, 0.8)),
                    "country": str(rng.choice(["de", "fr", "us", "jp"])),
                }
            )
    return rows


def write_config(tmp_path: Path, source: dict[str, Any], reference: dict[str, Any]) -> Path:
    config = {
        "monitors": [
            {
                "name": "m",
                "source": source,
                "timestamp_column": "event_time",
                "reference": reference,
                "window": {"size": "1h"},
                "columns": [{"name": "amount", "kind": "numeric"}, "country"],
            }
        ]
    }
    path = tmp_path / "driftmon.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def file_setup(tmp_path: Path, fmt: str) -> Path:
    training = training_set()
    table = pa.table({"amount": pa.array(training["amount"], pa.float64()), "country": training["country"]})
    live = pa.Table.from_pylist(live_rows())
    write = pq.write_table if fmt == "parquet" else pcsv.write_csv
    write(table, tmp_path / f"train.{fmt}")
    write(live, tmp_path / f"live.{fmt}")
    return write_config(
        tmp_path,
        {"kind": "file", "path": str(tmp_path / f"live.{fmt}")},
        {"path": str(tmp_path / f"train.{fmt}")},
    )


def sql_setup(tmp_path: Path, url: str, target: str) -> Path:
    training = training_set()
    engine = sa.create_engine(url)
    meta = sa.MetaData()
    train = sa.Table("training", meta, sa.Column("amount", sa.Float()), sa.Column("country", sa.Text()))
    events = sa.Table(
        "events",
        meta,
        sa.Column("event_time", sa.DateTime(timezone=True)),
        sa.Column("amount", sa.Float()),
        sa.Column("country", sa.Text()),
    )
    with engine.begin() as conn:
        meta.create_all(conn)
        conn.execute(
            train.insert(),
            [
                {"amount": a, "country": c}
                for a, c in zip(training["amount"], training["country"], strict=True)
            ],
        )
        conn.execute(events.insert(), live_rows())
    engine.dispose()
    reference = (
        {"table": "training"} if target == "table" else {"query": "SELECT country, amount FROM training"}
    )
    return write_config(tmp_path, {"kind": "sql", "url": url, "table": "events"}, reference)


def check_commands(tmp_path: Path, config: Path) -> None:
    store = f"sqlite:///{tmp_path}/store.sqlite"
    runner = CliRunner(env={"DRIFTMON_DATABASE_URL": store})
    checked = runner.invoke(main, ["check-config", "-c", str(config), "--connect"])
    assert checked.exit_code == 0, checked.output
    ran = runner.invoke(main, ["run", "-c", str(config), "--monitor", "m"])
    assert ran.exit_code == 0, ran.output
    assert "succeeded" in ran.output
    filled = runner.invoke(main, ["backfill", "-c", str(config), "--last", "24"])
    assert filled.exit_code == 0, filled.output
    assert "failed" not in filled.output
    assert "before the data starts" in filled.output  # the source starts 6 hours ago
    listed = runner.invoke(main, ["baseline", "list", "-c", str(config)])
    assert listed.exit_code == 0, listed.output
    assert "all rows" in listed.output

    engine = make_engine(store)
    with session_factory(engine)() as session:
        baselines = {b.column: b for b in list_baselines(session, "m")}
    engine.dispose()
    assert set(baselines) == {"amount", "country"}
    training = training_set()
    for name, baseline in baselines.items():
        assert baseline.version == 1  # fitted once, by the first run; the backfill reused it
        assert baseline.reference["all_rows"] is True
        assert baseline.reference["start"] is None
        assert baseline.reference["end"] is None
        assert baseline.reference["rows"] == TRAINING_ROWS
        expected = count_values(baseline.spec, training[name], name).counts
        assert baseline.histogram.counts.tolist() == expected.tolist()
    assert baselines["amount"].histogram.counts[baselines["amount"].spec.missing_index] > 0


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_a_training_file_without_timestamps_is_the_reference(tmp_path: Path, fmt: str) -> None:
    check_commands(tmp_path, file_setup(tmp_path, fmt))


@pytest.mark.parametrize("target", ["table", "query"])
def test_a_training_table_or_query_without_timestamps_is_the_reference(
    tmp_path: Path, database_url: str, target: str
) -> None:
    check_commands(tmp_path, sql_setup(tmp_path, database_url, target))
