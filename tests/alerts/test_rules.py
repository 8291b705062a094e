"""Window scores: validation with clear errors, and scores built from core comparisons."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import datetime

import numpy as np
import pytest

from driftmon.alerts import AlertRule, Severity, WindowScore, WindowScoreError, evaluate
from driftmon.core import compare
from tests.alerts.helpers import HOUR, START

# --- scores -------------------------------------------------------------------------------------


def test_score_validation_names_the_window_and_the_field() -> None:
    naive = datetime(2024, 3, 1)
    with pytest.raises(WindowScoreError, match=r"window_start must be a timezone-aware datetime"):
        WindowScore(0.1, 0.5, 10, "ok", naive, START)
    with pytest.raises(WindowScoreError, match=r"window_end must be after window_start"):
        WindowScore(0.1, 0.5, 10, "ok", START, START)
    with pytest.raises(WindowScoreError, match=r"status must be 'ok' or 'insufficient_data', got 'bad'"):
        WindowScore(0.1, 0.5, 10, "bad", START, START + HOUR)  # type: ignore[arg-type]
    with pytest.raises(WindowScoreError, match=r"n_live must be a non-negative integer, got -1"):
        WindowScore(0.1, 0.5, -1, "ok", START, START + HOUR)
    with pytest.raises(WindowScoreError, match=r"value must be a number"):
        WindowScore(None, 0.5, 1, "ok", START, START + HOUR)  # type: ignore[arg-type]


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
    with pytest.raises(WindowScoreError, match=r"unknown statistic 'kl'"):
        WindowScore.from_comparison(comparison, "kl", START, START + HOUR)


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
