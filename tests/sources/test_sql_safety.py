"""SQL sources read only, and report categorical values whose type changed (real PostgreSQL, SQLite)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from driftmon.config import SqlSourceConfig
from driftmon.core import CategoricalBins, NumericBins
from driftmon.errors import ColumnTypeChangedError, SourceQueryError
from driftmon.sources import SqlSource
from tests.sources.test_sql import create

START = datetime(2024, 1, 1, tzinfo=UTC)


def _events(url: str) -> None:
    rows = [
        {"ts": START + timedelta(minutes=k), "x": float(k), "i": k % 5, "f": k % 3 + 0.5} for k in range(50)
    ]
    columns = [
        sa.Column("ts", sa.DateTime(timezone=True)),
        sa.Column("x", sa.Float()),
        sa.Column("i", sa.Integer()),
        sa.Column("f", sa.Float()),
    ]
    create(url, "events", columns, rows)


def _count_rows(url: str) -> int:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(sa.text("SELECT count(*) FROM events")).scalar_one())
    finally:
        engine.dispose()


def test_a_postgres_query_calling_a_function_that_deletes_fails_and_deletes_nothing(
    postgres_url: str,
) -> None:
    _events(postgres_url)
    engine = sa.create_engine(postgres_url)
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "CREATE FUNCTION purge_events() RETURNS integer LANGUAGE sql AS "
                "'DELETE FROM events; SELECT 1'"
            )
        )
    engine.dispose()
    query = "SELECT ts, x, purge_events() AS p FROM events"
    source = SqlSource(SqlSourceConfig(url=postgres_url, query=query), "ts")
    with source, pytest.raises(SourceQueryError) as failed:
        source.count({"x": NumericBins((10.0,))}, None)
    message = str(failed.value)
    assert "the query tried to write, and sources are read only" in message
    assert "rejected" not in message  # failed as a whole, not column by column
    assert "cannot execute DELETE in a read-only transaction" in message
    assert "nothing was changed" in message
    assert _count_rows(postgres_url) == 50
    # The same source reading only still works.
    reader = SqlSource(SqlSourceConfig(url=postgres_url, query="SELECT ts, x FROM events"), "ts")
    with reader:
        assert reader.count({"x": NumericBins((10.0,))}, None).rows == 50


def test_sqlite_source_connections_are_query_only(sqlite_url: str) -> None:
    _events(sqlite_url)
    source = SqlSource(SqlSourceConfig(url=sqlite_url, table="events"), "ts")
    with source:
        assert source.count({"x": NumericBins((10.0,))}, None).rows == 50
        with source.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA query_only").scalar_one() == 1
            with pytest.raises(sa.exc.OperationalError, match="readonly"):
                conn.exec_driver_sql("DELETE FROM events")
    assert _count_rows(sqlite_url) == 50


def test_postgres_integers_against_text_categories_are_compared_by_text(postgres_url: str) -> None:
    _events(postgres_url)
    source = SqlSource(SqlSourceConfig(url=postgres_url, table="events"), "ts")
    specs = {
        "i": CategoricalBins(("0", "1", "2", "03")),  # the reference held text
        "f": CategoricalBins(("0.5", "1.5")),  # floats against text: not compared
        "x": NumericBins((10.0,)),
    }
    with source:
        counted = source.count(specs, None)
    assert counted.histograms["i"].counts.tolist() == [10, 10, 10, 0, 20, 0]  # 3 is not "03": other
    change = counted.type_changes["i"]
    assert (change.reference, change.live, change.compared) == (
        frozenset({"string"}),
        frozenset({"integer"}),
        True,
    )
    assert isinstance(counted.errors["f"], ColumnTypeChangedError)
    assert "the baseline's categories are string, the live values float; not compared" in str(
        counted.errors["f"]
    )
    assert "f" not in counted.histograms
    assert counted.histograms["x"].counts.tolist() == [10, 40, 0]
