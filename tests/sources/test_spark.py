"""The Spark source on a real local Spark: counts equal driftmon's own, baselines fitted in Spark.

Every source here shares one local driver (tests/spark_settings.py); it starts on first use.
"""

from __future__ import annotations

import decimal
import math
import socket
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from driftmon.config import ColumnSettings, MonitorConfig, SparkSourceConfig
from driftmon.core import (
    BinSpec,
    CategoricalBins,
    NumericBins,
    count_values,
    fit_bins,
    fit_categorical_bins,
)
from driftmon.errors import (
    ColumnTypeError,
    MissingColumnError,
    SourceError,
    SourceFileNotFoundError,
    SourceQueryError,
    SourceSchemaError,
    SourceTimeoutError,
    SourceUnreachableError,
)
from driftmon.sources import SparkSource, fit_reference, monitor_source, open_source
from driftmon.windows import TimeRange, Window

from ..spark_settings import SPARK_CONF, SPARK_MASTER

pytest.importorskip("pyspark")

T0 = datetime(2026, 1, 1, tzinfo=UTC)
SPECIAL = [math.nan, None, math.inf, -math.inf, -0.0, 0.0, 1.0, 2.0, 2.5, 3.0, -1e308, 5e-324]


def spark(**target: Any) -> SparkSourceConfig:
    return SparkSourceConfig(master=SPARK_MASTER, conf=SPARK_CONF, **target)


def special_table(n: int = 3000, seed: int = 5) -> pa.Table:
    """Rows over three hours: special floats, values exactly on the edges, categories seen and unseen."""
    rng = np.random.default_rng(seed)
    x: list[float | None] = [float(v) for v in rng.choice([-1.0, 0.0, 1.0, 2.0], n)]
    x = [v + float(rng.normal()) if rng.random() < 0.5 else v for v in x]  # half exactly on an edge
    for i, value in enumerate(SPECIAL * 10):
        x[i * 7] = value
    i64 = [None if rng.random() < 0.1 else int(v) for v in rng.integers(-2, 9, n)]
    text = [None if rng.random() < 0.1 else str(v) for v in rng.choice(["a", "b", "c", "1", "unseen"], n)]
    flag = [None if rng.random() < 0.1 else bool(v) for v in rng.random(n) < 0.3]
    score = [float(v) for v in rng.choice([0.0, 0.5, 1.0, 2.0], n)]
    score[:4] = [math.nan, -0.0, math.inf, 1.0]
    money = [decimal.Decimal(str(v)) for v in rng.choice(["0.10", "2.50", "7.00"], n)]
    day = [date(2026, 1, 1 + int(v)) for v in rng.integers(0, 3, n)]
    stamps = T0 + np.sort(rng.uniform(0, 3 * 3600, n)) * timedelta(seconds=1)
    stamps[0], stamps[1] = T0 + timedelta(hours=1), T0 + timedelta(hours=2)  # exactly on the bounds
    return pa.table(
        {
            "event_time": pa.array(list(stamps), pa.timestamp("us", tz="UTC")),
            "x": pa.array(x, pa.float64()),
            "i": pa.array(i64, pa.int64()),
            "text": pa.array(text, pa.string()),
            "flag": pa.array(flag, pa.bool_()),
            "score": pa.array(score, pa.float64()),
            "money": pa.array(money, pa.decimal128(9, 2)),
            "day": pa.array(day, pa.date32()),
        }
    )


SPECS: dict[str, BinSpec] = {
    "x": NumericBins((-1.0, 0.0, 1.0, 2.0)),
    "i": NumericBins((0.0, 2.0, 5.0)),
    "text": CategoricalBins(("a", "b", 1, "never")),
    "flag": CategoricalBins((True, 0)),
    "score": CategoricalBins((0.0, 1, 2.5)),
    "money": NumericBins((2.5,)),
    "day": CategoricalBins(("2026-01-02", "2025-12-31")),
    "i_categories": CategoricalBins((True, 2.0, 3.5, "2", -2)),
}


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, pa.Table]:
    table = special_table()
    table = table.append_column("i_categories", table.column("i"))
    path = tmp_path_factory.mktemp("spark") / "events.parquet"
    pq.write_table(table, path, row_group_size=500)
    return path, table


