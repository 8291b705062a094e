"""No-drift calibration: what each statistic looks like when live and reference share a law.

Under no drift, plug-in divergences are biased upward by sampling noise, by roughly
(B - 1) / 2 * (1/n_ref + 1/n_live) nats for KL. Each statistic gets, for the actual n_ref,
n_live, bin count and alpha: its expected no-drift level, a no-drift quantile (the noise
ceiling, 99% by default) and a p-value.

Two methods:
- analytic: every statistic is to second order k * sum (a_i - b_i)^2 / p_i, and that sum is
  (1/n_ref + 1/n_live) * chi-square(df) under the null (k = 1/2 for KL, 1/8 for JS and
  Hellinger^2, 1 for PSI). Used only where it is accurate: enough expected counts in every
  occupied bin and smoothing too weak to bias the estimate.
- simulation: a seeded permutation test. Under no drift, reference and live rows are
  exchangeable, so given the pooled counts the live counts follow a multivariate hypergeometric
  law. Live samples of the real size are drawn from the pooled counts (the rest is the
  reference), then smoothed and scored exactly like the observed pair. Being conditional on the
  pooled counts, the test holds its false-alarm rate at any sample size, where a multinomial
  bootstrap from the pooled shares is anti-conservative for small windows over many bins.
  Its p-values cannot go below about 1 / (simulations + 1); where fewer than
  TAIL_MIN_EXCEEDANCES simulated values reach the observed one (p below about 0.005 with the
  default 1,000 simulations), the tail is read from a scaled chi-square matched to the simulated
  mean and variance (of squares, for the distances), so extreme drift gets a p-value that keeps
  ordering windows instead of sitting at the simulation's floor. Decisions at 0.01 stay with the
  exact test; below, tests/core/test_calibration.py bounds the approximation against 200,000
  permutations: within a factor of 3 for js_divergence at 1e-3 and 1e-4, within 4 for Hellinger and KL,
  whose tails are heavier.
- The seed of the simulation is a hash of the counts and alpha: the same counts and settings
  always give the same p-value, whatever the monitor, column or window.

scipy.special is imported at its first use (see driftmon.core.divergence).
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from driftmon.core.smoothing import smooth

FloatArray = npt.NDArray[np.float64]
CalibrationMethod = Literal["auto", "analytic", "simulation"]

STATISTICS = ("kl_live_ref", "kl_ref_live", "js_divergence", "js_distance", "psi", "hellinger")
DEFAULT_SIMULATIONS = 1000
DEFAULT_NULL_QUANTILE = 0.99
# The analytic path needs at least this many expected counts per occupied bin on each side...
ANALYTIC_MIN_EXPECTED = 20.0
# ...and smoothing must move no more than this share of the smaller sample's mass.
ANALYTIC_MAX_SMOOTHING_SHARE = 0.005
# Below this many simulated values at or above the observed one, the tail approximation is used.
TAIL_MIN_EXCEEDANCES = 5

_LN2 = math.log(2.0)
# Second-order coefficient k (in the statistic's own unit, squared for distances).
_COEFFICIENT = {
    "kl_live_ref": 0.5 / _LN2,
    "kl_ref_live": 0.5 / _LN2,
    "js_divergence": 0.125 / _LN2,
    "js_distance": 0.125 / _LN2,
    "psi": 1.0,
    "hellinger": 0.125,
}
_IS_DISTANCE = {"js_distance", "hellinger"}


@dataclass(frozen=True)
class NullLevel:
    """A statistic's no-drift calibration for one window."""

    expected: float
    """Mean of the statistic under no drift (its noise level)."""
    quantile: float
    """The no-drift quantile (e.g. 99th percentile): values above it are unusual."""
    p_value: float
    """P(statistic >= observed | no drift)."""


