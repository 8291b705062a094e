"""Properties of the alert state machine over random rules and window sequences (hypothesis)."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Literal

from hypothesis import given, settings
from hypothesis import strategies as st

from driftmon.alerts import AlertRule, AlertState, Severity, WindowScore, evaluate
from tests.alerts.helpers import HOUR, START

ScoreStatus = Literal["ok", "insufficient_data"]


@dataclass(frozen=True)
class Window:
    value: float
    p_value: float
    n_live: int
    sufficient_status: bool
    noise: float = math.nan


@st.composite
def rules(draw: st.DrawFn, *, band: bool = True, gate: bool | None = None) -> AlertRule:
    """Draw a valid rule: one or both thresholds, an optional hysteresis band, any streak length."""
    has_warning, has_critical = draw(st.sampled_from([(True, True), (True, False), (False, True)]))
    low = draw(st.floats(0.0, 1.0))
    high = low + draw(st.floats(0.0, 1.0))
    warning = low if has_warning else None
    critical = (high if has_warning else low) if has_critical else None
    resolve = low * draw(st.floats(0.0, 1.0)) if band and draw(st.booleans()) else None
    noise: dict[str, float | int] = {}
    if draw(st.booleans()):  # levels that also scale with each window's noise
        multiple = draw(st.floats(0.0, 5.0))
        noise = {"warning_noise": multiple} if has_warning else {"critical_noise": multiple}
        if has_warning and has_critical:
            noise["critical_noise"] = multiple + draw(st.floats(0.0, 5.0))
        noise["critical_for_windows"] = draw(st.integers(1, 4))
    return AlertRule(
        "js_divergence",
        warning=warning,
        critical=critical,
        resolve=resolve,
        for_windows=draw(st.integers(1, 4)),
        require_significance=draw(st.booleans()) if gate is None else gate,
        significance_level=draw(st.sampled_from([0.01, 0.05])),
        min_samples=100,
        **noise,  # type: ignore[arg-type]
    )


def windows_for(rule: AlertRule) -> st.SearchStrategy[list[Window]]:
    """Draw windows whose values sit on, around and far from the rule's levels."""
    levels = [
        x for x in (rule.warning, rule.critical, rule.resolve, rule.levels().critical_exit) if x is not None
    ]
    near = [v + d for v in levels for d in (-1e-9, 0.0, 1e-9) if v + d >= 0]
    value = st.one_of(st.sampled_from(near), st.floats(0.0, 3.0), st.sampled_from([math.nan, math.inf]))
    p_value = st.sampled_from([1e-12, 0.001, 0.01, 0.0499, 0.05, 0.5, 1.0, math.nan])
    noise = st.sampled_from([math.nan, 0.0, 0.001, 0.05, 0.3])
    window = st.builds(Window, value, p_value, st.sampled_from([0, 99, 100, 5000]), st.booleans(), noise)
    return st.lists(window, max_size=40)


def score(i: int, w: Window) -> WindowScore:
    status: ScoreStatus = "ok" if w.sufficient_status else "insufficient_data"
    return WindowScore(
        w.value, w.p_value, w.n_live, status, START + i * HOUR, START + (i + 1) * HOUR, w.noise
    )


def is_evidence(rule: AlertRule, w: Window) -> bool:
    return w.sufficient_status and w.n_live >= rule.min_samples and not math.isnan(w.value)


def breaches(rule: AlertRule, level: Severity, w: Window) -> bool:
    levels = rule.levels(w.noise)
    threshold = levels.warning if level == Severity.WARNING else levels.critical
    if threshold is None or not w.value >= threshold:
        return False
    return not rule.require_significance or w.p_value < rule.significance_level


def recovered(rule: AlertRule, w: Window) -> bool:
    """Return whether a window is evidence that the drift has gone: small, or no longer significant."""
    resolve = rule.levels(w.noise).resolve
    return w.value < resolve or (rule.require_significance and not w.p_value < rule.significance_level)


def below_critical_exit(rule: AlertRule, w: Window) -> bool:
    exit_level = rule.levels(w.noise).critical_exit
    assert exit_level is not None
    return recovered(rule, w) or w.value < exit_level


@st.composite
def rule_and_windows(
    draw: st.DrawFn, *, band: bool = True, gate: bool | None = None
) -> tuple[AlertRule, list[Window]]:
    rule = draw(rules(band=band, gate=gate))
    return rule, draw(windows_for(rule))