def rows_in(table: pa.Table, span: Window | TimeRange | None) -> pa.Table:
    if span is None:
        return table
    ts = table.column("event_time")
    keep = pc.and_(
        pc.greater_equal(ts, pa.scalar(span.start, ts.type)) if span.start else pc.is_valid(ts),
        pc.less(ts, pa.scalar(span.end, ts.type)) if span.end else pc.is_valid(ts),
    )
    return table.filter(keep)


def python_counts(table: pa.Table, specs: dict[str, BinSpec]) -> dict[str, list[int]]:
    return {
        name: count_values(spec, table.column(name), name).counts.tolist() for name, spec in specs.items()
    }


@pytest.mark.parametrize(
    "span",
    [
        Window(T0 + timedelta(hours=1), T0 + timedelta(hours=2)),
        TimeRange(None, T0 + timedelta(hours=1)),
        None,
    ],
)
def test_counts_from_spark_equal_driftmon_counts_on_the_same_rows(
    data: tuple[Path, pa.Table], span: Window | TimeRange | None
) -> None:
    path, table = data
    source = SparkSource(spark(path=str(path)), "event_time" if span is not None else None, timeout=300)
    counted = source.count(SPECS, span)
    expected = rows_in(table, span)
    assert counted.errors == {}
    assert counted.rows == expected.num_rows
    assert {n: h.counts.tolist() for n, h in counted.histograms.items()} == python_counts(expected, SPECS)


def test_random_columns_on_their_own_edges_count_alike(tmp_path: Path) -> None:
    rng = np.random.default_rng(17)
    n = 20_000
    columns: dict[str, Any] = {"event_time": pa.array([T0] * n, pa.timestamp("us", tz="UTC"))}
    specs: dict[str, BinSpec] = {}
    for j in range(12):
        values = np.round(rng.standard_t(3, n) * 10.0 ** rng.integers(-3, 4), int(rng.integers(0, 3)))
        values[rng.random(n) < 0.02] = np.nan
        values[rng.random(n) < 0.01] = rng.choice([np.inf, -np.inf, -0.0])
        edges = np.unique(rng.choice(values[np.isfinite(values)], int(rng.integers(1, 40))))
        specs[f"v{j}"] = NumericBins(tuple(float(e) for e in edges))  # every edge is a value of the data
        columns[f"v{j}"] = pa.array(values, mask=rng.random(n) < 0.02)
    table = pa.table(columns)
    pq.write_table(table, tmp_path / "random.parquet")
    counted = SparkSource(spark(path=str(tmp_path / "random.parquet")), None).count(specs, None)
    assert {n: h.counts.tolist() for n, h in counted.histograms.items()} == python_counts(table, specs)


def test_the_time_filter_is_pushed_into_the_parquet_scan(
    data: tuple[Path, pa.Table], capsys: pytest.CaptureFixture[str]
) -> None:
    path, _ = data
    source = SparkSource(spark(path=str(path)), "event_time")
    frame = source._frame(source.spark)
    window = source._window(frame, source._types(frame), Window(T0, T0 + timedelta(hours=1)))
    source.spark.conf.set("spark.sql.maxMetadataStringLength", "100000")  # the plan whole, not cut
    window.explain(mode="formatted")
    plan = capsys.readouterr().out
    pushed = next(line for line in plan.splitlines() if line.startswith("PushedFilters"))
    assert "GreaterThanOrEqual(event_time," in pushed
    assert "LessThan(event_time," in pushed


def test_a_table_and_a_query_count_like_the_path(data: tuple[Path, pa.Table]) -> None:
    path, table = data
    session = SparkSource(spark(path=str(path)), None).spark
    session.read.parquet(str(path)).createOrReplaceTempView("driftmon_events")
    span = Window(T0, T0 + timedelta(hours=2))
    expected = python_counts(rows_in(table, span), SPECS)
    for config in (
        spark(table="driftmon_events"),
        spark(query="SELECT * FROM driftmon_events WHERE text IS NULL OR text <> 'never-there'"),
    ):
        counted = SparkSource(config, "event_time").count(SPECS, span)
        assert {n: h.counts.tolist() for n, h in counted.histograms.items()} == expected


