"""Sources opened without a timestamp column (a training set): every row, no event time needed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa

from driftmon.config import ColumnSettings, FileSourceConfig, SqlSourceConfig
from driftmon.core import count_values, fit_bins
from driftmon.errors import SourceSchemaError
from driftmon.sources import FileSource, SqlSource, fit_reference
from driftmon.windows import TimeRange

ROWS = 3_000


def training_columns(seed: int = 3) -> dict[str, list[Any]]:
    rng = np.random.default_rng(seed)
    x = [None if rng.random() < 0.05 else float(v) for v in rng.normal(2.0, 1.5, ROWS)]
    c = [None if rng.random() < 0.05 else str(v) for v in rng.choice(["a", "b", "c", "d"], ROWS)]
    return {"x": x, "c": c}


SETTINGS = [
    ColumnSettings("x", "numeric", "feature", "quantile", 8, None, 20, 0.5, 100, ("psi",), {}),
    ColumnSettings("c", "categorical", "feature", "quantile", 10, None, 20, 0.5, 100, ("psi",), {}),
]


def check_fit(source: Any, values: dict[str, list[Any]]) -> None:
    # Once from the full sample (one read), once fitted on a sample and counted over every row.
    for sample_size in (10 * ROWS, 500):
        fit = fit_reference(source, SETTINGS, None, sample_size=sample_size)
        assert fit.errors == {}
        assert fit.rows == ROWS
        assert fit.sampled is (sample_size < ROWS)
        assert set(fit.histograms) == {"x", "c"}
        for name, histogram in fit.histograms.items():
            counted = count_values(histogram.spec, values[name], name)
            assert histogram.counts.tolist() == counted.counts.tolist()
            assert int(histogram.counts.sum()) == ROWS
    exact = fit_reference(source, SETTINGS, None, sample_size=10 * ROWS).histograms["x"].spec
    xs = np.array([np.nan if v is None else v for v in values["x"]], dtype=np.float64)
    assert exact == fit_bins(xs, kind="numeric", n_bins=8)


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_a_file_without_a_timestamp_column_is_read_whole(tmp_path: Path, fmt: str) -> None:
    values = training_columns()
    table = pa.table({"x": pa.array(values["x"], pa.float64()), "c": pa.array(values["c"], pa.string())})
    path = tmp_path / f"train.{fmt}"
    if fmt == "parquet":
        pq.write_table(table, path, row_group_size=700)
    else:
        pcsv.write_csv(table, path)
    source = FileSource(FileSourceConfig(path=str(path)), None)
    check_fit(source, values)
    with pytest.raises(SourceSchemaError, match="no timestamp column to select"):
        source.count({}, TimeRange(None, None))


@pytest.mark.parametrize("target", ["table", "query"])
def test_a_table_or_query_without_a_timestamp_column_is_read_whole(database_url: str, target: str) -> None:
    values = training_columns(5)
    engine = sa.create_engine(database_url)
    table = sa.Table("training", sa.MetaData(), sa.Column("x", sa.Float()), sa.Column("c", sa.Text()))
    with engine.begin() as conn:
        table.create(conn)
        conn.execute(
            table.insert(), [{"x": x, "c": c} for x, c in zip(values["x"], values["c"], strict=True)]
        )
    engine.dispose()
    where = {"table": "training"} if target == "table" else {"query": "SELECT c, x FROM training WHERE 1 = 1"}
    with SqlSource(SqlSourceConfig(url=database_url, **where), None) as source:
        check_fit(source, values)
        with pytest.raises(SourceSchemaError, match="no timestamp column to select"):
            source.count({}, TimeRange(None, None))
