"""compare(): fields, consistency with the divergence functions, explanations and refusals."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from driftmon.core import (
    DEFAULT_ALPHA,
    DEFAULT_MIN_SAMPLES,
    PRIMARY_STATISTIC,
    STATISTICS,
    CategoricalBins,
    Comparison,
    CountsError,
    Histogram,
    NumericBins,
    compare,
    count_values,
    fit_numeric_bins,
    hellinger,
    js_distance,
    js_divergence,
    kl_divergence,
    psi,
    smooth,
)

IntArray = npt.NDArray[np.int64]

REFERENCE = np.array([500, 1200, 2000, 1200, 500, 100], dtype=np.int64)
SHIFTED = np.array([100, 300, 900, 1400, 900, 400], dtype=np.int64)


def assert_consistent(result: Comparison, alpha: float = DEFAULT_ALPHA) -> None:
    """Every statistic equals its divergence function on the smoothed probabilities."""
    p_ref, p_live = result.reference_probs, result.live_probs
    np.testing.assert_allclose(p_ref, smooth(result.reference_counts, alpha), rtol=1e-15)
    np.testing.assert_allclose(p_live, smooth(result.live_counts, alpha), rtol=1e-15)
    tolerance: dict[str, Any] = {"rel": 1e-9, "abs": 1e-12}
    assert result.kl_live_ref == pytest.approx(kl_divergence(p_live, p_ref), **tolerance)
    assert result.kl_ref_live == pytest.approx(kl_divergence(p_ref, p_live), **tolerance)
    assert result.js_divergence == pytest.approx(js_divergence(p_live, p_ref), **tolerance)
    assert result.js_distance == pytest.approx(js_distance(p_live, p_ref), **tolerance)
    assert result.js_distance == pytest.approx(math.sqrt(result.js_divergence), rel=1e-12, abs=1e-15)
    assert result.psi == pytest.approx(psi(p_live, p_ref), **tolerance)
    assert result.hellinger == pytest.approx(hellinger(p_live, p_ref), rel=1e-6, abs=1e-7)
    sums = {name: float(terms.sum()) for name, terms in result.contributions.items()}
    assert sums["kl_live_ref"] == pytest.approx(result.kl_live_ref, **tolerance)
    assert sums["kl_ref_live"] == pytest.approx(result.kl_ref_live, **tolerance)
    assert sums["js_divergence"] == pytest.approx(result.js_divergence, **tolerance)
    assert sums["psi"] == pytest.approx(result.psi, **tolerance)
    assert sums["hellinger"] == pytest.approx(result.hellinger**2, rel=1e-6, abs=1e-12)


def test_result_fields_are_present_and_consistent() -> None:
    result = compare(REFERENCE, SHIFTED)
    assert (result.n_reference, result.n_live) == (5500, 4000)
    assert result.alpha == DEFAULT_ALPHA
    assert result.status == "ok"
    assert result.primary == PRIMARY_STATISTIC == "js_divergence"
    assert result.labels == tuple(f"bin {i}" for i in range(6))
    assert set(result.null) == set(STATISTICS)
    assert set(result.statistics()) == set(STATISTICS)
    assert result.calibration_method in ("analytic", "simulation")
    for level in result.null.values():
        assert math.isfinite(level.expected)
        assert math.isfinite(level.quantile)
        assert 0.0 <= level.p_value <= 1.0
    assert result.p_value == result.null["js_divergence"].p_value
    assert result.p_value < 0.01  # a strong shift on thousands of rows
    assert result.js_divergence > result.null["js_divergence"].quantile
    assert_consistent(result)


def test_top_bins_explain_the_shift_in_order_of_contribution() -> None:
    result = compare(REFERENCE, SHIFTED, top_k=3)
    assert len(result.top_bins) == 3
    contributions = [b.contribution for b in result.top_bins]
    assert contributions == sorted(contributions, reverse=True)
    js_terms = result.contributions["js_divergence"]
    assert contributions == sorted(js_terms.tolist(), reverse=True)[:3]
    top = result.top_bins[0]
    assert top.index == int(np.argmax(js_terms))
    assert top.label == f"bin {top.index}"
    assert top.reference_share == REFERENCE[top.index] / REFERENCE.sum()
    assert top.live_share == SHIFTED[top.index] / SHIFTED.sum()
    assert len(compare(REFERENCE, SHIFTED).top_bins) == 5
    assert compare(REFERENCE, REFERENCE).top_bins == ()  # nothing moved, nothing to explain


def test_to_dict_is_json_ready() -> None:
    result = compare(REFERENCE, SHIFTED)
    data = json.loads(json.dumps(result.to_dict(), allow_nan=False))
    for name in (*STATISTICS, "n_reference", "n_live", "p_value", "status", "calibration_method"):
        assert name in data
    assert data["live_counts"] == SHIFTED.tolist()
    assert data["bins"] == list(result.labels)
    assert [b["bin"] for b in data["top_bins"]] == [b.label for b in result.top_bins]
    assert set(data["null"]) == set(STATISTICS)


def test_histograms_bring_their_labels() -> None:
    spec = fit_numeric_bins(np.random.default_rng(1).normal(size=5_000), n_bins=5)
    reference = count_values(spec, np.random.default_rng(2).normal(size=5_000))
    live = count_values(spec, np.random.default_rng(3).normal(0.5, 1.0, size=1_000))
    result = compare(reference, live)
    assert result.labels == spec.labels
    assert result.labels[-1] == "missing"
    assert result.top_bins[0].label in spec.labels
    assert_consistent(result)


def test_an_empty_live_window_gives_nan_and_insufficient_data() -> None:
    result = compare(REFERENCE, np.zeros(6, dtype=np.int64))
    assert result.status == "insufficient_data"
    assert result.n_live == 0
    for name in STATISTICS:
        assert math.isnan(getattr(result, name))
    assert math.isnan(result.p_value)
    assert result.top_bins == ()
    data = result.to_dict()
    assert data["js_divergence"] is None
    assert data["p_value"] is None
    json.dumps(data, allow_nan=False)


def test_small_windows_are_scored_but_marked_insufficient() -> None:
    assert DEFAULT_MIN_SAMPLES == 20
    small = compare(REFERENCE, np.array([2, 4, 6, 4, 1, 1]))
    assert small.n_live == 18
    assert small.status == "insufficient_data"
    assert math.isfinite(small.js_divergence)
    assert compare(REFERENCE, np.array([5, 10, 20, 10, 3, 1]), min_samples=40).status == "ok"
    assert compare(np.array([2, 4, 6, 4, 1, 1]), SHIFTED).status == "insufficient_data"


def test_samples_of_very_different_sizes_give_finite_sensible_results() -> None:
    # A seeds complaint: different-size samples. Counts of 1,000,000 and 300 rows from one law.
    rng = np.random.default_rng(8)
    law = np.array([0.05, 0.2, 0.5, 0.2, 0.05, 0.0])
    big = rng.multinomial(1_000_000, law)
    small = rng.multinomial(300, law)
    for reference, live in ((big, small), (small, big)):
        result = compare(reference, live)
        assert result.status == "ok"
        for name in STATISTICS:
            assert math.isfinite(getattr(result, name))
        assert result.js_divergence < 0.02
        assert result.p_value > 0.01
        assert_consistent(result)


def test_zeros_on_either_side_stay_finite() -> None:
    reference = np.array([0, 1000, 1000, 0], dtype=np.int64)
    live = np.array([400, 0, 1000, 0], dtype=np.int64)
    result = compare(reference, live)
    assert all(math.isfinite(result.statistics()[name]) for name in STATISTICS)
    assert result.top_bins[0].index in (0, 1)
    assert_consistent(result)


def test_alpha_is_applied_to_both_sides() -> None:
    result = compare(REFERENCE, SHIFTED, alpha=5.0)
    assert result.alpha == 5.0
    assert_consistent(result, alpha=5.0)
    assert result.kl_live_ref != compare(REFERENCE, SHIFTED).kl_live_ref


@pytest.mark.parametrize(
    ("reference", "live", "message"),
    [
        ([10, 20, 30], [10, 20], "reference has 3 bins and live has 2"),
        ([10, -1, 30], [10, 20, 30], "reference counts must be non-negative; bin 1 has -1"),
        ([10, 20, 30], [10, 20, -30], "live counts must be non-negative; bin 2 has -30"),
        ([10, 20.5, 30], [10, 20, 30], "reference counts must be whole numbers"),
        ([10, 20, 30], [10, math.nan, 30], "live counts must be whole numbers"),
        ([10, 20, 30], [10, math.inf, 30], "live counts must be whole numbers"),
        (["10", "20"], [10, 20], "reference counts must be whole numbers, got dtype <U2"),
        ([], [], r"reference counts must be a non-empty 1-D array, got shape \(0,\)"),
        ([[10, 20]], [[10, 20]], r"non-empty 1-D array, got shape \(1, 2\)"),
        ([0, 0, 0], [10, 20, 30], "the reference is empty"),
    ],
)
def test_bad_counts_raise_counts_error(reference: list[Any], live: list[Any], message: str) -> None:
    with pytest.raises(CountsError, match=message):
        compare(np.array(reference), np.array(live))


def test_histograms_over_different_specs_are_refused() -> None:
    a = Histogram(NumericBins((0.0,)), np.array([10, 20, 0]))
    b = Histogram(CategoricalBins(("x",)), np.array([10, 20, 0]))
    with pytest.raises(CountsError, match="different bin specs"):
        compare(a, b)
    with pytest.raises(CountsError, match="2 labels given for 3 bins"):
        compare([1, 2, 3], [1, 2, 3], labels=("a", "b"))
    with pytest.raises(ValueError, match="primary statistic must be one of"):
        compare([1, 2, 3], [1, 2, 3], primary="kl")


def test_whole_float_counts_are_accepted() -> None:
    as_float = compare(REFERENCE.astype(np.float64), SHIFTED.astype(np.float64))
    assert as_float.js_divergence == compare(REFERENCE, SHIFTED).js_divergence


count_pairs = st.integers(2, 30).flatmap(
    lambda k: st.tuples(
        st.lists(st.integers(0, 10**7), min_size=k, max_size=k).filter(lambda c: sum(c) > 0),
        st.lists(st.integers(0, 10**7), min_size=k, max_size=k),
    )
)


@settings(max_examples=60, deadline=None)
@given(count_pairs)
def test_any_counts_give_finite_consistent_statistics(pair: tuple[list[int], list[int]]) -> None:
    reference, live = (np.array(c, dtype=np.int64) for c in pair)
    result = compare(reference, live, n_simulations=200)
    if live.sum() == 0:
        assert result.status == "insufficient_data"
        assert math.isnan(result.js_divergence)
        return
    for name in STATISTICS:
        value = getattr(result, name)
        assert math.isfinite(value)
        assert value >= 0
    assert result.js_divergence <= 1.0
    assert 0.0 <= result.p_value <= 1.0
    assert_consistent(result)


def test_hellinger_keeps_its_precision_for_tiny_distances() -> None:
    ref = np.array([1_000_000_000, 1_000_000_000])
    live = np.array([1_000_000_000, 1_000_000_001])
    result = compare(ref, live)
    assert result.hellinger > 0
    assert result.hellinger**2 == pytest.approx(result.contributions["hellinger"].sum(), rel=1e-6)


def test_counts_beyond_int64_are_refused_not_wrapped() -> None:
    huge = np.array([2**63, 1], dtype=np.uint64)
    with pytest.raises(CountsError, match="reference counts must fit in int64"):
        compare(huge, np.array([1, 1]))
