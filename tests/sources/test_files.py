"""The file source: Parquet (file, glob, partitioned dataset) and CSV, counted batch by batch."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from driftmon.config import ColumnSettings, FileSourceConfig, MonitorConfig, SqlSourceConfig
from driftmon.core import BinSpec, CategoricalBins, NumericBins, count_values
from driftmon.errors import (
    CorruptFileError,
    MissingColumnError,
    NonNumericColumnError,
    SourceFileNotFoundError,
    SourceSchemaError,
)
from driftmon.sources import (
    FileSource,
    Sampling,
    Source,
    SqlSource,
    fit_reference,
    monitor_source,
    open_source,
)
from driftmon.windows import Window

START = datetime(2024, 1, 1, tzinfo=UTC)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def frame(n: int = 6000, seed: int = 3, aware: bool = True) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    on_edges = rng.random(n) < 0.2
    x[on_edges] = np.round(x[on_edges])  # many values exactly on integer edges
    x[rng.random(n) < 0.1] = np.nan
    x[:3] = [np.inf, -np.inf, 1.0]
    ts = pd.Series(START + pd.to_timedelta(rng.integers(0, 3 * 86400, n), unit="s"))
    return pd.DataFrame(
        {
            "ts": ts if aware else ts.dt.tz_localize(None),
            "x": x,
            "i": pd.array(np.where(rng.random(n) < 0.1, None, rng.integers(-2, 3, n)), dtype="Int64"),
            "c": pd.Series(rng.choice(["a", "b", "c", None], n), dtype=object),
            "flag": pd.array(rng.random(n) < 0.3, dtype="boolean"),
            "empty": np.full(n, np.nan),
        }
    )


SPECS: dict[str, BinSpec] = {
    "x": NumericBins((-1.0, 0.0, 1.0)),
    "i": NumericBins((0.0, 1.0)),
    "c": CategoricalBins(("a", "zz")),
    "flag": CategoricalBins((True,)),
    "empty": NumericBins((0.0,)),
}


def expected_counts(
    df: pd.DataFrame, window: Window | None, specs: dict[str, BinSpec]
) -> dict[str, list[int]]:
    ts = df["ts"] if df["ts"].dt.tz is not None else df["ts"].dt.tz_localize("UTC")
    rows = df if window is None else df[(ts >= window.start) & (ts < window.end)]
    return {name: count_values(spec, rows[name], name).counts.tolist() for name, spec in specs.items()}


def layouts(df: pd.DataFrame, root: Path) -> dict[str, FileSourceConfig]:
    """Write `df` as one Parquet file, daily files, a hive-partitioned dataset, and a CSV file."""
    root.mkdir()
    pq.write_table(pa.Table.from_pandas(df, preserve_index=False), root / "one.parquet", row_group_size=1000)
    daily = root / "daily"
    daily.mkdir()
    days = df["ts"].dt.strftime("%Y-%m-%d")
    for day in sorted(days.unique()):
        part = df[days == day]
        pq.write_table(pa.Table.from_pandas(part, preserve_index=False), daily / f"{day}.parquet")
    hive = root / "hive"
    for day in sorted(days.unique()):
        (hive / f"day={day}").mkdir(parents=True)
        part = df[days == day]
        pq.write_table(pa.Table.from_pandas(part, preserve_index=False), hive / f"day={day}" / "part.parquet")
    df.to_csv(root / "all.csv", index=False)
    return {
        "file": FileSourceConfig(path=str(root / "one.parquet"), batch_rows=1024),
        "glob": FileSourceConfig(path=str(daily / "*.parquet"), batch_rows=1024),
        "hive": FileSourceConfig(path=str(hive), batch_rows=1024),
        "csv": FileSourceConfig(path=str(root / "all.csv"), batch_rows=1024),
    }


@pytest.mark.parametrize("aware", [True, False])
def test_counts_equal_core_counts_in_every_layout(tmp_path: Path, aware: bool) -> None:
    df = frame(aware=aware)
    rng = np.random.default_rng(5)
    windows: list[Window | None] = [None]
    for _ in range(6):
        start = START + timedelta(seconds=int(rng.integers(-3600, 3 * 86400)))
        windows.append(Window(start, start + timedelta(seconds=int(rng.integers(1, 86400)))))
    for name, config in layouts(df, tmp_path / "data").items():
        with FileSource(config, "ts") as source:
            for window in windows:
                counted = source.count(SPECS, window)
                assert counted.errors == {}, name
                expected = expected_counts(df, window, SPECS)
                assert {k: h.counts.tolist() for k, h in counted.histograms.items()} == expected, (
                    name,
                    window,
                )
                in_range = expected["x"]
                assert counted.rows == sum(in_range)


def test_window_bounds_are_half_open(tmp_path: Path) -> None:
    df = pd.DataFrame(
        {"ts": [utc(2024, 1, 1, 10), utc(2024, 1, 1, 10, 59, 59), utc(2024, 1, 1, 11)], "x": [1.0, 2.0, 3.0]}
    )
    pq.write_table(pa.Table.from_pandas(df), tmp_path / "a.parquet")
    with FileSource(FileSourceConfig(path=str(tmp_path / "a.parquet")), "ts") as source:
        counted = source.count({"x": NumericBins((2.5,))}, Window(utc(2024, 1, 1, 10), utc(2024, 1, 1, 11)))
    assert counted.rows == 2
    assert counted.histograms["x"].counts.tolist() == [2, 0, 0]


def test_partition_keys_are_columns(tmp_path: Path) -> None:
    for region, n in (("eu", 3), ("us", 5)):
        (tmp_path / f"region={region}").mkdir()
        part = pd.DataFrame({"ts": [START] * n, "x": [1.0] * n})
        pq.write_table(pa.Table.from_pandas(part), tmp_path / f"region={region}" / "p.parquet")
    with FileSource(FileSourceConfig(path=str(tmp_path)), "ts") as source:
        counted = source.count({"region": CategoricalBins(("us",))}, None)
    assert counted.histograms["region"].counts.tolist() == [5, 3, 0]


def test_bad_columns_fail_alone(tmp_path: Path) -> None:
    df = pd.DataFrame(
        {"ts": [START] * 4, "x": [1.0, 2.0, 3.0, None], "s": ["1", "2", "x", None], "gone": [None] * 4}
    )
    pq.write_table(pa.Table.from_pandas(df), tmp_path / "a.parquet")
    specs: dict[str, BinSpec] = {
        "x": NumericBins((2.0,)),
        "s": NumericBins((2.0,)),
        "nope": NumericBins(()),
        "gone": CategoricalBins(("a",)),
    }
    with FileSource(FileSourceConfig(path=str(tmp_path / "a.parquet")), "ts") as source:
        counted = source.count(specs, None)
    assert counted.histograms["x"].counts.tolist() == [1, 2, 1]
    assert counted.histograms["gone"].counts.tolist() == [0, 0, 4]  # all null: missing, no crash
    assert isinstance(counted.errors["s"], NonNumericColumnError)
    assert str(counted.errors["s"]).startswith("column 's': non-numeric value '1' (str) at row 0")
    assert isinstance(counted.errors["nope"], MissingColumnError)
    assert "column 'nope': not found in the files at" in str(counted.errors["nope"])
    assert counted.rows == 4


def test_csv_numeric_columns_are_parsed_and_a_stray_string_fails_that_column(tmp_path: Path) -> None:
    lines = [
        "ts,x,y,c",
        *(f"2024-01-01T00:{k:02d}:00Z,{k},{k if k != 1500 % 60 else 'oops'},v{k % 2}" for k in range(60)),
    ]
    (tmp_path / "a.csv").write_text("\n".join(lines) + "\n2024-01-01T01:00:00Z,,inf,\n")
    with FileSource(FileSourceConfig(path=str(tmp_path / "a.csv"), batch_rows=1024), "ts") as source:
        counted = source.count(
            {"x": NumericBins((30.0,)), "y": NumericBins(()), "c": CategoricalBins(("v0",))}, None
        )
    assert counted.histograms["x"].counts.tolist() == [30, 30, 1]
    assert counted.histograms["c"].counts.tolist() == [30, 30, 1]
    assert str(counted.errors["y"]) == (
        "column 'y': non-numeric value 'oops' (str) at row 0; a numeric column may hold numbers, None or NaN "
        "only: clean the source or declare the column categorical"
    )


def test_corrupt_and_missing_files_are_named(tmp_path: Path) -> None:
    df = frame(100)
    pq.write_table(pa.Table.from_pandas(df), tmp_path / "a.parquet")
    (tmp_path / "b.parquet").write_bytes(b"this is not parquet" * 10)
    glob = FileSource(FileSourceConfig(path=str(tmp_path / "*.parquet")), "ts")
    with glob, pytest.raises(CorruptFileError) as exc:
        glob.count({"x": NumericBins(())}, None)
    assert exc.value.file == str(tmp_path / "b.parquet")
    assert f"cannot read {tmp_path / 'b.parquet'}:" in str(exc.value)
    assert isinstance(exc.value, ValueError)
    one = FileSource(FileSourceConfig(path=str(tmp_path / "b.parquet")), "ts")
    with one, pytest.raises(CorruptFileError, match=r"b\.parquet"):
        one.count({"x": NumericBins(())}, None)
    for path in (tmp_path / "absent.parquet", tmp_path / "none-*.parquet"):
        with FileSource(FileSourceConfig(path=str(path)), "ts") as source:
            with pytest.raises(SourceFileNotFoundError, match="no such file") as missing:
                source.ping()
            assert isinstance(missing.value, FileNotFoundError)
            with pytest.raises(SourceFileNotFoundError):
                source.count({"x": NumericBins(())}, None)


def test_timestamp_column_problems(tmp_path: Path) -> None:
    pq.write_table(pa.table({"when": ["2024-01-01"], "x": [1.0]}), tmp_path / "a.parquet")
    config = FileSourceConfig(path=str(tmp_path / "a.parquet"))
    with (
        FileSource(config, "ts") as source,
        pytest.raises(SourceSchemaError, match="timestamp column 'ts' not found"),
    ):
        source.count({"x": NumericBins(())}, Window(START, START + timedelta(hours=1)))
    with (
        FileSource(config, "when") as source,
        pytest.raises(SourceSchemaError, match="has type string; expected"),
    ):
        source.count({"x": NumericBins(())}, Window(START, START + timedelta(hours=1)))


def test_date_typed_timestamp_column(tmp_path: Path) -> None:
    pq.write_table(
        pa.table({"day": pa.array([START.date(), (START + timedelta(days=1)).date()]), "x": [1.0, 2.0]}),
        tmp_path / "a.parquet",
    )
    with FileSource(FileSourceConfig(path=str(tmp_path / "a.parquet")), "day") as source:
        counted = source.count({"x": NumericBins(())}, Window(START, START + timedelta(days=1)))
    assert counted.rows == 1


def test_empty_window(tmp_path: Path) -> None:
    pq.write_table(pa.Table.from_pandas(frame(100)), tmp_path / "a.parquet")
    with FileSource(FileSourceConfig(path=str(tmp_path / "a.parquet")), "ts") as source:
        counted = source.count(SPECS, Window(utc(2030, 1, 1), utc(2030, 1, 2)))
    assert counted.rows == 0
    assert all(h.n == 0 for h in counted.histograms.values())


def test_read_reference_infers_kinds_and_bounds_the_sample(tmp_path: Path) -> None:
    df = frame(5000)
    pq.write_table(pa.Table.from_pandas(df, preserve_index=False), tmp_path / "a.parquet", row_group_size=700)
    config = FileSourceConfig(path=str(tmp_path / "a.parquet"), batch_rows=1024)
    columns = {"x": None, "i": None, "c": None, "flag": None, "s": None}
    with FileSource(config, "ts") as source:
        full = source.read_reference(columns, None, Sampling())
        sample = source.read_reference({"x": None}, None, Sampling(300, seed=1))
        again = source.read_reference({"x": None}, None, Sampling(300, seed=1))
    assert {n: c.kind for n, c in full.columns.items()} == {
        "x": "numeric",
        "i": "numeric",
        "c": "categorical",
        "flag": "categorical",
    }
    assert isinstance(full.errors["s"], MissingColumnError)
    assert (full.rows, full.sampled) == (5000, False)
    assert np.array_equal(np.sort(full.columns["x"].values), np.sort(df["x"].to_numpy()), equal_nan=True)
    assert sorted(full.columns["c"].values, key=str) == sorted(df["c"], key=str)
    assert (sample.rows, sample.sampled, sample.columns["x"].values.shape) == (5000, True, (300,))
    assert np.array_equal(sample.columns["x"].values, again.columns["x"].values, equal_nan=True)
    assert np.isin(
        sample.columns["x"].values[~np.isnan(sample.columns["x"].values)], df["x"].to_numpy()
    ).all()


def test_fit_reference_from_files_counts_every_row(tmp_path: Path) -> None:
    df = frame(4000)
    pq.write_table(pa.Table.from_pandas(df, preserve_index=False), tmp_path / "a.parquet")
    settings = [
        ColumnSettings("x", None, "feature", "quantile", 5, None, 20, 0.5, 100, ("psi",), {}),
        ColumnSettings("c", None, "feature", "quantile", 10, None, 2, 0.5, 100, ("psi",), {}),
    ]
    with FileSource(FileSourceConfig(path=str(tmp_path / "a.parquet")), "ts") as source:
        for sample_size in (10_000, 400):
            fit = fit_reference(source, settings, None, sample_size=sample_size)
            assert fit.sampled == (sample_size < 4000)
            assert fit.rows == 4000
            for name, histogram in fit.histograms.items():
                assert histogram.counts.tolist() == count_values(histogram.spec, df[name]).counts.tolist()
            assert fit.histograms["x"].spec.n_bins <= 5 + 1


def test_monitor_sources_follow_the_reference_settings(tmp_path: Path) -> None:
    monitor = MonitorConfig.model_validate(
        {
            "name": "m",
            "source": {"kind": "file", "path": str(tmp_path / "live.parquet")},
            "timestamp_column": "ts",
            "reference": {"path": str(tmp_path / "train.csv")},
            "window": {"size": "1h"},
            "timeout": "90s",
            "columns": ["x"],
        }
    )
    live, reference = monitor_source(monitor), monitor_source(monitor, reference=True)
    assert isinstance(live, FileSource)
    assert isinstance(reference, FileSource)
    assert isinstance(live, Source)
    assert live.config.path.endswith("live.parquet")
    assert reference.config.file_format == "csv"
    sql = open_source(SqlSourceConfig(url="sqlite:///x.sqlite", table="t"), "ts", timeout=5.0)
    assert isinstance(sql, SqlSource)
    assert isinstance(sql, Source)
    assert sql.timeout == 5.0
    assert sql.description == "sqlite:///x.sqlite table 't'"
