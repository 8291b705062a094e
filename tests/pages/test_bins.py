"""The overlay's rows: baseline bins in edge order or by reference share, other and missing last."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from driftmon.core import CategoricalBins, NumericBins, compare
from driftmon.pages import distribution_rows


def test_numeric_bins_keep_edge_order_with_half_open_labels_and_missing_last() -> None:
    spec = NumericBins((1.0, 2.5, 10.0))
    rows = distribution_rows(
        "numeric", spec.labels, [5, 0, 7, 3, 1], [1, 9, 0, 4, 6], alpha=0.5, statistic="js_divergence"
    )
    assert [r.label for r in rows] == ["(-inf, 1)", "[1, 2.5)", "[2.5, 10)", "[10, +inf)", "missing"]
    assert [r.index for r in rows] == [0, 1, 2, 3, 4]
    assert [r.kind for r in rows] == ["value"] * 4 + ["missing"]
    assert math.isclose(sum(r.reference_share for r in rows), 1.0)
    assert math.isclose(sum(r.live_share for r in rows), 1.0)
    assert (rows[1].reference_count, rows[1].live_count) == (0, 9)


def test_categories_by_reference_share_then_other_and_missing_even_when_empty() -> None:
    spec = CategoricalBins(("DE", "US", "GB"))
    rows = distribution_rows(
        "categorical", spec.labels, [20, 50, 20, 0, 0], [10, 40, 30, 15, 5], alpha=0.5, statistic="psi"
    )
    # US first (largest reference share), DE before GB on a tie (baseline order), then other, missing.
    assert [r.label for r in rows] == ["US", "DE", "GB", "other", "missing"]
    assert [r.kind for r in rows] == ["category", "category", "category", "other", "missing"]
    assert rows[-2].reference_share == 0.0
    assert rows[-2].live_share == pytest.approx(0.15)
    assert math.isclose(sum(r.live_share for r in rows), 1.0)


@pytest.mark.parametrize("statistic", ["kl_live_ref", "kl_ref_live", "js_divergence", "psi"])
def test_contributions_sum_to_the_stored_statistic(statistic: str) -> None:
    ref, live = np.array([30, 50, 15, 4, 1]), np.array([10, 35, 40, 10, 5])
    scored = compare(ref, live, alpha=0.5, min_samples=1, seed=1)
    rows = distribution_rows(
        "numeric", scored.labels, ref.tolist(), live.tolist(), alpha=0.5, statistic=statistic
    )
    total = sum(r.contribution or 0.0 for r in rows)
    assert total == pytest.approx(getattr(scored, statistic), rel=1e-9)


def test_hellinger_and_js_distance_contributions_are_of_their_squares() -> None:
    ref, live = np.array([30, 50, 20]), np.array([60, 20, 20])
    scored = compare(ref, live, alpha=0.5, min_samples=1, seed=1)
    labels = ("a", "b", "c")
    hellinger = distribution_rows(
        "numeric", labels, ref.tolist(), live.tolist(), alpha=0.5, statistic="hellinger"
    )
    distance = distribution_rows(
        "numeric", labels, ref.tolist(), live.tolist(), alpha=0.5, statistic="js_distance"
    )
    assert sum(r.contribution or 0 for r in hellinger) == pytest.approx(scored.hellinger**2)
    assert math.sqrt(sum(r.contribution or 0 for r in distance)) == pytest.approx(scored.js_distance)


def test_an_empty_live_window_has_shares_of_zero_and_no_contributions() -> None:
    rows = distribution_rows(
        "numeric", ("(-inf, 1)", "[1, +inf)", "missing"), [3, 4, 1], [0, 0, 0], alpha=0.5, statistic="psi"
    )
    assert [r.live_share for r in rows] == [0.0, 0.0, 0.0]
    assert all(r.contribution is None for r in rows)


def test_mismatched_labels_and_counts_are_refused_with_both_lengths() -> None:
    with pytest.raises(ValueError, match="3 bin labels but 2 reference and 3 live counts"):
        distribution_rows("numeric", ("a", "b", "missing"), [1, 2], [1, 2, 3], alpha=0.5, statistic="psi")


@given(
    st.lists(st.integers(0, 1000), min_size=1, max_size=30).flatmap(
        lambda ref: st.tuples(
            st.just(ref), st.lists(st.integers(0, 1000), min_size=len(ref), max_size=len(ref))
        )
    )
)
def test_shares_sum_to_one_and_every_baseline_bin_appears_once(counts: tuple[list[int], list[int]]) -> None:
    ref, live = counts
    ref, live = [*ref, 1, 0], [*live, 0, 2]  # other and missing always present
    labels = CategoricalBins(tuple(f"c{i}" for i in range(len(ref) - 2))).labels
    rows = distribution_rows("categorical", labels, ref, live, alpha=0.5, statistic="js_divergence")
    assert sorted(r.index for r in rows) == list(range(len(ref)))
    assert [r.kind for r in rows[-2:]] == ["other", "missing"]
    shares = [r.reference_share for r in rows[:-2]]
    assert shares == sorted(shares, reverse=True)
    assert math.isclose(sum(r.reference_share for r in rows), 1.0)
    assert math.isclose(sum(r.live_share for r in rows), 1.0)
