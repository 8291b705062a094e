"""Divergences on probability vectors: the seeds' worked example, scipy cross-checks, properties."""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy.spatial.distance import jensenshannon
from scipy.special import rel_entr

from driftmon.core import (
    InvalidDistributionError,
    hellinger,
    hellinger_terms,
    js_distance,
    js_divergence,
    js_terms,
    kl_divergence,
    kl_terms,
    psi,
    psi_terms,
)

FloatArray = npt.NDArray[np.float64]

P = [0.10, 0.40, 0.50]
Q = [0.80, 0.15, 0.05]


# --- the seeds' worked example -----------------------------------------------------------


def test_worked_example_kl_in_bits_and_nats() -> None:
    assert round(kl_divergence(P, Q), 3) == 1.927
    assert round(kl_divergence(P, Q, base=math.e), 3) == 1.336
    assert round(kl_divergence(Q, P), 3) == 2.022
    assert round(kl_divergence(Q, P, base=math.e), 3) == 1.401


def test_worked_example_js_divergence_and_distance() -> None:
    assert round(js_divergence(P, Q), 3) == 0.420
    assert round(js_distance(P, Q), 3) == 0.648
    assert js_divergence(P, Q) == pytest.approx(js_divergence(Q, P), rel=1e-15)
    assert js_distance(P, Q) == pytest.approx(js_distance(Q, P), rel=1e-15)


def test_worked_example_in_other_bases() -> None:
    assert kl_divergence(P, Q, base=10) == pytest.approx(kl_divergence(P, Q, base=math.e) / math.log(10))
    with pytest.raises(ValueError, match="log base must be positive, finite and not 1, got 1"):
        kl_divergence(P, Q, base=1)
    with pytest.raises(ValueError, match="log base must be positive, finite and not 1, got -2"):
        js_divergence(P, Q, base=-2)


# --- cross-checks against scipy and direct formulas ----------------------------------------

RTOL = 1e-10


@pytest.fixture
def random_pairs() -> list[tuple[FloatArray, FloatArray]]:
    """Random probability vectors of 2 to 60 bins, some with zeros on one or both sides."""
    rng = np.random.default_rng(20240601)
    pairs = []
    for i in range(300):
        k = int(rng.integers(2, 61))
        p, q = rng.dirichlet(np.full(k, 0.5)), rng.dirichlet(np.full(k, 2.0))
        if i % 3 == 1:
            p[rng.integers(k)] = 0.0
            q[rng.integers(k)] = 0.0
        pairs.append((p / p.sum(), q / q.sum()))
    return pairs


def test_kl_matches_scipy_rel_entr(random_pairs: list[tuple[FloatArray, FloatArray]]) -> None:
    for p, q in random_pairs:
        for base in (2.0, math.e, 10.0):
            expected = float(np.sum(rel_entr(p, q))) / math.log(base)
            got = kl_divergence(p, q, base=base)
            if math.isinf(expected):
                assert got == math.inf
            else:
                assert got == pytest.approx(expected, rel=RTOL, abs=0)


def test_js_distance_matches_scipy_jensenshannon(random_pairs: list[tuple[FloatArray, FloatArray]]) -> None:
    for p, q in random_pairs:
        assert js_distance(p, q) == pytest.approx(float(jensenshannon(p, q, base=2)), rel=RTOL, abs=1e-15)
        assert js_distance(p, q, base=math.e) == pytest.approx(
            float(jensenshannon(p, q)), rel=RTOL, abs=1e-15
        )
        assert js_divergence(p, q) == pytest.approx(
            float(jensenshannon(p, q, base=2)) ** 2, rel=RTOL, abs=1e-15
        )


def test_psi_and_hellinger_match_their_formulas(random_pairs: list[tuple[FloatArray, FloatArray]]) -> None:
    for p, q in random_pairs:
        both = (p > 0) & (q > 0)
        if np.all(both == ((p > 0) | (q > 0))):  # no bin with exactly one side at zero
            direct_psi = float(np.sum((p[both] - q[both]) * np.log(p[both] / q[both])))
            assert psi(p, q) == pytest.approx(direct_psi, rel=RTOL, abs=1e-15)
        else:
            assert psi(p, q) == math.inf
        direct_hellinger = math.sqrt(0.5 * float(np.sum((np.sqrt(p) - np.sqrt(q)) ** 2)))
        assert hellinger(p, q) == pytest.approx(direct_hellinger, rel=RTOL, abs=1e-15)
        bhattacharyya = float(np.sum(np.sqrt(p * q)))
        assert hellinger(p, q) == pytest.approx(math.sqrt(max(1.0 - bhattacharyya, 0.0)), rel=1e-6, abs=1e-7)


