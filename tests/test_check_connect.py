"""`driftmon check-config --connect`: what `run` would refuse, found first, naming monitor, column, source."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa
import yaml
from click.testing import CliRunner, Result

from driftmon.cli import main

T0 = datetime(2024, 5, 1, tzinfo=UTC)


@pytest.fixture
def files(tmp_path: Path) -> Path:
    """Live events (event_time, amount, country) and a training set (amount, country)."""
    live = {
        "event_time": pa.array([T0] * 4),
        "amount": [1.0, 2.0, None, 4.0],
        "country": ["de", "fr", "de", None],
    }
    pq.write_table(pa.table(live), tmp_path / "live.parquet")
    pq.write_table(pa.table({"amount": [1.5, 2.5], "country": ["de", "us"]}), tmp_path / "train.parquet")
    return tmp_path


def monitor(name: str, source: dict[str, Any], reference: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "source": source,
        "timestamp_column": extra.pop("timestamp_column", "event_time"),
        "reference": reference,
        "window": {"size": "1h"},
        "columns": extra.pop("columns", [{"name": "amount", "kind": "numeric"}, "country"]),
        **extra,
    }


def check(tmp_path: Path, *monitors: dict[str, Any], env: dict[str, str] | None = None) -> Result:
    path = tmp_path / "driftmon.yaml"
    path.write_text(yaml.safe_dump({"monitors": list(monitors)}))
    return CliRunner(env=env).invoke(main, ["check-config", "-c", str(path), "--connect"])


def file_source(path: Path) -> dict[str, Any]:
    return {"kind": "file", "path": str(path)}


def test_a_good_config_passes_and_without_the_flag_nothing_is_opened(files: Path) -> None:
    good = monitor("good", file_source(files / "live.parquet"), {"path": str(files / "train.parquet")})
    own = monitor(
        "own",
        file_source(files / "live.parquet"),
        {"start": "2024-04-01T00:00:00Z", "end": "2024-05-01T00:00:00Z"},
    )
    result = check(files, good, own)
    assert result.exit_code == 0, result.output
    assert "OK: the sources of 2 monitor(s) are reachable and have every column" in result.output
    gone = monitor("gone", file_source(files / "nowhere.parquet"), {"path": str(files / "train.parquet")})
    path = files / "offline.yaml"
    path.write_text(yaml.safe_dump({"monitors": [gone]}))
    offline = CliRunner().invoke(main, ["check-config", "-c", str(path)])
    assert offline.exit_code == 0, offline.output  # offline as before: files are not opened


def test_missing_columns_name_the_monitor_the_column_and_the_files(files: Path) -> None:
    columns = [{"name": "amount", "kind": "numeric"}, "country", "device"]
    broken_ref = monitor(
        "m1", file_source(files / "live.parquet"), {"path": str(files / "train.parquet")}, columns=columns
    )
    result = check(files, broken_ref)
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert lines == [
        f"error: monitor 'm1': live source parquet files {files}/live.parquet: column 'device': "
        f"not found in the files at {files}/live.parquet; it has 'amount', 'country'",
        f"error: monitor 'm1': reference parquet files {files}/train.parquet: column 'device': "
        f"not found in the files at {files}/train.parquet; it has 'amount', 'country'",
    ]
    assert "2 problem(s) in the sources of 1 monitor(s)" in result.output


def test_a_column_missing_from_the_reference_only(files: Path) -> None:
    pq.write_table(pa.table({"amount": [1.5]}), files / "narrow.parquet")
    result = check(
        files, monitor("m2", file_source(files / "live.parquet"), {"path": str(files / "narrow.parquet")})
    )
    assert result.exit_code == 1
    assert (
        f"monitor 'm2': reference parquet files {files}/narrow.parquet: column 'country': not found"
        in result.output
    )
    assert "live source" not in result.output


def test_a_column_missing_from_the_live_source_only(files: Path) -> None:
    pq.write_table(pa.table({"event_time": pa.array([T0]), "country": ["de"]}), files / "thin.parquet")
    result = check(
        files, monitor("m3", file_source(files / "thin.parquet"), {"path": str(files / "train.parquet")})
    )
    assert result.exit_code == 1
    assert (
        f"monitor 'm3': live source parquet files {files}/thin.parquet: column 'amount': not found"
        in result.output
    )
    assert "reference parquet" not in result.output


def test_the_live_source_needs_its_timestamp_column_the_training_set_does_not(files: Path) -> None:
    m = monitor(
        "m4",
        file_source(files / "live.parquet"),
        {"path": str(files / "train.parquet")},
        timestamp_column="ts",
    )
    result = check(files, m)
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert lines == [
        f"error: monitor 'm4': live source parquet files {files}/live.parquet: "
        "timestamp column 'ts' not found; the files have event_time, amount, country"
    ]


def test_strings_in_a_numeric_column(files: Path) -> None:
    m = monitor(
        "m5",
        file_source(files / "live.parquet"),
        {"path": str(files / "train.parquet")},
        columns=[{"name": "country", "kind": "numeric"}],
    )
    result = check(files, m)
    assert result.exit_code == 1
    assert "monitor 'm5': live source parquet files" in result.output
    assert "column 'country': declared numeric but its type in the source is string" in result.output


def test_a_missing_file_and_an_unreachable_database(files: Path, tmp_path: Path) -> None:
    gone = monitor("m6", file_source(files / "nowhere.parquet"), {"path": str(files / "train.parquet")})
    db = monitor(
        "m7",
        {
            "kind": "sql",
            "url": "postgresql+psycopg://driftmon:${DB_PASSWORD}@127.0.0.1:9/events",
            "table": "events",
        },
        {"table": "training"},
    )
    sqlite = monitor(
        "m8", {"kind": "sql", "url": f"sqlite:///{tmp_path}/absent.sqlite", "table": "e"}, {"table": "t"}
    )
    off = monitor("off", file_source(files / "nowhere.parquet"), {"path": "x.parquet"}, enabled=False)
    result = check(files, gone, db, sqlite, off, env={"DB_PASSWORD": "s3cret-pw"})
    assert result.exit_code == 1
    assert "s3cret-pw" not in result.output
    out = result.output
    nowhere = f"{files}/nowhere.parquet"
    assert f"monitor 'm6': live source parquet files {nowhere}: no such file: {nowhere}" in out
    url = "postgresql+psycopg://driftmon:***@127.0.0.1:9/events"
    assert f"monitor 'm7': live source {url} table 'events': database unreachable" in out
    assert f"monitor 'm7': reference {url} table 'training': database unreachable" in out
    assert (
        f"monitor 'm8': live source sqlite:///{tmp_path}/absent.sqlite table 'e': database unreachable" in out
    )
    assert "'off'" not in out
    assert "(1 disabled monitor(s) not checked)" in out


def test_sql_tables_and_queries_are_checked_in_the_database(files: Path, database_url: str) -> None:
    engine = sa.create_engine(database_url)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE events (event_time TIMESTAMP, amount REAL, country TEXT)")
        conn.exec_driver_sql("CREATE TABLE training (amount REAL, region TEXT)")
    engine.dispose()
    source = {"kind": "sql", "url": database_url, "table": "events"}
    good = monitor("q1", source, {"query": "SELECT amount, region AS country FROM training"})
    bad = monitor("q2", source, {"table": "training"})
    result = check(files, good, bad)
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, result.output
    assert lines[0].startswith("error: monitor 'q2': reference ")
    assert "table 'training': column 'country': not found in " in lines[0]
