"""Divergences between probability vectors, exact like scipy, with per-bin terms.

Each function validates its inputs (1-D, same length, finite, non-negative, sums to 1 within
`SUM_TOLERANCE`) and raises InvalidDistributionError (a ValueError) saying which rule failed;
accepted vectors are renormalised to sum to exactly 1 (as scipy's jensenshannon does).
Zeros behave as the math says: 0 * log 0 = 0, and a positive p against q = 0 gives inf.
Units: KL and JS in bits by default (`base=2`), PSI in nats by its convention, Hellinger is the
distance sqrt(1 - sum(sqrt(p * q))) in [0, 1].

scipy.special is imported where it is used, here and in driftmon.core.calibration: importing
it costs about 0.15 s (more on a loaded machine), which `driftmon serve` would otherwise spend
before answering /healthz and every other command before doing anything, computed or not.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from driftmon.core.errors import InvalidDistributionError

FloatArray = npt.NDArray[np.float64]
SUM_TOLERANCE = 1e-6


def validate_distribution(x: npt.ArrayLike, name: str = "p") -> FloatArray:
    """Return `x` as a float array summing to exactly 1, or raise if it is not a probability vector."""
    arr = np.asarray(x, dtype=np.float64)
    if arr.ndim != 1:
        raise InvalidDistributionError(name, f"must be one-dimensional, got shape {arr.shape}")
    if arr.size == 0:
        raise InvalidDistributionError(name, "is empty")
    if np.isnan(arr).any():
        raise InvalidDistributionError(name, f"contains NaN at index {int(np.flatnonzero(np.isnan(arr))[0])}")
    if np.isinf(arr).any():
        raise InvalidDistributionError(name, f"contains inf at index {int(np.flatnonzero(np.isinf(arr))[0])}")
    if (arr < 0).any():
        i = int(np.flatnonzero(arr < 0)[0])
        raise InvalidDistributionError(
            name, f"has a negative entry {float(arr[i])!r} at index {i}; probabilities must be >= 0"
        )
    total = float(arr.sum())
    if abs(total - 1.0) > SUM_TOLERANCE:
        raise InvalidDistributionError(
            name,
            f"sums to {total!r}, not 1; normalise counts first (p = c / c.sum()) or pass "
            "counts to compare(), which smooths and normalises them",
        )
    # Renormalise what the tolerance let through: on a vector summing to 1 - 1e-7 the plain
    # sums would give KL < 0 and Hellinger > 0 for identical shapes.
    return arr / total


def _pair(p: npt.ArrayLike, q: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    pa, qa = validate_distribution(p, "p"), validate_distribution(q, "q")
    if pa.shape != qa.shape:
        raise InvalidDistributionError(
            "p, q",
            f"have different lengths ({pa.shape[0]} and {qa.shape[0]}); both must use the same bins",
        )
    return pa, qa


def _log_base(base: float) -> float:
    if not (base > 0 and base != 1 and math.isfinite(base)):
        raise ValueError(f"log base must be positive, finite and not 1, got {base!r}")
    return math.log(base)


def kl_terms(p: npt.ArrayLike, q: npt.ArrayLike, base: float = 2.0) -> FloatArray:
    """Return the per-bin terms p_i log(p_i / q_i); they sum to KL(p || q)."""
    from scipy.special import rel_entr  # imported at the first use: see the module docstring

    pa, qa = _pair(p, q)
    return np.asarray(rel_entr(pa, qa), dtype=np.float64) / _log_base(base)


def kl_divergence(p: npt.ArrayLike, q: npt.ArrayLike, base: float = 2.0) -> float:
    """Return KL(p || q) = sum p log(p / q), in bits by default; inf where q = 0 < p."""
    # KL >= 0 (Gibbs); a negative sum is rounding (about 1e-17 on a near-identical pair).
    return max(float(kl_terms(p, q, base).sum()), 0.0)


def js_terms(p: npt.ArrayLike, q: npt.ArrayLike, base: float = 2.0) -> FloatArray:
    """Return the per-bin terms of JS(p || q) (each >= 0; they sum to the divergence)."""
    from scipy.special import rel_entr

    pa, qa = _pair(p, q)
    # p log(p / m) with m = (p + q) / 2, written as rel_entr(2p, p + q) / 2: halving a subnormal
    # entry underflows to 0 and would turn a negligible term into inf; doubling is exact.
    s = pa + qa
    terms = 0.25 * (rel_entr(2.0 * pa, s) + rel_entr(2.0 * qa, s))
    return np.asarray(terms, dtype=np.float64) / _log_base(base)


def js_divergence(p: npt.ArrayLike, q: npt.ArrayLike, base: float = 2.0) -> float:
    """Return the Jensen-Shannon divergence, in bits by default (then within [0, 1])."""
    # 0 <= JS <= log 2; rounding can step an ulp outside on identical or disjoint pairs.
    upper = math.log(2.0) / _log_base(base)
    return min(max(float(js_terms(p, q, base).sum()), 0.0), upper)


def js_distance(p: npt.ArrayLike, q: npt.ArrayLike, base: float = 2.0) -> float:
    """Return the Jensen-Shannon distance sqrt(JS), as scipy.spatial.distance.jensenshannon."""
    return math.sqrt(js_divergence(p, q, base))


def psi_terms(p: npt.ArrayLike, q: npt.ArrayLike) -> FloatArray:
    """Return the per-bin terms (p_i - q_i) ln(p_i / q_i); inf where exactly one is 0."""
    from scipy.special import rel_entr

    pa, qa = _pair(p, q)
    return np.asarray(rel_entr(pa, qa) + rel_entr(qa, pa), dtype=np.float64)


def psi(p: npt.ArrayLike, q: npt.ArrayLike) -> float:
    """Return the population stability index sum (p - q) ln(p / q), in nats by convention."""
    return max(float(psi_terms(p, q).sum()), 0.0)  # >= 0, as KL; below is rounding


def hellinger_terms(p: npt.ArrayLike, q: npt.ArrayLike) -> FloatArray:
    """Return the per-bin terms (sqrt p_i - sqrt q_i)^2 / 2; they sum to hellinger(p, q)^2."""
    pa, qa = _pair(p, q)
    return 0.5 * (np.sqrt(pa) - np.sqrt(qa)) ** 2


def hellinger(p: npt.ArrayLike, q: npt.ArrayLike) -> float:
    """Return the Hellinger distance sqrt(sum (sqrt p - sqrt q)^2 / 2), within [0, 1]."""
    return math.sqrt(min(max(float(hellinger_terms(p, q).sum()), 0.0), 1.0))