def statistics_matrix(ref_probs: FloatArray, live_probs: FloatArray) -> dict[str, FloatArray]:
    """Compute every statistic row-wise for 2-D arrays of probabilities."""
    p, q = live_probs, ref_probs
    m = 0.5 * (p + q)
    if np.all(p > 0) and np.all(q > 0):
        # Smoothed inputs are strictly positive: three logs serve every statistic (the hot path
        # of the permutation test).
        lp, lq, lm = np.log(p), np.log(q), np.log(m)
        d = lp - lq
        kl_lr = np.sum(p * d, axis=-1) / _LN2
        kl_rl = -np.sum(q * d, axis=-1) / _LN2
        js = 0.5 * np.sum(p * (lp - lm) + q * (lq - lm), axis=-1) / _LN2
    else:
        from scipy import special  # imported at the first use: see the module docstring

        kl_lr = np.sum(special.rel_entr(p, q), axis=-1) / _LN2
        kl_rl = np.sum(special.rel_entr(q, p), axis=-1) / _LN2
        js = 0.5 * np.sum(special.rel_entr(p, m) + special.rel_entr(q, m), axis=-1) / _LN2
    js = np.clip(js, 0.0, 1.0)
    # Hellinger from squared root differences, not 1 - sum(sqrt(p q)), which cancels to 0 for
    # small distances.
    h2 = 0.5 * np.sum((np.sqrt(p) - np.sqrt(q)) ** 2, axis=-1)
    return {
        "kl_live_ref": kl_lr,
        "kl_ref_live": kl_rl,
        "js_divergence": js,
        "js_distance": np.sqrt(js),
        "psi": (kl_lr + kl_rl) * _LN2,
        "hellinger": np.sqrt(np.clip(h2, 0.0, 1.0)),
    }


def _analytic_accurate(pooled: FloatArray, n_ref: int, n_live: int, alpha: float) -> bool:
    occupied = pooled[pooled > 0]
    n_min = min(n_ref, n_live)
    enough_counts = float(occupied.min()) * n_min >= ANALYTIC_MIN_EXPECTED
    weak_smoothing = alpha * pooled.shape[0] <= ANALYTIC_MAX_SMOOTHING_SHARE * n_min
    return enough_counts and weak_smoothing


def _chi_mean_sqrt(df: int) -> float:
    # E[sqrt(X)] for X ~ chi-square(df).
    return math.sqrt(2.0) * math.exp(math.lgamma((df + 1) / 2) - math.lgamma(df / 2))


def _chi2_ppf(q: float, df: int) -> float:
    # scipy.stats.chi2.ppf is this same special function; scipy.special alone imports in a
    # fraction of the time scipy.stats takes (about a second of every command's start-up).
    from scipy import special

    return float(2.0 * special.gammaincinv(df / 2, q))


def _analytic(
    observed: Mapping[str, float], df: int, n_ref: int, n_live: int, q: float
) -> dict[str, NullLevel]:
    from scipy import special

    v = 1.0 / n_ref + 1.0 / n_live
    out: dict[str, NullLevel] = {}
    for name in STATISTICS:
        scale = _COEFFICIENT[name] * v
        obs = observed[name]
        if name in _IS_DISTANCE:
            t = obs * obs / scale
            expected = math.sqrt(scale) * _chi_mean_sqrt(df)
            quantile = math.sqrt(scale * _chi2_ppf(q, df))
        else:
            t = obs / scale
            expected = scale * df
            quantile = scale * _chi2_ppf(q, df)
        out[name] = NullLevel(expected, quantile, float(special.chdtrc(df, t)))
    return out


def _seed(ref_counts: npt.NDArray[np.int64], live_counts: npt.NDArray[np.int64], alpha: float) -> int:
    # Same counts, same simulation: results are reproducible run to run and host to host.
    data = ref_counts.tobytes() + b"|" + live_counts.tobytes() + b"|" + repr(alpha).encode()
    return zlib.crc32(data)


