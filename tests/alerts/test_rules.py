"""Window scores built from core comparisons, and the alerts they raise."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from driftmon.alerts import AlertRule, Severity, WindowScore, evaluate
from driftmon.core import compare
from tests.alerts.helpers import HOUR, START

# --- scores -------------------------------------------------------------------------------------


def test_score_from_a_core_comparison_uses_that_statistics_own_p_value() -> None:
    reference = np.array([500, 300, 200])
    live = np.array([200, 300, 500])
    comparison = compare(reference, live, seed=1)
    score = WindowScore.from_comparison(comparison, "psi", START, START + HOUR)
    assert score.value == comparison.psi
    assert score.p_value == comparison.null["psi"].p_value
    assert (score.n_live, score.status) == (1000, "ok")
    empty = compare(reference, np.zeros(3, dtype=np.int64))
    score = WindowScore.from_comparison(empty, "js_divergence", START, START + HOUR)
    assert score.status == "insufficient_data"
    assert math.isnan(score.value)
    assert math.isnan(score.p_value)


def test_a_drifted_comparison_fires_and_a_tiny_window_does_not() -> None:
    rule = AlertRule("js_divergence", warning=0.01, critical=0.05, for_windows=1)
    reference = np.array([5000, 3000, 2000])
    drifted = compare(reference, np.array([2000, 3000, 5000]), seed=2)
    state, transition = evaluate(
        rule, None, WindowScore.from_comparison(drifted, "js_divergence", START, START + HOUR)
    )
    assert state.severity == Severity.CRITICAL
    assert transition is not None
    # Ten values shifted just as far: the statistic is big but the window proves nothing.
    tiny = compare(reference, np.array([2, 3, 5]), seed=2, min_samples=1)
    tiny_score = WindowScore.from_comparison(tiny, "js_divergence", START, START + HOUR)
    assert tiny_score.value >= 0.05
    state, transition = evaluate(replace(rule, min_samples=1), None, tiny_score)
    assert (state.severity, transition) == (Severity.OK, None)
