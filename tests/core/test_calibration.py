"""No-drift calibration: false-alarm rates by simulation, agreement of the two methods, power."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from driftmon.core import STATISTICS, compare
from driftmon.core.calibration import _chi2_ppf, calibrate, statistics_matrix
from driftmon.core.smoothing import smooth


def _law(n_bins: int, skew: float) -> np.ndarray:
    w = np.exp(-skew * np.arange(n_bins) / n_bins)
    return w / w.sum()


def _observed(ref: np.ndarray, live: np.ndarray, alpha: float = 0.5) -> dict[str, float]:
    values = statistics_matrix(smooth(ref, alpha)[None, :], smooth(live, alpha)[None, :])
    return {k: float(v[0]) for k, v in values.items()}


# Sample sizes from 100 to 100,000 and 5 to 50 bins; the reference is as small as the live window
# (the hardest case: both sides are noisy) or ten times larger.
FALSE_ALARM_GRID = [
    (n, ratio, bins)
    for n in (100, 1_000, 10_000, 100_000)
    for bins in (5, 20, 50)
    for ratio in ((1,) if n == 100_000 else (1, 10))
    if not (ratio == 10 and n == 10_000)
]


@pytest.mark.slow
@pytest.mark.parametrize(("n_live", "ratio", "n_bins"), FALSE_ALARM_GRID)
def test_false_alarm_rate_at_one_percent(n_live: int, ratio: int, n_bins: int) -> None:
    windows = 2000
    rng = np.random.default_rng(n_live * 1000 + n_bins * 10 + ratio)
    law = _law(n_bins, skew=3.0)
    alarms = dict.fromkeys(STATISTICS, 0)
    methods = set()
    for _ in range(windows):
        ref = rng.multinomial(n_live * ratio, law)
        live = rng.multinomial(n_live, law)
        result = compare(ref, live, min_samples=1, n_simulations=300)
        methods.add(result.calibration_method)
        for name in STATISTICS:
            alarms[name] += result.null[name].p_value < 0.01
    rates = {name: count / windows for name, count in alarms.items()}
    assert all(0.005 <= rate <= 0.02 for rate in rates.values()), (methods, rates)


def test_small_windows_use_the_permutation_test_and_large_ones_the_analytic_law() -> None:
    rng = np.random.default_rng(1)
    law = _law(20, 3.0)
    small = compare(rng.multinomial(100, law), rng.multinomial(100, law))
    large = compare(rng.multinomial(100_000, law), rng.multinomial(50_000, law))
    assert small.calibration_method == "simulation"
    assert large.calibration_method == "analytic"


@pytest.mark.parametrize("name", STATISTICS)
def test_analytic_and_simulated_calibration_agree_on_large_windows(name: str) -> None:
    rng = np.random.default_rng(7)
    law = _law(10, 2.0)
    ref = rng.multinomial(200_000, law)
    live = rng.multinomial(
        20_000, law * (1 + 0.03 * np.sin(np.arange(10))) / (law * (1 + 0.03 * np.sin(np.arange(10)))).sum()
    )
    observed = _observed(ref, live)
    analytic, m1 = calibrate(ref, live, observed, alpha=0.5, method="analytic")
    simulated, m2 = calibrate(ref, live, observed, alpha=0.5, method="simulation", n_simulations=4000)
    assert (m1, m2) == ("analytic", "simulation")
    assert analytic[name].expected == pytest.approx(simulated[name].expected, rel=0.08)
    assert analytic[name].quantile == pytest.approx(simulated[name].quantile, rel=0.12)
    assert analytic[name].p_value == pytest.approx(simulated[name].p_value, abs=0.03)


def test_no_drift_kl_bias_matches_the_chi_square_rule() -> None:
    # E[KL] ~ (B - 1) / 2 * (1/n_ref + 1/n_live) nats under no drift.
    n_ref, n_live, n_bins = 50_000, 5_000, 10
    rng = np.random.default_rng(3)
    law = _law(n_bins, 1.0)
    ref, live = rng.multinomial(n_ref, law), rng.multinomial(n_live, law)
    levels, _ = calibrate(ref, live, _observed(ref, live), alpha=0.5, method="simulation", n_simulations=4000)
    expected_nats = (n_bins - 1) / 2 * (1 / n_ref + 1 / n_live)
    assert levels["kl_live_ref"].expected * math.log(2) == pytest.approx(expected_nats, rel=0.1)


def test_a_real_shift_is_detected_and_a_trivial_one_on_a_small_window_is_not() -> None:
    rng = np.random.default_rng(11)
    law = _law(10, 1.0)
    shifted = np.roll(law, 1)
    ref = rng.multinomial(20_000, law)
    assert compare(ref, rng.multinomial(2_000, shifted)).p_value < 1e-6
    nudged = law * (1 + 0.01 * np.arange(10))
    assert compare(ref, rng.multinomial(150, nudged / nudged.sum())).p_value > 0.01


def test_p_values_are_reproducible_for_the_same_counts() -> None:
    ref = np.array([30, 20, 25, 10, 15, 0])
    live = np.array([12, 30, 20, 18, 19, 1])
    first, second = compare(ref, live), compare(ref, live)
    assert first.calibration_method == "simulation"
    assert first.null == second.null


def test_simulated_p_values_are_uniform_under_no_drift() -> None:
    rng = np.random.default_rng(5)
    law = _law(8, 2.0)
    p_values = [
        compare(rng.multinomial(300, law), rng.multinomial(200, law), n_simulations=200).p_value
        for _ in range(400)
    ]
    assert stats.kstest(p_values, "uniform").pvalue > 0.01


def test_everything_in_one_bin_is_degenerate_not_an_alarm() -> None:
    levels, method = calibrate(
        np.array([500, 0, 0]),
        np.array([300, 0, 0]),
        _observed(np.array([500, 0, 0]), np.array([300, 0, 0])),
        alpha=0.5,
    )
    assert method == "degenerate"
    assert all(level.p_value == 1.0 for level in levels.values())


def test_windows_below_min_samples_are_insufficient_data() -> None:
    ref = np.array([500, 400, 100])
    assert compare(ref, np.array([10, 5, 4])).status == "insufficient_data"
    assert compare(ref, np.array([10, 5, 5])).status == "ok"
    assert compare(ref, np.array([4, 3, 1]), min_samples=5).status == "ok"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"quantile": 1.0}, "null quantile"),
        ({"n_simulations": 10}, "n_simulations"),
        ({"method": "bootstrap"}, "calibration method"),
    ],
)
def test_bad_calibration_settings_are_refused(kwargs: dict[str, object], message: str) -> None:
    ref, live = np.array([5, 5, 5]), np.array([5, 6, 4])
    with pytest.raises(ValueError, match=message):
        calibrate(ref, live, _observed(ref, live), alpha=0.5, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("df", [1, 2, 9, 19, 49, 199])
def test_chi_square_law_is_scipy_stats_chi2_to_the_bit(df: int) -> None:
    # The analytic path uses scipy.special directly (scipy.stats costs a second of import time).
    for q in (0.5, 0.9, 0.95, 0.99, 0.999):
        assert _chi2_ppf(q, df) == stats.chi2.ppf(q, df)


# --- p-values beyond the simulation's resolution --------------------------------------------------

TAIL_CASES = [(11, 5000, 30), (11, 300, 100), (30, 1000, 60), (3, 200, 40)]
# js_divergence's tail is close to a scaled chi-square; KL and PSI have heavier ones.
TAIL_FACTOR = {"js_divergence": 3.0, "js_distance": 3.0, "hellinger": 4.0, "kl_live_ref": 4.0}


@pytest.mark.slow
@pytest.mark.parametrize(("n_bins", "n_ref", "n_live"), TAIL_CASES)
def test_tail_p_values_agree_with_a_200000_permutation_reference(
    n_bins: int, n_ref: int, n_live: int
) -> None:
    rng = np.random.default_rng(n_bins * n_ref + n_live)
    law = rng.dirichlet(np.full(n_bins, 2.0))
    ref = rng.multinomial(n_ref, law)
    pooled = ref + rng.multinomial(n_live, law)
    draws = np.random.default_rng(1).multivariate_hypergeometric(
        pooled, n_live, size=200_000, method="marginals"
    )
    reference = statistics_matrix(smooth(pooled - draws, 0.5), smooth(draws, 0.5))
    for name, factor in TAIL_FACTOR.items():
        order = np.argsort(reference[name])
        for level in (1e-3, 1e-4):
            i = int(order[int(len(order) * (1 - level))])
            obs = reference[name][i]
            # The true tail at this value: discrete windows tie, so it can differ from `level`.
            true = float(np.mean(reference[name] >= obs * (1 - 1e-12)))
            got = compare(pooled - draws[i], draws[i]).null[name].p_value
            assert true / factor <= got <= true * factor, (name, level, true, got)


def test_extreme_drift_gets_p_values_far_below_the_simulations_floor_and_in_order() -> None:
    ref = np.array([40, 30, 20, 10, 5, 5, 10, 20, 30, 40])
    p_values = [
        compare(ref, np.array([4, 3, 2, 1, 0, 0, 1, 2, 3, 4]) + shift * np.eye(10, dtype=np.int64)[4]).p_value
        for shift in (20, 30, 40)
    ]
    assert all(p < 1e-3 for p in p_values)  # 1,000 permutations alone stop near 1e-3
    assert p_values[0] > p_values[1] > p_values[2]


def test_the_same_counts_give_the_same_p_value_whatever_else_is_asked() -> None:
    # Seeds come from the counts and alpha only: two monitors watching identical data agree.
    ref = np.array([30, 20, 25, 10, 15, 4])
    live = np.array([12, 30, 20, 18, 19, 1])
    one = compare(ref, live, labels=tuple("abcdef"))
    other = compare(ref.copy(), live.copy(), labels=tuple("uvwxyz"), top_k=2)
    assert one.calibration_method == "simulation"
    assert one.null == other.null
    assert compare(ref, live, alpha=1.0).null != one.null
