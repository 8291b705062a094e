"""driftmon.check(): one result row per column, from the same core and defaults as the service."""

from __future__ import annotations

import math
import subprocess
import sys
from typing import Any

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest

import driftmon
from driftmon.core import (
    DEFAULT_ALPHA,
    DEFAULT_MIN_SAMPLES,
    DEFAULT_NUMERIC_BINS,
    STATISTICS,
    Histogram,
    NumericBins,
    compare,
    count_values,
    fit_bins,
)
from driftmon.core.sampling import DEFAULT_REFERENCE_SAMPLE, RowSampler
from driftmon.errors import MissingColumnError
from driftmon.frame import RESULT_COLUMNS, SAMPLE_SEED, check, sample_rows


def frames(seed: int = 0, n_ref: int = 4000, n_live: int = 3000) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    reference = pd.DataFrame(
        {
            "same": rng.normal(size=n_ref),
            "shifted": rng.normal(size=n_ref),
            "country": rng.choice(["fr", "de", "it"], n_ref),
        }
    )
    live = pd.DataFrame(
        {
            "same": rng.normal(size=n_live),
            "shifted": rng.normal(0.5, 1.0, size=n_live),
            "country": rng.choice(["fr", "de", "es"], n_live),
        }
    )
    return reference, live


def test_check_is_exported_lazily_from_the_package() -> None:
    assert driftmon.check is check
    assert "check" in driftmon.__all__
    code = "import sys, driftmon; assert 'pandas' not in sys.modules; print('ok')"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout == "ok\n"
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        _ = driftmon.nope  # type: ignore[attr-defined]


def test_one_row_per_column_with_every_statistic() -> None:
    reference, live = frames()
    result = check(reference, live)
    assert list(result.columns) == list(RESULT_COLUMNS)
    assert result["column"].tolist() == ["same", "shifted", "country"]
    assert result["kind"].tolist() == ["numeric", "numeric", "categorical"]
    assert result["status"].tolist() == ["ok", "ok", "ok"]
    assert result["n_reference"].tolist() == [4000] * 3
    assert result["n_live"].tolist() == [3000] * 3
    by_column = result.set_index("column")
    assert by_column.loc["same", "p_value"] > 0.001
    assert by_column.loc["shifted", "p_value"] < 1e-6
    assert by_column.loc["shifted", "js_divergence"] > by_column.loc["shifted", "js_divergence_noise"]
    assert by_column.loc["same", "js_divergence"] < by_column.loc["same", "js_divergence_noise"]
    top = by_column.loc["country", "top_bins"]
    assert {b["bin"] for b in top[:2]} == {"other", "it"}  # `es` is unseen, `it` vanished
    for name in STATISTICS:
        assert result[name].notna().all()
        assert result[f"{name}_noise"].notna().all()


def test_same_numbers_as_the_core_with_the_service_defaults() -> None:
    reference, live = frames(1)
    row = check(reference, live, ["shifted"]).iloc[0]
    spec = fit_bins(reference["shifted"])
    assert spec.n_bins == DEFAULT_NUMERIC_BINS + 1
    expected = compare(count_values(spec, reference["shifted"]), count_values(spec, live["shifted"]))
    assert expected.alpha == DEFAULT_ALPHA
    for name in STATISTICS:
        assert row[name] == getattr(expected, name)
    assert row["p_value"] == expected.p_value
    assert row["n_bins"] == spec.n_bins


def test_options_bins_kinds_alpha_and_min_samples() -> None:
    reference, live = frames(2, n_live=15)
    result = check(
        reference,
        live,
        ["same", "shifted", "country"],
        bins={"same": [-1.0, 0.0, 1.0], "shifted": 4},
        kinds={"country": "categorical"},
        alpha=1.0,
        top_k=1,
    ).set_index("column")
    assert result.loc["same", "n_bins"] == 5
    assert result.loc["shifted", "n_bins"] == 5
    assert result.loc["country", "n_bins"] == 3
    assert (result["status"] == "insufficient_data").all()  # 15 live rows < DEFAULT_MIN_SAMPLES
    assert DEFAULT_MIN_SAMPLES > 15
    assert check(reference, live, ["same"], min_samples=10)["status"].tolist() == ["ok"]


