"""Additive smoothing with renormalisation: the formula, its refusals, and finite KL for any counts."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from driftmon.core import (
    DEFAULT_ALPHA,
    CountsError,
    hellinger,
    js_divergence,
    kl_divergence,
    psi,
    smooth,
)


def test_the_default_alpha_is_jeffreys() -> None:
    assert DEFAULT_ALPHA == 0.5


def test_smoothing_follows_the_formula() -> None:
    counts = [0, 3, 1]
    expected = [(0 + 0.5) / (4 + 1.5), (3 + 0.5) / (4 + 1.5), (1 + 0.5) / (4 + 1.5)]
    np.testing.assert_allclose(smooth(counts), expected, rtol=1e-15)
    np.testing.assert_allclose(smooth(counts, alpha=2.0), [2 / 10, 5 / 10, 3 / 10], rtol=1e-15)


def test_alpha_zero_is_plain_normalisation() -> None:
    np.testing.assert_array_equal(smooth([0, 3, 1], alpha=0.0), [0.0, 0.75, 0.25])


def test_smoothing_works_row_wise() -> None:
    rows = smooth(np.array([[0, 3, 1], [5, 5, 0]]))
    np.testing.assert_allclose(rows[0], smooth([0, 3, 1]))
    np.testing.assert_allclose(rows[1], smooth([5, 5, 0]))
    np.testing.assert_allclose(rows.sum(axis=1), [1.0, 1.0])


def test_empty_counts_smooth_to_uniform() -> None:
    np.testing.assert_allclose(smooth([0, 0, 0, 0]), [0.25] * 4)


@pytest.mark.parametrize("alpha", [-0.1, math.nan, math.inf])
def test_a_bad_alpha_is_refused(alpha: float) -> None:
    with pytest.raises(CountsError, match="smoothing alpha must be a finite number >= 0"):
        smooth([1, 2], alpha=alpha)


@pytest.mark.parametrize(
    ("counts", "alpha", "message"),
    [
        ([1, -2], 0.5, "counts must be finite and non-negative"),
        ([1, math.nan], 0.5, "counts must be finite and non-negative"),
        ([1, math.inf], 0.5, "counts must be finite and non-negative"),
        ([], 0.5, "cannot smooth an empty count vector"),
        ([0, 0], 0.0, "all-zero counts .* alpha = 0"),
    ],
)
def test_bad_counts_are_refused(counts: list[float], alpha: float, message: str) -> None:
    with pytest.raises(CountsError, match=message):
        smooth(counts, alpha=alpha)


count_vectors = st.integers(1, 60).flatmap(
    lambda k: st.tuples(
        st.lists(st.one_of(st.just(0), st.integers(0, 10**12)), min_size=k, max_size=k),
        st.lists(st.one_of(st.just(0), st.integers(0, 10**12)), min_size=k, max_size=k),
    )
)


@given(count_vectors, st.one_of(st.just(DEFAULT_ALPHA), st.floats(1e-3, 100.0)))
def test_smoothed_divergences_are_finite_for_any_counts(
    counts: tuple[list[int], list[int]], alpha: float
) -> None:
    reference, live = (smooth(c, alpha) for c in counts)
    for p in (reference, live):
        assert np.all(p > 0)
        assert p.sum() == pytest.approx(1.0, abs=1e-12)
    for value in (
        kl_divergence(live, reference),
        kl_divergence(reference, live),
        js_divergence(live, reference),
        psi(live, reference),
        hellinger(live, reference),
    ):
        assert math.isfinite(value)
        assert value >= 0.0