def test_per_bin_terms_sum_to_the_totals(random_pairs: list[tuple[FloatArray, FloatArray]]) -> None:
    for p, q in random_pairs:
        for base in (2.0, math.e):
            assert kl_terms(p, q, base).sum() == pytest.approx(kl_divergence(p, q, base), rel=1e-12)
            assert js_terms(p, q, base).sum() == pytest.approx(
                js_divergence(p, q, base), rel=1e-12, abs=1e-300
            )
        assert psi_terms(p, q).sum() == pytest.approx(psi(p, q), rel=1e-12)
        assert hellinger_terms(p, q).sum() == pytest.approx(hellinger(p, q) ** 2, rel=1e-12, abs=1e-300)
        assert np.all(js_terms(p, q) >= 0)
        assert np.all(psi_terms(p, q) >= 0)


# --- zeros behave as the math says ---------------------------------------------------------


def test_zero_times_log_zero_is_zero() -> None:
    assert kl_divergence([0.5, 0.5, 0.0], [0.25, 0.25, 0.5]) == pytest.approx(0.5 * 1 + 0.5 * 1)
    assert kl_terms([0.0, 1.0], [0.0, 1.0]).tolist() == [0.0, 0.0]
    assert js_divergence([1.0, 0.0], [1.0, 0.0]) == 0.0


def test_kl_is_infinite_where_q_is_zero_and_p_is_not() -> None:
    # A seeds complaint: zeros in q. The exact divergence is inf, not NaN and not a floor.
    assert kl_divergence([0.5, 0.5], [1.0, 0.0]) == math.inf
    assert kl_terms([0.5, 0.5], [1.0, 0.0]).tolist()[1] == math.inf
    assert kl_divergence([1.0, 0.0], [0.5, 0.5]) == 1.0
    assert psi([0.5, 0.5], [1.0, 0.0]) == math.inf
    assert psi([1.0, 0.0], [0.5, 0.5]) == math.inf


def test_js_stays_finite_and_bounded_with_disjoint_support() -> None:
    assert js_divergence([1.0, 0.0], [0.0, 1.0]) == 1.0
    assert js_distance([1.0, 0.0], [0.0, 1.0]) == 1.0
    assert js_divergence([1.0, 0.0], [0.0, 1.0], base=math.e) == pytest.approx(math.log(2))
    assert hellinger([1.0, 0.0], [0.0, 1.0]) == 1.0


@pytest.mark.parametrize(
    ("p", "q"),
    [
        ([1.0, 0.0], [1.0, 5e-324]),
        ([0.5, 0.5, 0.0], [0.5, 0.5, 1.5e-323]),
        ([0.25, 0.75, 5e-324], [0.25, 0.75, 0.0]),
    ],
)
def test_js_of_nearly_equal_vectors_with_subnormal_entries_is_nearly_zero(
    p: list[float], q: list[float]
) -> None:
    # Halving 5e-324 underflows to 0, so a mixture computed as (p + q) / 2 made these terms inf.
    for base in (2.0, math.e):
        assert np.all(np.isfinite(js_terms(p, q, base)))
        assert js_divergence(p, q, base) < 1e-300
        assert js_divergence(q, p, base) < 1e-300


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


def test_unnormalised_input_is_refused_not_a_negative_kl() -> None:
    # A seeds complaint: summing p log2(p / q) over these gave KL(p, q) = -1.254 bits.
    p = [6.33527306, 0.17195741, 0.01810078, 0.01810078]
    q = [7.36958404, 0.09665028, 0.02416257, 0.02416257]
    assert float(np.sum(rel_entr(p, q))) / math.log(2) == pytest.approx(-1.2543610466991473)
    with pytest.raises(InvalidDistributionError, match=r"p: sums to 6\.54.*, not 1; normalise counts first"):
        kl_divergence(p, q)
    with pytest.raises(InvalidDistributionError, match="sums to"):
        js_divergence(q, p)
    # Normalised, as the message asks, the same data gives a small non-negative divergence.
    pn, qn = np.array(p) / sum(p), np.array(q) / sum(q)
    assert 0 < kl_divergence(pn, qn) < 0.01
    assert 0 < kl_divergence(qn, pn) < 0.01


