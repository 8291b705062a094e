"""Divergences on probability vectors: the seeds' worked example, scipy cross-checks, properties."""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
import pytest

from driftmon.core import (
    InvalidDistributionError,
    hellinger,
    js_distance,
    js_divergence,
    js_terms,
    kl_divergence,
    kl_terms,
    psi,
)

FloatArray = npt.NDArray[np.float64]

P = [0.10, 0.40, 0.50]
Q = [0.80, 0.15, 0.05]


# --- validation: each bad input says what is wrong -----------------------------------------

ALL_FUNCTIONS = [kl_divergence, js_divergence, js_distance, psi, hellinger, kl_terms, js_terms]


@pytest.mark.parametrize("function", ALL_FUNCTIONS, ids=lambda f: f.__name__)
@pytest.mark.parametrize(
    ("p", "q", "message"),
    [
        ([0.5, 0.7, -0.2], [0.3, 0.3, 0.4], r"p: has a negative entry -0.2 at index 2"),
        ([0.3, 0.3, 0.4], [1.1, -0.1, 0.0], r"q: has a negative entry -0.1 at index 1"),
        ([0.5, math.nan, 0.5], [0.3, 0.3, 0.4], r"p: contains NaN at index 1"),
        ([0.3, 0.3, 0.4], [math.inf, 0.0, 0.0], r"q: contains inf at index 0"),
        ([0.5, 0.5], [0.3, 0.3, 0.4], r"p, q: have different lengths \(2 and 3\)"),
        ([0.5, 0.6], [0.5, 0.5], r"p: sums to 1.1, not 1; normalise counts first"),
        ([3.0, 1.0], [0.5, 0.5], r"p: sums to 4.0, not 1"),
        ([0.5, 0.5], [0.0, 0.0], r"q: sums to 0.0, not 1"),
        ([], [], r"p: is empty"),
        ([[0.5, 0.5]], [[0.5, 0.5]], r"p: must be one-dimensional, got shape \(1, 2\)"),
    ],
)
def test_invalid_distributions_are_refused_saying_which_rule(
    function: object, p: list[float], q: list[float], message: str
) -> None:
    with pytest.raises(InvalidDistributionError, match=message) as info:
        function(p, q)  # type: ignore[operator]
    assert isinstance(info.value, ValueError)
