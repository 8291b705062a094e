"""check_columns: a cheap look at a source's schema and first rows, as `check-config --connect` uses."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from driftmon.config import FileSourceConfig, SqlSourceConfig
from driftmon.errors import (
    ColumnTypeError,
    MissingColumnError,
    NonNumericColumnError,
    SourceFileNotFoundError,
    SourceSchemaError,
    SourceUnreachableError,
)
from driftmon.sources import FileSource, SqlSource

T0 = datetime(2024, 5, 1, tzinfo=UTC)


def test_parquet_columns_are_checked_on_the_schema(tmp_path: Path) -> None:
    path = tmp_path / "e.parquet"
    table = pa.table({"ts": pa.array([T0] * 3), "x": [1.0, 2.0, None], "s": ["a", "1", "b"], "n": [1, 2, 3]})
    pq.write_table(table, path)
    source = FileSource(FileSourceConfig(path=str(path)), "ts")
    errors = source.check_columns(
        {"x": "numeric", "n": None, "s": "numeric", "gone": None, "ts2": "categorical"}
    )
    assert set(errors) == {"s", "gone", "ts2"}
    assert isinstance(errors["s"], ColumnTypeError)
    assert "type in the source is string" in str(errors["s"])
    assert isinstance(errors["gone"], MissingColumnError)
    assert str(path) in str(errors["gone"])
    assert FileSource(FileSourceConfig(path=str(path)), None).check_columns({"x": "numeric"}) == {}
    with pytest.raises(SourceSchemaError, match="timestamp column 'when' not found"):
        FileSource(FileSourceConfig(path=str(path)), "when").check_columns({"x": None})
    with pytest.raises(SourceSchemaError, match="timestamp column 'x' has type double"):
        FileSource(FileSourceConfig(path=str(path)), "x").check_columns({})
    with pytest.raises(SourceFileNotFoundError, match="no such file"):
        FileSource(FileSourceConfig(path=str(tmp_path / "none.parquet")), "ts").check_columns({})


def test_csv_numeric_columns_are_checked_on_their_first_rows(tmp_path: Path) -> None:
    path = tmp_path / "e.csv"
    pcsv.write_csv(pa.table({"ts": pa.array([T0] * 3), "x": ["1.5", "", "2"], "y": ["1", "two", "3"]}), path)
    errors = FileSource(FileSourceConfig(path=str(path)), "ts").check_columns(
        {"x": "numeric", "y": "numeric"}
    )
    assert list(errors) == ["y"]
    assert isinstance(errors["y"], NonNumericColumnError)
    assert "'two'" in str(errors["y"])
    assert "row 1" in str(errors["y"])


def test_sql_columns_are_checked_on_types_and_first_rows(database_url: str) -> None:
    pg = make_url(database_url).get_backend_name() == "postgresql"
    engine = sa.create_engine(database_url)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE e (ts TIMESTAMP, x REAL, label TEXT, ts_text TEXT)")
        conn.exec_driver_sql("INSERT INTO e VALUES ('2024-05-01 10:00:00', 1.5, 'a', 'x')")
        if not pg:  # SQLite keeps whatever it is given in any column
            conn.exec_driver_sql("INSERT INTO e VALUES ('2024-05-01 11:00:00', 'oops', 'b', 'y')")
    engine.dispose()
    with SqlSource(SqlSourceConfig(url=database_url, table="e"), "ts") as source:
        errors = source.check_columns({"x": "numeric", "label": "numeric", "gone": None})
        assert isinstance(errors["gone"], MissingColumnError)
        assert "table 'e'" in str(errors["gone"])
        if pg:
            assert set(errors) == {"label", "gone"}
            assert isinstance(errors["label"], ColumnTypeError)
            assert "type in the source is text" in str(errors["label"])
        else:
            assert set(errors) == {"x", "label", "gone"}
            assert isinstance(errors["x"], NonNumericColumnError)
            assert "'oops'" in str(errors["x"])
            assert isinstance(errors["label"], NonNumericColumnError)
            assert "'a'" in str(errors["label"])
    with SqlSource(SqlSourceConfig(url=database_url, query="SELECT x FROM e"), None) as source:
        assert source.check_columns({"x": "categorical"}) == {}
    if pg:
        with (
            SqlSource(SqlSourceConfig(url=database_url, table="e"), "ts_text") as source,
            pytest.raises(SourceSchemaError, match="'ts_text' has type text; expected a timestamp"),
        ):
            source.check_columns({"x": None})
    with (
        SqlSource(SqlSourceConfig(url=database_url, table="missing"), "ts") as source,
        pytest.raises(SourceSchemaError, match="table 'missing' does not exist"),
    ):
        source.check_columns({"x": None})


def test_unreachable_database_is_a_source_error(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/absent.sqlite"
    with (
        SqlSource(SqlSourceConfig(url=url, table="e"), "ts") as source,
        pytest.raises(SourceUnreachableError, match="does not exist"),
    ):
        source.check_columns({"x": None})