def test_negative_input_is_refused_instead_of_nan() -> None:
    # A seeds complaint: a KL of raw values, some negative, came out as NaN.
    p = np.array([0.6, 0.5, -0.1])
    q = np.array([0.2, 0.3, 0.5])
    with np.errstate(invalid="ignore"):
        assert math.isnan(float(np.sum(p * np.log2(p / q))))
    with pytest.raises(InvalidDistributionError, match="p: has a negative entry"):
        kl_divergence(p, q)
    with pytest.raises(InvalidDistributionError, match="q: has a negative entry"):
        kl_divergence(q, p)


def test_probability_vectors_of_different_lengths_are_refused() -> None:
    # A seeds complaint: different-size samples. Raw vectors must share bins; counts go to compare().
    with pytest.raises(InvalidDistributionError, match="different lengths"):
        kl_divergence(np.full(7, 1 / 7), np.full(3, 1 / 3))


def test_inputs_within_the_sum_tolerance_are_renormalised() -> None:
    uniform = [0.5, 0.5]
    short = [0.49999975, 0.49999975]  # sums to 1 - 5e-7, within SUM_TOLERANCE
    for function in (kl_divergence, js_divergence, psi, hellinger):
        assert function(short, uniform) == 0.0
        assert function(uniform, short) == 0.0
    rng = np.random.default_rng(3)
    p, q = rng.dirichlet(np.ones(8)), rng.dirichlet(np.ones(8))
    for scale in (1 - 9e-7, 1 + 9e-7):
        assert kl_divergence(p * scale, q) == pytest.approx(kl_divergence(p, q), rel=1e-12)
        assert hellinger(p, q * scale) == pytest.approx(hellinger(p, q), rel=1e-12)


# --- properties ----------------------------------------------------------------------------


@st.composite
def distributions(draw: st.DrawFn, size: int | None = None) -> FloatArray:
    """Normalised probability vectors, zeros and near-zeros included."""
    k = size if size is not None else draw(st.integers(1, 20))
    weights = draw(
        st.lists(st.one_of(st.just(0.0), st.floats(1e-300, 1e6), st.floats(0.0, 1.0)), min_size=k, max_size=k)
    )
    arr = np.asarray(weights, dtype=np.float64)
    assume(arr.sum() > 0)
    return arr / arr.sum()


@st.composite
def pairs(draw: st.DrawFn) -> tuple[FloatArray, FloatArray]:
    p = draw(distributions())
    return p, draw(distributions(size=p.shape[0]))


@given(distributions())
def test_kl_of_a_distribution_with_itself_is_zero(p: FloatArray) -> None:
    assert kl_divergence(p, p) == 0.0
    assert js_divergence(p, p) == 0.0
    assert psi(p, p) == 0.0
    assert hellinger(p, p) == 0.0


@settings(max_examples=300)
@given(pairs())
def test_kl_is_never_negative(pq: tuple[FloatArray, FloatArray]) -> None:
    p, q = pq
    assert kl_divergence(p, q) >= 0.0
    assert kl_divergence(q, p) >= 0.0
    assert psi(p, q) >= 0.0


@settings(max_examples=300)
@given(pairs(), st.sampled_from([2.0, math.e]))
def test_js_is_symmetric_and_bounded(pq: tuple[FloatArray, FloatArray], base: float) -> None:
    p, q = pq
    forward, backward = js_divergence(p, q, base), js_divergence(q, p, base)
    assert forward == pytest.approx(backward, rel=1e-12, abs=1e-300)
    assert 0.0 <= forward <= math.log(2) / math.log(base)
    assert 0.0 <= js_distance(p, q, base) <= math.sqrt(math.log(2) / math.log(base))
    assert math.isfinite(forward)
    assert 0.0 <= hellinger(p, q) <= 1.0


@settings(max_examples=300)
@given(pairs())
def test_terms_sum_to_the_total(pq: tuple[FloatArray, FloatArray]) -> None:
    p, q = pq
    for total, terms in [
        (kl_divergence(p, q), kl_terms(p, q)),
        (js_divergence(p, q), js_terms(p, q)),
        (psi(p, q), psi_terms(p, q)),
        (hellinger(p, q) ** 2, hellinger_terms(p, q)),
    ]:
        if math.isinf(total):
            assert np.isposinf(terms).any()
        else:
            assert float(terms.sum()) == pytest.approx(total, rel=1e-9, abs=1e-12)


def test_scipy_is_imported_at_the_first_computation_not_with_the_service() -> None:
    code = (
        "import sys, driftmon.cli, driftmon.service, driftmon.core as core; "
        "assert 'scipy' not in sys.modules, 'imported with the service'; "
        "core.psi([0.5, 0.5], [0.25, 0.75]); assert 'scipy.special' in sys.modules; print('ok')"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout == "ok\n"
