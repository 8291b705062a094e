"""first_timestamp: the earliest event time inside a span, on Parquet, CSV, SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa

from driftmon.config import FileSourceConfig, SqlSourceConfig
from driftmon.errors import CorruptFileError, SourceSchemaError
from driftmon.sources import FileSource, SqlSource
from driftmon.windows import TimeRange

T0 = datetime(2024, 5, 1, tzinfo=UTC)
HOUR = timedelta(hours=1)
# Shuffled on purpose: row groups are not in time order and their minima differ.
HOURS = [7.5, 3.25, 9.0, 5.0, 11.75, 4.0, 6.5, 10.0]
STAMPS = [T0 + h * HOUR for h in HOURS]


def span(lo: float | None, hi: float | None) -> TimeRange:
    return TimeRange(T0 + lo * HOUR if lo is not None else None, T0 + hi * HOUR if hi is not None else None)


def earliest_in(lo: float | None, hi: float | None) -> datetime | None:
    inside = [t for t in STAMPS if (lo is None or t >= T0 + lo * HOUR) and (hi is None or t < T0 + hi * HOUR)]
    return min(inside, default=None)


SPANS = [(None, None), (4.0, None), (4.1, 12.0), (None, 3.0), (5.5, 7.0), (10.0, 11.0), (12.0, 20.0)]


def stamps(tz: str | None) -> pa.Array:
    values = STAMPS if tz else [t.replace(tzinfo=None) for t in STAMPS]
    return pa.array(values, pa.timestamp("us", tz=tz))


@pytest.mark.parametrize("statistics", [True, False])
@pytest.mark.parametrize("tz", ["UTC", "Europe/Paris", None])
def test_parquet_first_row_from_statistics_or_a_scan(
    tmp_path: Path, statistics: bool, tz: str | None
) -> None:
    path = tmp_path / "events.parquet"
    table = pa.table({"ts": stamps(tz), "x": pa.array(range(len(STAMPS)), pa.float64())})
    pq.write_table(table, path, row_group_size=2, write_statistics=statistics)
    source = FileSource(FileSourceConfig(path=str(path)), "ts")
    for lo, hi in SPANS:
        assert source.first_timestamp(span(lo, hi)) == earliest_in(lo, hi), (lo, hi)
    assert source.first_timestamp(None) == min(STAMPS)


def test_parquet_first_row_across_files_and_a_date_column(tmp_path: Path) -> None:
    for i in range(0, len(STAMPS), 3):
        part = pa.table({"ts": stamps("UTC")[i : i + 3]})
        pq.write_table(part, tmp_path / f"part-{i}.parquet")
    source = FileSource(FileSourceConfig(path=str(tmp_path / "*.parquet")), "ts")
    for lo, hi in SPANS:
        assert source.first_timestamp(span(lo, hi)) == earliest_in(lo, hi), (lo, hi)
    days = tmp_path / "days.parquet"
    pq.write_table(pa.table({"d": pa.array([date(2024, 5, 3), date(2024, 5, 2)])}), days)
    by_day = FileSource(FileSourceConfig(path=str(days)), "d")
    assert by_day.first_timestamp(None) == datetime(2024, 5, 2, tzinfo=UTC)
    assert by_day.first_timestamp(TimeRange(datetime(2024, 5, 2, 1, tzinfo=UTC))) == datetime(
        2024, 5, 3, tzinfo=UTC
    )


def test_csv_first_row_scans_the_timestamp_column(tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    pcsv.write_csv(pa.table({"ts": stamps("UTC"), "x": pa.array(["1", "oops"] * 4)}), path)
    source = FileSource(FileSourceConfig(path=str(path)), "ts")
    for lo, hi in SPANS:
        assert source.first_timestamp(span(lo, hi)) == earliest_in(lo, hi), (lo, hi)


def test_file_first_row_errors_name_the_source(tmp_path: Path) -> None:
    path = tmp_path / "train.parquet"
    pq.write_table(pa.table({"x": [1.0]}), path)
    with pytest.raises(SourceSchemaError, match="timestamp column 'ts' not found"):
        FileSource(FileSourceConfig(path=str(path)), "ts").first_timestamp(None)
    with pytest.raises(SourceSchemaError, match="no timestamp column"):
        FileSource(FileSourceConfig(path=str(path)), None).first_timestamp(None)
    bad = tmp_path / "bad.parquet"
    bad.write_bytes(b"PAR1 not really")
    with pytest.raises(CorruptFileError, match=r"bad\.parquet"):
        FileSource(FileSourceConfig(path=str(bad)), "ts").first_timestamp(None)


@pytest.mark.parametrize("target", ["table", "query"])
def test_sql_first_row_is_min_in_the_database(database_url: str, target: str) -> None:
    engine = sa.create_engine(database_url)
    table = sa.Table(
        "events", sa.MetaData(), sa.Column("ts", sa.DateTime(timezone=True)), sa.Column("x", sa.Float())
    )
    with engine.begin() as conn:
        table.create(conn)
        conn.execute(table.insert(), [{"ts": t, "x": 1.0} for t in STAMPS])
    engine.dispose()
    where: dict[str, Any] = {"table": "events"} if target == "table" else {"query": "SELECT ts FROM events"}
    with SqlSource(SqlSourceConfig(url=database_url, **where), "ts") as source:
        for lo, hi in SPANS:
            assert source.first_timestamp(span(lo, hi)) == earliest_in(lo, hi), (lo, hi)


def test_sqlite_first_row_reads_text_with_offsets_and_unix_seconds(sqlite_url: str) -> None:
    engine = sa.create_engine(sqlite_url)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE e (ts, x REAL)")
        conn.exec_driver_sql(
            "INSERT INTO e VALUES ('2024-05-01T10:30:00+02:00', 1), ('2024-05-01 09:00:00', 2)"
        )
        conn.exec_driver_sql(f"INSERT INTO e VALUES ({int((T0 + 8 * HOUR).timestamp())}, 3)")
    engine.dispose()
    with SqlSource(SqlSourceConfig(url=sqlite_url, table="e"), "ts") as source:
        assert source.first_timestamp(None) == T0 + 8 * HOUR
        assert source.first_timestamp(span(8.5, None)) == T0 + 8.5 * HOUR
        assert source.first_timestamp(span(9.5, None)) is None


def test_parquet_statistics_spare_the_scan_of_row_groups_inside_the_span(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import driftmon.sources.first_row as first_row

    path = tmp_path / "events.parquet"
    pq.write_table(pa.table({"ts": stamps("UTC")}), path, row_group_size=2)
    scanned: list[object] = []
    real = first_row._scanned_min

    def counting(piece: Any, *args: Any) -> datetime | None:
        scanned.append(piece)
        return real(piece, *args)

    monkeypatch.setattr(first_row, "_scanned_min", counting)
    source = FileSource(FileSourceConfig(path=str(path)), "ts")
    assert source.first_timestamp(None) == min(STAMPS)
    assert scanned == []
    # Row groups (07:30, 03:15) (09:00, 05:00) (11:45, 04:00) (06:30, 10:00) and [04:06, 12:00):
    # the two whose minimum is outside are scanned, the second gives 05:00 from its statistics
    # and the last cannot beat that.
    assert source.first_timestamp(span(4.1, 12.0)) == T0 + 5 * HOUR
    assert len(scanned) == 2