@settings(max_examples=400)
@given(rule_and_windows())
def test_every_transition_is_backed_by_for_windows_consecutive_windows_of_evidence(
    case: tuple[AlertRule, list[Window]],
) -> None:
    rule, windows = case
    n = rule.for_windows
    streak = {Severity.WARNING: n, Severity.CRITICAL: rule.critical_windows}
    state = AlertState()
    evidence: list[Window] = []
    for i, w in enumerate(windows):
        new, transition = evaluate(rule, state, score(i, w))
        if is_evidence(rule, w):
            evidence.append(w)
        else:
            assert transition is None
            assert new.severity == state.severity

        def last(k: int) -> list[Window] | None:
            return evidence[-k:] if len(evidence) >= k else None

        if transition is not None:
            assert evidence
            assert evidence[-1] is w
            assert new.since == START + (i + 1) * HOUR
            if transition.severity > transition.previous:
                backing = last(streak[transition.severity])
                assert backing is not None, "fired before its streak of evidence"
                assert all(breaches(rule, transition.severity, x) for x in backing)
            else:
                backing = last(n)
                assert backing is not None, "cleared before for_windows windows of evidence"
                check = recovered if transition.severity == Severity.OK else below_critical_exit
                assert all(check(rule, x) for x in backing)
        else:
            assert new.severity == state.severity
        # Liveness: enough consecutive evidence always moves the alert.
        for level in (Severity.WARNING, Severity.CRITICAL):
            backing = last(streak[level])
            if backing is not None and all(breaches(rule, level, x) for x in backing):
                assert new.severity >= level
        backing = last(n)
        if backing is not None:
            if all(recovered(rule, x) for x in backing):
                assert new.severity == Severity.OK
            has_critical = rule.critical is not None or rule.critical_noise is not None
            if has_critical and all(below_critical_exit(rule, x) for x in backing):
                assert new.severity <= Severity.WARNING
        state = new


@st.composite
def states(draw: st.DrawFn) -> AlertState:
    count = st.integers(0, 10)
    return AlertState(
        severity=draw(st.sampled_from(list(Severity))),
        since=draw(st.sampled_from([None, START - HOUR])),
        above_warning=draw(count),
        above_critical=draw(count),
        below_critical_exit=draw(count),
        below_resolve=draw(count),
        last_value=draw(st.none() | st.floats(0, 5)),
        last_p_value=draw(st.none() | st.floats(0, 1)),
        last_window_end=None,
    )


@given(rules(), states(), st.lists(st.tuples(st.floats(allow_nan=True), st.integers(0, 10**6)), max_size=30))
def test_windows_without_enough_data_never_change_the_state(
    rule: AlertRule, start: AlertState, gaps: list[tuple[float, int]]
) -> None:
    state = start
    for i, (value, n_live) in enumerate(gaps):
        gap = WindowScore(value, 0.0, n_live, "insufficient_data", START + i * HOUR, START + (i + 1) * HOUR)
        state, transition = evaluate(rule, state, gap)
        assert transition is None
    expected = (
        start if not gaps else AlertState(**{**start.__dict__, "last_window_end": START + len(gaps) * HOUR})
    )
    assert state == expected


def level_of(rule: AlertRule, value: float) -> Severity:
    if rule.critical is not None and value >= rule.critical:
        return Severity.CRITICAL
    if rule.warning is not None and value >= rule.warning:
        return Severity.WARNING
    return Severity.OK


@settings(max_examples=300)
@given(rule_and_windows(band=False, gate=False))
def test_one_window_and_no_band_makes_the_state_track_the_thresholds(
    case: tuple[AlertRule, list[Window]],
) -> None:
    rule, windows = case
    rule = AlertRule(rule.statistic, rule.warning, rule.critical, require_significance=False, for_windows=1)
    state = AlertState()
    for i, w in enumerate(windows):
        before = state.severity
        state, _ = evaluate(rule, state, score(i, w))
        expected = level_of(rule, w.value) if is_evidence(rule, w) else before
        assert state.severity == expected, (w, rule)


@given(rule_and_windows())
def test_the_state_round_trips_through_json_after_every_window(case: tuple[AlertRule, list[Window]]) -> None:
    rule, windows = case
    state = AlertState()
    for i, w in enumerate(windows):
        state, _ = evaluate(rule, state, score(i, w))
        text = json.dumps(state.to_dict(), allow_nan=False)
        assert AlertState.from_dict(json.loads(text)) == state