def test_bad_columns_fail_alone() -> None:
    reference, live = frames(3)
    reference["text"] = "x"
    live["text"] = "y"
    result = check(reference, live.drop(columns=["country"]), kinds={"text": "numeric"}).set_index("column")
    assert result.loc["same", "status"] == "ok"
    assert result.loc["country", "status"] == "failed"
    assert result.loc["country", "error"].startswith("column 'country': not found in the live DataFrame")
    assert result.loc["text", "status"] == "failed"
    assert "non-numeric value 'x' (str) at row 0" in result.loc["text", "error"]
    assert pd.isna(result.loc["text", "n_reference"])
    with pytest.raises(MissingColumnError, match="column 'nope': not found in the reference DataFrame"):
        check(reference, live, ["nope"])
    with pytest.raises(TypeError, match="reference frame must be a pandas DataFrame, a pyarrow Table or"):
        check({"a": [1]}, live)
    with pytest.raises(TypeError, match="the live frame is a polars LazyFrame: collect"):
        check(reference, pl.from_pandas(live).lazy())
    with pytest.raises(ValueError, match="sample must be a number of rows"):
        check(reference, live, sample=0)
    with pytest.raises(ValueError, match="workers must be a number of threads"):
        check(reference, live, workers=0)


def test_all_null_and_empty_frames() -> None:
    reference = pd.DataFrame({"a": np.random.default_rng(0).normal(size=500), "b": [None] * 500})
    live = pd.DataFrame({"a": [np.nan] * 300, "b": [None] * 300})
    result = check(reference, live).set_index("column")
    assert result.loc["a", "top_bins"][0]["bin"] == "missing"  # all-null live: drift on the missing bin
    assert result.loc["a", "p_value"] < 0.001  # the floor of a 2000-draw simulation
    empty = check(reference, live.iloc[:0]).set_index("column")
    assert (empty["status"] == "insufficient_data").all()
    assert empty.loc["a", "n_live"] == 0
    assert check(reference.iloc[:0], live, ["a"])["error"].iloc[0].startswith("the reference is empty")


def test_pyarrow_tables_are_accepted() -> None:
    reference, live = frames(4)
    from_pandas = check(reference, live)
    from_arrow = check(pa.Table.from_pandas(reference), pa.Table.from_pandas(live))
    pd.testing.assert_frame_equal(
        from_pandas.drop(columns=["top_bins"]), from_arrow.drop(columns=["top_bins"])
    )


def test_polars_dataframes_are_accepted() -> None:
    reference, live = frames(5)
    from_pandas = check(reference, live)
    from_polars = check(pl.from_pandas(reference), pl.from_pandas(live))
    pd.testing.assert_frame_equal(from_pandas, from_polars)


# --- fitting on a sample, counting every row ---------------------------------------------------


