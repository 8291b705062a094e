"""Fitting bins on a reference sample: quantile, uniform, explicit edges, ties, categories."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from driftmon.core import (
    DEFAULT_NUMERIC_BINS,
    BinSpecError,
    CategoricalBins,
    NonNumericValueError,
    NumericBins,
    count_values,
    fit_bins,
    fit_categorical_bins,
    fit_numeric_bins,
)
from driftmon.core.bins import sorted_quantiles


@pytest.fixture
def normal_sample() -> np.ndarray:
    return np.random.default_rng(7).normal(10.0, 2.0, size=20_000)


def test_quantile_bins_are_the_default_with_ten_equally_filled_bins(normal_sample: np.ndarray) -> None:
    spec = fit_numeric_bins(normal_sample)
    assert DEFAULT_NUMERIC_BINS == 10
    assert spec.n_bins == 10 + 1  # ten value bins and `missing`
    np.testing.assert_array_equal(spec.edges, np.quantile(normal_sample, np.linspace(0, 1, 11)[1:-1]))
    counts = count_values(spec, normal_sample).counts
    assert counts[-1] == 0
    assert np.all(np.abs(counts[:-1] - 2_000) <= 1)


# Any finite doubles, or few distinct ones (heavy ties), in any order.
finite_values = st.one_of(
    st.lists(st.floats(allow_nan=False, allow_infinity=False), min_size=1, max_size=300),
    st.lists(st.sampled_from([-2.5, -0.0, 0.0, 1.0, 1e-300, 7.25]), min_size=1, max_size=300),
)


@settings(max_examples=500, deadline=None)
@given(finite_values, st.lists(st.floats(min_value=0.0, max_value=1.0), min_size=1, max_size=30))
def test_sorted_quantiles_are_numpys(values: list[float], quantiles: list[float]) -> None:
    data, q = np.array(values), np.array(quantiles)
    with np.errstate(over="ignore", invalid="ignore"):  # neighbours +-1.7e308 apart overflow alike
        expected = np.quantile(data, q)
        got = sorted_quantiles(np.sort(data), q)
    np.testing.assert_array_equal(got, expected)


@settings(max_examples=300, deadline=None)
@given(finite_values, st.integers(min_value=1, max_value=40))
def test_quantile_edges_are_numpys_quantiles_of_the_sample(values: list[float], n_bins: int) -> None:
    data = np.array(values)
    moderate = data[np.abs(data) <= 1e300]  # no halving needed: the edges are np.quantile's own
    if moderate.size == 0:
        return
    quantiles = np.linspace(0.0, 1.0, n_bins + 1)[1:-1] if n_bins > 1 else np.array([0.5])
    expected = NumericBins(tuple(np.unique(np.quantile(moderate, quantiles))))
    assert fit_numeric_bins(moderate, n_bins=n_bins) == expected


def test_quantile_bins_honour_n_bins(normal_sample: np.ndarray) -> None:
    assert len(fit_numeric_bins(normal_sample, n_bins=50).edges) == 49
    assert len(fit_numeric_bins(normal_sample, n_bins=2).edges) == 1


def test_a_single_bin_still_splits_at_the_median(normal_sample: np.ndarray) -> None:
    assert fit_numeric_bins(normal_sample, n_bins=1).edges == (float(np.median(normal_sample)),)


def test_uniform_bins_divide_the_reference_range_evenly() -> None:
    spec = fit_numeric_bins(np.array([0.0, 3.0, 10.0, np.nan, np.inf]), method="uniform", n_bins=5)
    assert spec.edges == (2.0, 4.0, 6.0, 8.0)


def test_explicit_edges_win_over_the_method() -> None:
    spec = fit_numeric_bins(np.arange(100.0), method="uniform", edges=[1, 2.5, 40])
    assert spec.edges == (1.0, 2.5, 40.0)
    assert fit_bins(["not", "numbers"], edges=[0.0, 1.0]) == NumericBins((0.0, 1.0))


@pytest.mark.parametrize(
    ("edges", "message"),
    [
        ([0.0, 2.0, 1.0], "edge 1 = 2.0 is not below edge 2 = 1.0"),
        ([0.0, 0.0], "edge 0 = 0.0 is not below edge 1 = 0.0"),
        ([0.0, math.nan], "edge 1 is nan"),
        ([-math.inf, 0.0], "edge 0 is -inf"),
        ([0.0, math.inf], "edge 1 is inf"),
    ],
)
def test_explicit_edges_must_be_finite_and_strictly_increasing(edges: list[float], message: str) -> None:
    with pytest.raises(BinSpecError, match=message):
        fit_numeric_bins([1.0, 2.0], edges=edges)


def test_heavy_ties_collapse_duplicate_quantile_edges() -> None:
    values = np.concatenate((np.zeros(8_001), np.ones(2_000)))
    spec = fit_numeric_bins(values, n_bins=10)
    # Nine quantiles, of which the first eight are 0.0: they become one edge.
    assert spec.edges == (0.0, 1.0)
    assert count_values(spec, values).counts.tolist() == [0, 8_001, 2_000, 0]


def test_a_constant_column_yields_a_usable_spec() -> None:
    spec = fit_numeric_bins(np.full(1_000, 3.5))
    assert spec.edges == (3.5,)
    assert spec.labels == ("(-inf, 3.5)", "[3.5, +inf)", "missing")
    assert count_values(spec, [3.4, 3.5, 3.6, None]).counts.tolist() == [1, 2, 1]
    assert fit_numeric_bins(np.full(10, 3.5), method="uniform").edges == (3.5,)


@pytest.mark.parametrize(
    "reference",
    [np.full(10, np.nan), [], [None, None], pd.Series([None, None], dtype="Float64"), pa.array([None, None])],
)
def test_an_all_missing_reference_gives_one_value_bin_and_missing(reference: object) -> None:
    spec = fit_numeric_bins(reference)
    assert spec.edges == ()
    assert spec.labels == ("(-inf, +inf)", "missing")
    assert count_values(spec, [1.0, -np.inf, np.inf, np.nan, None]).counts.tolist() == [3, 2]


def test_infinities_do_not_move_the_fitted_edges() -> None:
    finite = np.arange(100.0)
    assert fit_numeric_bins(np.concatenate((finite, [np.inf, -np.inf, np.nan]))) == fit_numeric_bins(finite)


@pytest.mark.parametrize("method", ["quantile", "uniform"])
@pytest.mark.parametrize(
    "values",
    [[-1.7e308, 1.7e308], [-1.7e308, 0.0, 1.0, 1.7e308], [1e308, 1.5e308, 1.7e308], [5e-324, 1e-323]],
)
def test_fitting_on_extreme_magnitudes_gives_finite_edges(method: str, values: list[float]) -> None:
    spec = fit_numeric_bins(np.array(values), method=method, n_bins=4)  # type: ignore[arg-type]
    edges = np.asarray(spec.edges)
    assert np.all(np.isfinite(edges))
    assert edges[0] >= min(values)
    assert edges[-1] <= max(values)
    assert count_values(spec, np.array(values)).n == len(values)


def test_bad_numeric_parameters_are_refused() -> None:
    with pytest.raises(BinSpecError, match="n_bins must be at least 1, got 0"):
        fit_numeric_bins([1.0], n_bins=0)
    with pytest.raises(BinSpecError, match="method must be 'quantile' or 'uniform', got 'median'"):
        fit_numeric_bins([1.0], method="median")  # type: ignore[arg-type]


def test_strings_in_a_numeric_reference_name_the_column_and_row() -> None:
    with pytest.raises(NonNumericValueError, match=r"column 'age': non-numeric value 'n/a' \(str\) at row 2"):
        fit_numeric_bins([1.0, 2.0, "n/a"], column="age")


def test_labels_stay_distinct_for_very_close_edges() -> None:
    spec = NumericBins((1.0, math.nextafter(1.0, 2.0), 2.0))
    assert len(set(spec.labels)) == spec.n_bins
    assert spec.labels[0] == "(-inf, 1)"


# --- categorical ---------------------------------------------------------------------------


def test_categorical_keeps_the_top_k_by_frequency_ties_broken_by_text() -> None:
    values = ["b"] * 5 + ["a"] * 5 + ["c"] * 3 + ["d"] * 1
    assert fit_categorical_bins(values, top_k=3).categories == ("a", "b", "c")
    spec = fit_categorical_bins(values, top_k=2)
    assert spec.labels == ("a", "b", "other", "missing")
    # "c" and "d" were rare, "z" was never seen: all three are `other`.
    assert count_values(spec, ["a", "c", "d", "z", "b", None]).counts.tolist() == [1, 1, 3, 1]


def test_top_k_must_be_positive() -> None:
    with pytest.raises(BinSpecError, match="top_k must be at least 1, got 0"):
        fit_categorical_bins(["a"], top_k=0)


@pytest.mark.parametrize(
    ("reference", "live", "categories", "expected"),
    [
        (["x", "y", "y", None], ["y", "x", "w", None], ("y", "x"), [1, 1, 1, 1]),
        (np.array([3, 3, 1, 2]), np.array([1, 3, 7, 3]), (3, 1, 2), [2, 1, 0, 1, 0]),
        (np.array([True, True, False]), [True, False, None], (True, False), [1, 1, 0, 1]),
        (
            pd.Series(pd.Categorical(["lo", "hi", "hi", None], categories=["lo", "hi", "unused"])),
            pd.Series(pd.Categorical(["hi", None, "unused"], categories=["lo", "hi", "unused"])),
            ("hi", "lo"),
            [1, 0, 1, 1],
        ),
        (pa.array(["p", "q", None, "p"]), pa.chunked_array([["p"], [None, "r"]]), ("p", "q"), [1, 0, 1, 1]),
        (
            pa.array(["p", "q", "p"]).dictionary_encode(),
            pa.array(["q", None, "s"]).dictionary_encode(),
            ("p", "q"),
            [0, 1, 1, 1],
        ),
        (
            pd.Series([1, 2, 2, None], dtype="Int64"),
            pd.Series([2, pd.NA, 5], dtype="Int64"),
            (2, 1),
            [1, 0, 1, 1],
        ),
    ],
    ids=["strings", "ints", "bools", "pandas categorical", "pyarrow strings", "pyarrow dictionary", "Int64"],
)
def test_categorical_bins_for_every_value_type(
    reference: object, live: object, categories: tuple[object, ...], expected: list[int]
) -> None:
    spec = fit_bins(reference, kind="categorical")
    assert isinstance(spec, CategoricalBins)
    assert spec.categories == categories
    assert count_values(spec, live).counts.tolist() == expected


@pytest.mark.parametrize(
    "missing",
    [
        [None, np.nan],
        pd.Series(["a", None, np.nan, pd.NA], dtype=object).iloc[1:],
        pd.Series([pd.NaT, pd.NaT]),
        pd.Series([None, None], dtype="string"),
        pd.Series([None, None], dtype="str"),
        pd.Series([pd.NA], dtype="boolean"),
        pa.array([None, None], type=pa.string()),
        pa.array([None], type=pa.timestamp("s")),
        np.array(["NaT", "NaT"], dtype="datetime64[ns]"),
    ],
    ids=[
        "None/NaN",
        "object NA",
        "NaT",
        "string",
        "str",
        "boolean",
        "arrow string",
        "arrow timestamp",
        "numpy NaT",
    ],
)
def test_none_nan_nat_and_na_are_missing_never_a_category(missing: object) -> None:
    spec = fit_categorical_bins(missing)
    assert spec.categories == ()
    counts = count_values(spec, missing).counts
    assert counts.tolist() == [0, len(missing)]  # type: ignore[arg-type]


def test_timestamps_are_categories_by_their_text() -> None:
    stamps = pd.Series(pd.to_datetime(["2024-01-01", None, "2024-01-01", "2024-02-01"]))
    spec = fit_categorical_bins(stamps, top_k=1)
    assert spec.categories == ("2024-01-01 00:00:00",)
    assert count_values(spec, stamps).counts.tolist() == [2, 1, 1]


@pytest.mark.parametrize(
    ("values", "kind"),
    [
        (np.arange(3.0), "numeric"),
        (np.arange(3), "numeric"),
        ([1, 2.5, None], "numeric"),
        (pd.Series([1, None], dtype="Int64"), "numeric"),
        (pa.array([1.5, None]), "numeric"),
        (np.array([True, False]), "categorical"),
        (pd.Series([True, False], dtype="boolean"), "categorical"),
        (pa.array([True]), "categorical"),
        (["a", "b"], "categorical"),
        (pd.Series(["a"], dtype="str"), "categorical"),
        (pd.Series(pd.Categorical([1, 2])), "categorical"),
    ],
)
def test_fit_bins_infers_the_kind_from_the_values(values: object, kind: str) -> None:
    assert fit_bins(values).kind == kind


def test_fit_bins_refuses_an_unknown_kind() -> None:
    with pytest.raises(BinSpecError, match="kind must be 'numeric' or 'categorical', got 'ordinal'"):
        fit_bins([1.0], kind="ordinal")  # type: ignore[arg-type]


def test_fit_bins_on_a_generator_of_chunks_fits_every_chunk() -> None:
    # Inferring the kind peeks at the first chunk; it must still be fitted.
    chunks = [np.arange(0.0, 100.0), np.arange(100.0, 200.0), np.arange(200.0, 300.0)]
    whole = fit_bins(np.concatenate(chunks))
    assert fit_bins(iter(chunks)) == whole
    assert fit_bins(c for c in chunks) == whole
    words = [["a", "a", "c"], ["b"], ["b", "a"]]
    assert fit_bins(iter(words), top_k=2) == fit_bins([w for ws in words for w in ws], top_k=2)
    assert fit_bins(iter(words)).categories == ("a", "b", "c")  # type: ignore[union-attr]
    assert fit_bins(iter([])) == NumericBins(())