def test_missing_and_mistyped_columns_fail_alone(data: tuple[Path, pa.Table]) -> None:
    path, table = data
    specs: dict[str, BinSpec] = {"x": SPECS["x"], "text": NumericBins((0.0,)), "nope": NumericBins((1.0,))}
    counted = SparkSource(spark(path=str(path)), "event_time").count(specs, None)
    assert counted.histograms["x"].counts.tolist() == python_counts(table, {"x": SPECS["x"]})["x"]
    assert isinstance(counted.errors["text"], ColumnTypeError)
    assert "string" in str(counted.errors["text"])
    assert isinstance(counted.errors["nope"], MissingColumnError)
    errors = SparkSource(spark(path=str(path)), "event_time").check_columns(
        {"x": "numeric", "text": "numeric", "nope": None, "day": None}
    )
    assert set(errors) == {"text", "nope"}


def test_first_timestamp_is_the_earliest_event_in_the_span(data: tuple[Path, pa.Table]) -> None:
    path, table = data
    source = SparkSource(spark(path=str(path)), "event_time")
    ts = table.column("event_time").to_pylist()
    assert source.first_timestamp(None) == min(ts)
    later = T0 + timedelta(minutes=30)
    assert source.first_timestamp(TimeRange(later, None)) == min(t for t in ts if t >= later)
    assert source.first_timestamp(Window(T0 - timedelta(days=2), T0 - timedelta(days=1))) is None


def settings(name: str, kind: str | None, **options: Any) -> ColumnSettings:
    defaults: dict[str, Any] = {
        "role": "feature",
        "method": "quantile",
        "n_bins": 10,
        "edges": None,
        "top_k": 100,
        "alpha": 0.5,
        "min_samples": 1,
        "statistics": ("js_divergence",),
        "alerts": {},
    }
    return ColumnSettings(name=name, kind=kind, **{**defaults, **options})  # type: ignore[arg-type]


COLUMNS = [
    settings("x", "numeric"),
    settings("i", None, method="uniform", n_bins=4),
    settings("text", "categorical", top_k=3),
    settings("score", "categorical"),
    settings("money", None, edges=(1.0, 5.0)),
    settings("day", None),
]


def test_a_small_reference_is_fitted_exactly_like_every_other_source(data: tuple[Path, pa.Table]) -> None:
    path, table = data
    fit = fit_reference(SparkSource(spark(path=str(path)), None), COLUMNS, None)
    assert not fit.sampled
    assert fit.errors == {}
    assert fit.rows == table.num_rows
    for column in COLUMNS:
        options = column.fit_options()
        options["kind"] = options["kind"] or ("categorical" if column.name == "day" else "numeric")
        spec = fit_bins(table.column(column.name), **options)
        assert fit.histograms[column.name] == count_values(spec, table.column(column.name))


def test_a_large_reference_gets_approximate_edges_and_exact_counts_from_spark(
    data: tuple[Path, pa.Table],
) -> None:
    path, table = data
    fit = fit_reference(SparkSource(spark(path=str(path)), None), COLUMNS, None, sample_size=100)
    assert fit.sampled
    assert fit.errors == {}
    assert fit.rows == table.num_rows
    for name, histogram in fit.histograms.items():
        assert histogram == count_values(histogram.spec, table.column(name))
    x = np.asarray(table.column("x").to_numpy(zero_copy_only=False), dtype=np.float64)
    finite = np.sort(x[np.isfinite(x)])
    edges = fit.histograms["x"].spec.edges  # type: ignore[union-attr]
    below = np.searchsorted(finite, edges, side="left") / finite.size
    at_or_below = np.searchsorted(finite, edges, side="right") / finite.size
    slack = 1 / 10_000 + 1 / finite.size
    for q in np.linspace(0, 1, 11)[1:-1]:
        # percentile_approx gives a value whose ranks [below, at or below] hold q (give or take
        # rows/accuracy); equal edges collapse to one, so each q has one edge, not its own.
        assert np.any((below - slack <= q) & (q <= at_or_below + slack)), (q, edges)
    assert fit.histograms["i"].spec == fit_bins(table.column("i"), method="uniform", n_bins=4)
    assert fit.histograms["text"].spec == fit_categorical_bins(table.column("text"), top_k=3)
    assert fit.histograms["score"].spec == fit_categorical_bins(table.column("score"))
    assert fit.histograms["day"].spec == fit_categorical_bins(table.column("day"))
    assert fit.histograms["money"].spec == NumericBins((1.0, 5.0))


