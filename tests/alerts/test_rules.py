"""Alert rules and window scores: validation with clear errors, and scores built from core comparisons."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import datetime

import numpy as np
import pytest

from driftmon.alerts import AlertRule, AlertRuleError, Severity, WindowScore, WindowScoreError, evaluate
from driftmon.core import compare
from tests.alerts.helpers import HOUR, START

# --- rule validation ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"statistic": "kl"}, r"'kl'.*unknown statistic; expected one of kl_live_ref"),
        ({}, r"set a warning or a critical threshold"),
        ({"warning": 0.3, "critical": 0.2}, r"warning \(0.3\) must not be above critical \(0.2\)"),
        ({"warning": 0.1, "resolve": 0.2}, r"resolve \(0.2\) must not be above warning \(0.1\)"),
        ({"critical": 0.1, "resolve": 0.2}, r"resolve \(0.2\) must not be above critical \(0.1\)"),
        ({"warning": -0.1}, r"warning must be a finite number >= 0, got -0.1"),
        ({"warning": math.nan}, r"warning must be a finite number >= 0, got nan"),
        ({"critical": math.inf}, r"critical must be a finite number >= 0, got inf"),
        ({"warning": "0.1"}, r"warning must be a finite number >= 0, got '0.1'"),
        ({"warning": True}, r"warning must be a finite number"),
        ({"warning": 0.1, "for_windows": 0}, r"for_windows must be a whole number >= 1, got 0"),
        ({"warning": 0.1, "for_windows": 2.0}, r"for_windows must be a whole number >= 1, got 2.0"),
        ({"warning": 0.1, "min_samples": 0}, r"min_samples must be a whole number >= 1, got 0"),
        ({"warning": 0.1, "significance_level": 0}, r"significance_level must be strictly between 0 and 1"),
        ({"warning": 0.1, "significance_level": 1.0}, r"significance_level must be strictly between 0 and 1"),
        ({"warning": 0.1, "require_significance": "yes"}, r"require_significance must be true or false"),
    ],
)
def test_bad_rules_are_refused_with_the_statistic_and_the_reason(
    kwargs: dict[str, object], message: str
) -> None:
    args: dict[str, object] = {"statistic": "psi", **kwargs}
    with pytest.raises(AlertRuleError, match=message) as info:
        AlertRule(**args)  # type: ignore[arg-type]
    assert isinstance(info.value, ValueError)
    assert info.value.statistic == args["statistic"]


def test_rule_numbers_are_normalised_to_float() -> None:
    rule = AlertRule("hellinger", warning=1, critical=2)
    assert isinstance(rule.warning, float)
    assert isinstance(rule.resolve, float)


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