def _simulated(
    observed: Mapping[str, float],
    pooled_counts: npt.NDArray[np.int64],
    n_live: int,
    alpha: float,
    n_simulations: int,
    q: float,
    seed: int,
) -> dict[str, NullLevel]:
    rng = np.random.default_rng(seed)
    live = rng.multivariate_hypergeometric(pooled_counts, n_live, size=n_simulations, method="marginals")
    ref = pooled_counts - live
    simulated = statistics_matrix(smooth(ref, alpha), smooth(live, alpha))
    # One uniform draw breaks ties between the observed and the simulated statistic, which
    # keeps the test exact instead of conservative on small, discrete windows.
    tie_break = float(rng.uniform())
    out: dict[str, NullLevel] = {}
    for name in STATISTICS:
        sims = simulated[name]
        obs = observed[name]
        tol = 1e-12 * max(abs(obs), 1e-300)
        greater = int(np.count_nonzero(sims > obs + tol))
        ties = int(np.count_nonzero(np.abs(sims - obs) <= tol))
        p_value = (greater + tie_break * (ties + 1)) / (n_simulations + 1)
        if greater + ties < TAIL_MIN_EXCEEDANCES:
            p_value = min(p_value, _tail(sims, obs, squared=name in _IS_DISTANCE))
        out[name] = NullLevel(
            expected=float(sims.mean()),
            quantile=float(np.quantile(sims, q)),
            p_value=p_value,
        )
    return out


def _tail(sims: FloatArray, observed: float, *, squared: bool) -> float:
    """Return P(X >= observed) for a scaled chi-square with the simulations' mean and variance."""
    x, obs = (sims * sims, observed * observed) if squared else (sims, observed)
    mean, var = float(x.mean()), float(x.var())
    if not (mean > 0 and var > 0 and math.isfinite(obs)):
        return 1.0  # no spread to extrapolate from: keep the permutation estimate
    from scipy import special

    scale, df = var / (2.0 * mean), 2.0 * mean * mean / var
    return float(special.chdtrc(df, obs / scale))


def calibrate(
    ref_counts: npt.NDArray[np.int64],
    live_counts: npt.NDArray[np.int64],
    observed: Mapping[str, float],
    *,
    alpha: float,
    method: CalibrationMethod = "auto",
    n_simulations: int = DEFAULT_SIMULATIONS,
    quantile: float = DEFAULT_NULL_QUANTILE,
    seed: int | None = None,
) -> tuple[dict[str, NullLevel], Literal["analytic", "simulation", "degenerate"]]:
    """Return each statistic's NullLevel and the method used, for non-empty count vectors."""
    if not 0.0 < quantile < 1.0:
        raise ValueError(f"null quantile must be within (0, 1), got {quantile!r}")
    if n_simulations < 100:
        raise ValueError(f"n_simulations must be at least 100, got {n_simulations}")
    n_ref, n_live = int(ref_counts.sum()), int(live_counts.sum())
    if n_ref <= 0 or n_live <= 0:
        raise ValueError("calibration needs at least one reference and one live value")
    pooled_counts = ref_counts + live_counts
    pooled = pooled_counts.astype(np.float64) / (n_ref + n_live)
    df = int(np.count_nonzero(pooled)) - 1
    if df == 0:  # everything in one bin on both sides: no variation is possible
        return {name: NullLevel(0.0, 0.0, 1.0) for name in STATISTICS}, "degenerate"
    if method == "analytic" or (method == "auto" and _analytic_accurate(pooled, n_ref, n_live, alpha)):
        return _analytic(observed, df, n_ref, n_live, quantile), "analytic"
    if method not in ("auto", "simulation"):
        raise ValueError(f"calibration method must be 'auto', 'analytic' or 'simulation', got {method!r}")
    s = _seed(ref_counts, live_counts, alpha) if seed is None else seed
    return _simulated(observed, pooled_counts, n_live, alpha, n_simulations, quantile, s), "simulation"