def test_an_empty_reference_fails_every_column(data: tuple[Path, pa.Table]) -> None:
    path, _ = data
    span = Window(T0 - timedelta(days=2), T0 - timedelta(days=1))
    fit = fit_reference(SparkSource(spark(path=str(path)), "event_time"), COLUMNS, span)
    assert fit.histograms == {}
    assert set(fit.errors) == {c.name for c in COLUMNS}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.mark.parametrize("master", ["spark://127.0.0.1:1", "sc://127.0.0.1:{port}/;token=s3cr3t-t0ken"])
def test_a_dead_master_is_unreachable_at_once_with_a_clear_reason(master: str) -> None:
    config = SparkSourceConfig(master=master.format(port=free_port()), path="/nowhere")
    with pytest.raises(SourceUnreachableError) as caught:
        SparkSource(config, "event_time").count({"x": NumericBins((0.0,))}, None)
    text = str(caught.value)
    assert "does not answer" in text
    assert "127.0.0.1" in text
    assert "s3cr3t" not in text


def test_a_second_classic_master_in_one_process_is_refused(data: tuple[Path, pa.Table]) -> None:
    path, _ = data
    SparkSource(spark(path=str(path)), None).ping()
    other = SparkSourceConfig(master="local[1]", conf=SPARK_CONF, path=str(path))
    with pytest.raises(SourceError, match="one classic Spark driver"):
        SparkSource(other, None).ping()
    tuned = SparkSourceConfig(
        master=SPARK_MASTER, conf={**SPARK_CONF, "spark.sql.ansi.enabled": "false"}, path="."
    )
    with pytest.raises(SourceError, match=r"spark\.sql\.ansi\.enabled differ"):
        SparkSource(tuned, None).ping()


def test_bad_targets_fail_with_the_source_named(tmp_path: Path, data: tuple[Path, pa.Table]) -> None:
    path, _ = data
    specs: dict[str, BinSpec] = {"x": NumericBins((0.0,))}
    cases: list[tuple[SparkSourceConfig, str | None, type[SourceError], str]] = [
        (spark(table="no_such_table"), None, SourceSchemaError, "does not exist"),
        (spark(path=str(tmp_path / "missing")), None, SourceFileNotFoundError, "no such file"),
        (spark(query="SELEC x FRM"), None, SourceQueryError, "cannot parse"),
        (spark(path=str(path), format="delta"), None, SourceQueryError, "cannot read format 'delta'"),
        (spark(path=str(path)), "nope", SourceSchemaError, "timestamp column 'nope' not found"),
        (spark(path=str(path)), "text", SourceSchemaError, "expected a timestamp"),
    ]
    for config, ts, error, reason in cases:
        with pytest.raises(error, match=reason) as caught:
            SparkSource(config, ts).count(specs, None)
        assert caught.value.source == config.description


def test_the_monitors_timeout_interrupts_a_long_job() -> None:
    endless = "SELECT CAST(id AS DOUBLE) AS x FROM range(0, 1000000000000, 1, 2)"
    with pytest.raises(SourceTimeoutError, match="timeout of 3s"):
        SparkSource(spark(query=endless), None, timeout=3).count({"x": NumericBins((0.0,))}, None)


def test_a_monitor_reads_its_reference_from_other_spark_data(data: tuple[Path, pa.Table]) -> None:
    path, _ = data
    monitor = MonitorConfig.model_validate(
        {
            "name": "m",
            "source": {"kind": "spark", "master": SPARK_MASTER, "conf": SPARK_CONF, "table": "db.events"},
            "timestamp_column": "event_time",
            "reference": {"path": str(path), "format": "parquet"},
            "window": {"size": "1h"},
            "columns": ["x"],
        }
    )
    reference = monitor_source(monitor, reference=True)
    assert isinstance(reference, SparkSource)
    assert reference.config.path == str(path)
    assert reference.config.table is None
    assert reference.timestamp_column is None
    assert isinstance(open_source(monitor.source, "event_time"), SparkSource)