def same_results(a: pd.DataFrame, b: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(a.drop(columns=["top_bins"]), b.drop(columns=["top_bins"]))
    assert a["top_bins"].tolist() == b["top_bins"].tolist()


def test_the_sample_is_the_sources_sample_however_the_rows_are_split() -> None:
    rows = sample_rows(50_000, 1000)
    assert rows is not None
    assert rows.shape == (1000,)
    assert np.all(np.diff(rows) > 0)  # distinct rows, in row order
    for split in (1000, 777, 50_000):  # a source reading the same rows in other batches
        sampler = RowSampler(1000, SAMPLE_SEED)
        for start in range(0, 50_000, split):
            chosen = sampler.offer(min(split, 50_000 - start))
            sampler.add({"row": chosen + start})
        assert np.array_equal(sampler.result()["row"], rows)
    assert np.array_equal(sample_rows(50_000, 1000), rows)  # seeded: the same every time
    assert not np.array_equal(sample_rows(50_000, 1000, seed=1), rows)
    assert sample_rows(1000, 1000) is None  # no more rows than the sample: every row


def test_edges_come_from_the_seeded_sample_and_counts_from_every_row() -> None:
    n = 300_000
    rng = np.random.default_rng(6)
    reference = pd.DataFrame({"x": rng.lognormal(size=n), "n": rng.integers(0, 40, size=n)})
    live = pd.DataFrame({"x": rng.lognormal(0.02, 1.0, size=n // 2), "n": rng.integers(0, 41, size=n // 2)})
    rows = sample_rows(n, DEFAULT_REFERENCE_SAMPLE)
    assert rows is not None
    result = check(reference, live).set_index("column")
    again = check(reference, live).set_index("column")
    same_results(result, again)  # same input, same edges, same figures
    for name in ("x", "n"):
        spec = fit_bins(reference[name].to_numpy()[rows], kind="numeric")
        assert isinstance(spec, NumericBins)
        expected = compare(count_values(spec, reference[name]), count_values(spec, live[name]))
        assert result.loc[name, "n_reference"] == n  # counted over every row, not the sample
        assert result.loc[name, "n_bins"] == spec.n_bins
        for stat in STATISTICS:
            assert result.loc[name, stat] == getattr(expected, stat)
    # Sampled decile edges sit within half a percentage point of rank of the exact ones.
    x = np.sort(reference["x"].to_numpy())
    sampled = fit_bins(reference["x"].to_numpy()[rows])
    assert isinstance(sampled, NumericBins)
    ranks = np.searchsorted(x, sampled.edges) / n
    assert np.max(np.abs(ranks - np.arange(1, 10) / 10)) < 0.005
    exact = check(reference, live, ["x"], sample=None).iloc[0]
    spec = fit_bins(reference["x"])
    expected = compare(count_values(spec, reference["x"]), count_values(spec, live["x"]))
    assert exact["js_divergence"] == expected.js_divergence
    assert exact["js_divergence"] != result.loc["x", "js_divergence"]  # the sample did move the edges


def test_threads_change_nothing() -> None:
    reference, live = frames(7)
    same_results(check(reference, live, workers=1), check(reference, live, workers=3))


# --- one meaning of the bins, whatever the frame type -----------------------------------------


def edge_case_columns() -> dict[str, list[Any]]:
    """Values on edges, -0.0, infinities, NaN and missing values, repeated past the sample size."""
    base: list[Any] = [-1.0, 0.0, -0.0, 1.0, 0.5, -math.inf, math.inf, math.nan, None, 2.0, -3.5, 1e300]
    rng = np.random.default_rng(8)
    noise = [float(v) for v in rng.normal(size=588)]
    reference = (base * 10 + noise)[:700]
    live = (base[::-1] * 5 + noise[::3])[:250]
    return {"reference": reference, "live": live}


def expected_counts(values: list[Any], edges: tuple[float, ...]) -> list[int]:
    """Half-open [lo, hi) bins, open outer bins, then `missing`: by hand, one value at a time."""
    counts = [0] * (len(edges) + 2)
    for v in values:
        if v is None or math.isnan(v):
            counts[-1] += 1
        else:
            counts[sum(1 for e in edges if v >= e)] += 1
    return counts


def as_frames(values: list[Any], kind: str) -> Any:
    floats = [math.nan if v is None else v for v in values]
    nulls = [None if v is None or math.isnan(v) else v for v in values]  # Arrow and polars: null
    if kind == "pandas":
        return pd.DataFrame({"v": pd.Series(floats, dtype="float64")})
    if kind == "pandas Float64":
        return pd.DataFrame({"v": pd.Series(nulls, dtype="Float64")})
    if kind == "pandas object":
        return pd.DataFrame({"v": pd.Series(values, dtype=object)})
    if kind == "pyarrow":
        return pa.table({"v": pa.array(values, type=pa.float64(), from_pandas=False)})
    if kind == "pyarrow chunked":
        half = len(values) // 3
        return pa.Table.from_batches(
            [
                pa.record_batch({"v": pa.array(values[:half], type=pa.float64())}),
                pa.record_batch({"v": pa.array(values[half:], type=pa.float64())}),
            ]
        )
    if kind == "polars":
        return pl.DataFrame({"v": pl.Series(values, dtype=pl.Float64, strict=False)})
    if kind == "polars chunked":
        half = len(values) // 3
        parts = [pl.DataFrame({"v": pl.Series(p, dtype=pl.Float64)}) for p in (values[:half], values[half:])]
        frame = pl.concat(parts, rechunk=False)
        assert frame.get_column("v").n_chunks() == 2
        return frame
    raise AssertionError(kind)


FRAME_KINDS = [
    "pandas",
    "pandas Float64",
    "pandas object",
    "pyarrow",
    "pyarrow chunked",
    "polars",
    "polars chunked",
]


@pytest.mark.parametrize("kind", FRAME_KINDS)
@pytest.mark.parametrize("sample", [100, None], ids=["sampled edges", "exact edges"])
def test_edge_cases_mean_the_same_in_every_frame_type(kind: str, sample: int | None) -> None:
    data = edge_case_columns()
    ref, cur = as_frames(data["reference"], kind), as_frames(data["live"], kind)
    explicit = check(ref, cur, bins={"v": [-1.0, 0.0, 1.0]}, sample=sample).iloc[0]
    spec = NumericBins((-1.0, 0.0, 1.0))
    by_hand = compare(
        Histogram(spec, expected_counts(data["reference"], spec.edges)),
        Histogram(spec, expected_counts(data["live"], spec.edges)),
    )
    assert explicit["n_reference"] == 700
    for stat in STATISTICS:
        assert explicit[stat] == getattr(by_hand, stat)
    # Fitted edges (on a 100-row sample, or on every row) are the same for every frame type.
    numeric = {"v": "numeric"}  # a pandas object column would be inferred categorical
    fitted = check(ref, cur, kinds=numeric, sample=sample)
    plain = as_frames(data["reference"], "pandas"), as_frames(data["live"], "pandas")
    same_results(fitted, check(*plain, sample=sample))
    assert fitted["status"].tolist() == ["ok"]
