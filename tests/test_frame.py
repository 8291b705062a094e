"""driftmon.check(): one result row per column, from the same core and defaults as the service."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

import driftmon
from driftmon.core import (
    DEFAULT_ALPHA,
    DEFAULT_MIN_SAMPLES,
    DEFAULT_NUMERIC_BINS,
    STATISTICS,
    compare,
    count_values,
    fit_bins,
)
from driftmon.errors import MissingColumnError
from driftmon.frame import RESULT_COLUMNS, check


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
    with pytest.raises(TypeError, match="expected a pandas DataFrame or a pyarrow Table"):
        check({"a": [1]}, live)


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
