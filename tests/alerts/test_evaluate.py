"""The alert state machine, scenario by scenario: firing, streaks, hysteresis, gaps, the significance gate."""

from __future__ import annotations

import math

import pytest

from driftmon.alerts import (
    AlertRule,
    AlertState,
    Severity,
    WindowOrderError,
    WindowScore,
    evaluate,
)
from tests.alerts.helpers import GAP, HOUR, INSIGNIFICANT, SIGNIFICANT, START, gap, levels, replay, window

RULE = AlertRule("psi", warning=0.1, critical=0.25, resolve=0.05, for_windows=3)


# --- firing after N consecutive windows ---------------------------------------------------------


def test_fires_warning_on_the_nth_breaching_window_not_before() -> None:
    severities, transitions, _ = replay(RULE, [0.12, 0.15, 0.11, 0.13])
    assert severities == levels("ooww")
    [fired] = transitions
    assert fired.kind == "fired"
    assert (fired.previous, fired.severity) == (Severity.OK, Severity.WARNING)
    assert fired.value == 0.11
    assert fired.threshold == 0.1
    assert fired.p_value == SIGNIFICANT
    assert fired.n_live == 1000
    assert (fired.window_start, fired.window_end) == (START + 2 * HOUR, START + 3 * HOUR)
    assert fired.statistic == "psi"


def test_a_non_breaching_window_resets_the_pending_count() -> None:
    severities, transitions, state = replay(RULE, [0.12, 0.15, 0.09, 0.12, 0.12])
    assert severities == levels("ooooo")
    assert transitions == []
    assert state.above_warning == 2
    severities, _, _ = replay(RULE, [0.12], state=state, first=5)
    assert severities == levels("w")


def test_at_exactly_the_threshold_is_a_breach() -> None:
    severities, _, _ = replay(RULE, [0.1, 0.1, 0.1])
    assert severities == levels("oow")


def test_for_windows_one_fires_at_once() -> None:
    rule = AlertRule("psi", warning=0.1, critical=0.25, for_windows=1)
    severities, _, _ = replay(rule, [0.05, 0.3])
    assert severities == levels("oc")


def test_fires_critical_directly_after_n_critical_windows() -> None:
    severities, transitions, _ = replay(RULE, [0.3, 0.4, 0.5])
    assert severities == levels("ooc")
    [fired] = transitions
    assert (fired.previous, fired.severity, fired.kind, fired.threshold) == (
        Severity.OK,
        Severity.CRITICAL,
        "fired",
        0.25,
    )


def test_mixed_warning_and_critical_windows_fire_the_level_all_of_them_reach() -> None:
    severities, _, _ = replay(RULE, [0.3, 0.12, 0.3])
    assert severities == levels("oow")


# --- escalation and de-escalation ---------------------------------------------------------------


def test_escalates_after_n_critical_windows_counting_those_before_firing() -> None:
    # The critical streak started before the warning fired: 0.3 at windows 2, 3, 4.
    severities, transitions, _ = replay(RULE, [0.12, 0.12, 0.3, 0.3, 0.3])
    assert severities == levels("oowwc")
    assert [t.kind for t in transitions] == ["fired", "escalated"]
    escalated = transitions[1]
    assert (escalated.previous, escalated.severity, escalated.threshold) == (
        Severity.WARNING,
        Severity.CRITICAL,
        0.25,
    )


def test_escalation_needs_consecutive_critical_windows() -> None:
    severities, _, _ = replay(RULE, [0.12, 0.12, 0.12, 0.3, 0.3, 0.2, 0.3, 0.3])
    assert severities == levels("oowwwwww")


def test_critical_exit_is_the_threshold_lowered_by_the_hysteresis_band() -> None:
    assert RULE.levels().critical_exit == pytest.approx(0.25 - (0.1 - 0.05))
    wide = AlertRule("psi", warning=0.1, critical=0.12, resolve=0.02)
    assert wide.levels().critical_exit == 0.1  # never below warning
    critical_only = AlertRule("psi", critical=0.3, resolve=0.1)
    assert critical_only.levels().critical_exit == 0.1
    assert AlertRule("psi", warning=0.1).levels().critical_exit is None


def test_de_escalates_after_n_windows_below_the_critical_exit() -> None:
    _, _, critical = replay(RULE, [0.3, 0.3, 0.3])
    assert critical.severity == Severity.CRITICAL
    # 0.22 is below critical (0.25) but inside the band (exit 0.2): it stays critical.
    severities, transitions, _ = replay(RULE, [0.22, 0.22, 0.15, 0.15, 0.15], state=critical, first=3)
    assert severities == levels("ccccw")
    [down] = transitions
    assert down.kind == "de-escalated"
    assert (down.previous, down.severity) == (Severity.CRITICAL, Severity.WARNING)
    assert down.threshold == pytest.approx(0.2)
    assert down.value == 0.15


def test_critical_resolves_straight_to_ok_when_the_value_drops_below_resolve() -> None:
    _, _, critical = replay(RULE, [0.3, 0.3, 0.3])
    severities, transitions, _ = replay(RULE, [0.01, 0.01, 0.01], state=critical, first=3)
    assert severities == levels("cco")
    [resolved] = transitions
    assert (resolved.kind, resolved.previous, resolved.threshold) == ("resolved", Severity.CRITICAL, 0.05)
    assert resolved.event_state == "resolved"
    assert resolved.event_severity == "critical"


# --- hysteresis and resolution ------------------------------------------------------------------


def test_values_between_resolve_and_warning_keep_the_alert_firing() -> None:
    _, _, warning = replay(RULE, [0.12, 0.12, 0.12])
    severities, transitions, _ = replay(RULE, [0.08, 0.06, 0.09, 0.05, 0.07] * 4, state=warning, first=3)
    assert set(severities) == {Severity.WARNING}
    assert transitions == []


def test_resolves_after_n_consecutive_windows_below_resolve() -> None:
    _, _, warning = replay(RULE, [0.12, 0.12, 0.12])
    severities, transitions, state = replay(
        RULE, [0.04, 0.04, 0.07, 0.04, 0.01, 0.03], state=warning, first=3
    )
    assert severities == levels("wwwwwo")
    [resolved] = transitions
    assert (resolved.kind, resolved.previous, resolved.severity) == (
        "resolved",
        Severity.WARNING,
        Severity.OK,
    )
    assert resolved.threshold == 0.05
    assert state.since == START + 9 * HOUR


def test_resolving_needs_no_significance_only_a_small_value() -> None:
    _, _, warning = replay(RULE, [0.12, 0.12, 0.12])
    severities, _, _ = replay(RULE, [(0.01, INSIGNIFICANT)] * 3, state=warning, first=3)
    assert severities == levels("wwo")


def test_an_insignificant_window_is_evidence_of_recovery_however_large_its_value() -> None:
    # A small window's noise can keep its statistic above the resolve level for ever; once the
    # drift is no longer significant the evidence has gone, and the alert clears.
    _, _, warning = replay(RULE, [0.12, 0.12, 0.12])
    severities, _, _ = replay(RULE, [0.01, 0.01, (0.5, INSIGNIFICANT)], state=warning, first=3)
    assert severities == levels("wwo")


def test_a_large_significant_value_breaks_the_resolve_streak() -> None:
    _, _, warning = replay(RULE, [0.12, 0.12, 0.12])
    severities, _, _ = replay(RULE, [0.01, 0.01, 0.07, 0.01, 0.01], state=warning, first=3)
    assert severities == levels("wwwww")


def test_without_the_gate_an_insignificant_large_value_holds_the_alert() -> None:
    rule = AlertRule("psi", warning=0.1, resolve=0.05, for_windows=2, require_significance=False)
    severities, _, _ = replay(rule, [0.12, 0.12, (0.5, INSIGNIFICANT), (0.5, INSIGNIFICANT)])
    assert severities == levels("owww")


# --- levels relative to the window's noise ------------------------------------------------------

NOISY = AlertRule(
    "js_divergence",
    warning=0.001,
    critical=0.02,
    warning_noise=2.0,
    critical_noise=4.0,
    resolve_noise=1.0,
    for_windows=2,
    critical_for_windows=1,
)


def noisy(i: int, value: float, noise: float, p_value: float = SIGNIFICANT) -> WindowScore:
    return WindowScore(value, p_value, 1000, "ok", START + i * HOUR, START + (i + 1) * HOUR, noise)


def run(rule: AlertRule, scores: list[WindowScore]) -> list[Severity]:
    state: AlertState | None = None
    out = []
    for score in scores:
        state, _ = evaluate(rule, state, score)
        out.append(state.severity)
    return out


def test_each_level_is_the_larger_of_its_floor_and_its_noise_multiple() -> None:
    quiet = NOISY.levels(0.0001)  # a huge window: the floors decide
    assert (quiet.warning, quiet.critical, quiet.resolve) == (0.001, 0.02, pytest.approx(0.001))
    loud = NOISY.levels(0.01)  # a small window: its noise decides
    assert (loud.warning, loud.critical, loud.resolve) == (0.02, 0.04, 0.01)
    assert loud.critical_exit == pytest.approx(0.04 - (0.02 - 0.01))
    unknown = NOISY.levels(math.nan)
    assert (unknown.warning, unknown.critical) == (0.001, 0.02)


def test_a_value_above_the_floor_but_within_the_windows_noise_never_fires() -> None:
    scores = [noisy(i, 0.015, noise=0.01) for i in range(10)]
    assert run(NOISY, scores) == [Severity.OK] * 10


def test_a_small_effect_needs_persistence_and_a_large_one_fires_at_once() -> None:
    small = [noisy(0, 0.005, 0.001), noisy(1, 0.005, 0.001), noisy(2, 0.005, 0.001)]
    assert run(NOISY, small) == levels("oww")
    spike = [noisy(0, 0.07, 0.001), noisy(1, 0.0005, 0.001), noisy(2, 0.0005, 0.001)]
    assert run(NOISY, spike) == levels("cco")


def test_a_noise_scaled_warning_above_a_fixed_critical_lifts_critical_with_it() -> None:
    rule = AlertRule("js_divergence", warning=0.001, critical=0.02, warning_noise=3.0)
    levels_ = rule.levels(0.01)
    assert levels_.warning == levels_.critical == pytest.approx(0.03)


def test_a_noise_multiple_alone_sets_a_level() -> None:
    assert AlertRule("psi", warning_noise=2).levels(0.5).warning == 1.0


def test_without_a_band_resolve_defaults_to_the_lowest_threshold() -> None:
    rule = AlertRule("js_divergence", warning=0.1, critical=0.2)
    assert rule.resolve == rule.levels().resolve == 0.1
    assert rule.levels().critical_exit == 0.2
    severities, _, _ = replay(rule, [0.1, 0.0999, 0.2, 0.1999, 0.05])
    assert severities == levels("wocwo")


# --- insufficient data --------------------------------------------------------------------------


def test_insufficient_data_never_fires_whatever_its_value() -> None:
    rule = AlertRule("psi", warning=0.1, critical=0.25, for_windows=1)
    state = AlertState()
    for i in range(5):
        state, transition = evaluate(rule, state, gap(i, value=9.0))
        assert transition is None
    assert state.severity == Severity.OK


def test_fewer_live_values_than_min_samples_never_fires() -> None:
    rule = AlertRule("psi", warning=0.1, for_windows=1, min_samples=500)
    state, transition = evaluate(rule, None, window(0, 5.0, n_live=499))
    assert (state.severity, transition) == (Severity.OK, None)
    state, transition = evaluate(rule, state, window(1, 5.0, n_live=500))
    assert state.severity == Severity.WARNING
    assert transition is not None


def test_insufficient_data_holds_a_firing_alert_and_its_streaks() -> None:
    _, _, warning = replay(RULE, [0.12, 0.12, 0.12, 0.01, 0.01])
    assert warning.below_resolve == 2
    severities, transitions, held = replay(RULE, [GAP] * 10, state=warning, first=5)
    assert set(severities) == {Severity.WARNING}
    assert transitions == []
    assert held.below_resolve == 2
    assert held.last_window_end == START + 15 * HOUR
    # The gap neither confirmed nor refuted recovery: one more calm window resolves.
    severities, _, _ = replay(RULE, [0.01], state=held, first=15)
    assert severities == levels("o")


def test_insufficient_data_leaves_a_pending_streak_where_it_was() -> None:
    severities, _, _ = replay(RULE, [0.12, 0.12, GAP, GAP, 0.12])
    assert severities == levels("oooow")


def test_nan_statistic_is_not_evidence_even_with_status_ok() -> None:
    rule = AlertRule("psi", warning=0.1, for_windows=1, require_significance=False)
    state, transition = evaluate(rule, None, window(0, math.nan, p_value=0.0))
    assert (state.severity, transition, state.above_warning) == (Severity.OK, None, 0)


def test_infinite_statistic_breaches() -> None:
    rule = AlertRule("kl_live_ref", warning=0.1, for_windows=1)
    state, transition = evaluate(rule, None, window(0, math.inf))
    assert state.severity == Severity.WARNING
    assert transition is not None
    assert state.last_value is None  # not a storable number


# --- the significance gate ----------------------------------------------------------------------


def test_big_statistic_with_p_at_or_above_the_level_does_not_fire() -> None:
    rule = AlertRule("psi", warning=0.1, critical=0.25, for_windows=1, significance_level=0.01)
    for p in (0.01, 0.02, 0.9):
        state, transition = evaluate(rule, None, window(0, 5.0, p_value=p))
        assert (state.severity, transition) == (Severity.OK, None), p
    state, _ = evaluate(rule, None, window(0, 5.0, p_value=0.0099))
    assert state.severity == Severity.CRITICAL


def test_tiny_p_with_statistic_below_threshold_does_not_fire() -> None:
    rule = AlertRule("psi", warning=0.1, for_windows=1)
    state, transition = evaluate(rule, None, window(0, 0.0999, p_value=1e-300))
    assert (state.severity, transition) == (Severity.OK, None)


def test_nan_p_value_never_passes_the_gate() -> None:
    rule = AlertRule("psi", warning=0.1, for_windows=1)
    state, _ = evaluate(rule, None, window(0, 5.0, p_value=math.nan))
    assert state.severity == Severity.OK


def test_gate_off_fires_on_the_statistic_alone() -> None:
    rule = AlertRule("psi", warning=0.1, for_windows=1, require_significance=False)
    state, _ = evaluate(rule, None, window(0, 0.2, p_value=0.9))
    assert state.severity == Severity.WARNING


def test_an_insignificant_window_resets_the_pending_count() -> None:
    severities, _, _ = replay(RULE, [0.12, 0.12, (0.5, INSIGNIFICANT), 0.12, 0.12])
    assert severities == levels("ooooo")


# --- rules with one level -----------------------------------------------------------------------


def test_warning_only_rule_never_goes_critical() -> None:
    rule = AlertRule("psi", warning=0.1, for_windows=1)
    severities, _, _ = replay(rule, [0.2, 50.0, 0.01])
    assert severities == levels("wwo")


def test_critical_only_rule_skips_warning() -> None:
    rule = AlertRule("psi", critical=0.3, resolve=0.1, for_windows=2)
    severities, transitions, _ = replay(rule, [0.5, 0.5, 0.2, 0.2, 0.05, 0.05])
    assert severities == levels("occcco")
    assert [(t.previous, t.severity) for t in transitions] == [
        (Severity.OK, Severity.CRITICAL),
        (Severity.CRITICAL, Severity.OK),
    ]


# --- state bookkeeping --------------------------------------------------------------------------


def test_since_is_the_end_of_the_window_that_moved_the_severity() -> None:
    _, _, state = replay(RULE, [0.12, 0.12, 0.12, 0.12, 0.12])
    assert state.since == START + 3 * HOUR
    assert state.last_value == 0.12
    assert state.last_p_value == SIGNIFICANT
    assert state.last_window_end == START + 5 * HOUR


def test_the_same_window_twice_is_refused() -> None:
    state, _ = evaluate(RULE, None, window(0, 0.12))
    with pytest.raises(WindowOrderError, match=r"does not end after the last evaluated window"):
        evaluate(RULE, state, window(0, 0.12))
    with pytest.raises(WindowOrderError):
        evaluate(RULE, state, window(-1, 0.12))


def test_evaluate_does_not_mutate_the_previous_state() -> None:
    before = AlertState()
    after, _ = evaluate(AlertRule("psi", warning=0.1, for_windows=1), before, window(0, 1.0))
    assert before == AlertState()
    assert after.severity == Severity.WARNING


def test_state_survives_a_restart_mid_streak() -> None:
    _, _, state = replay(RULE, [0.12, 0.12])
    rebuilt = AlertState.from_dict(state.to_dict())
    severities, _, _ = replay(RULE, [0.12], state=rebuilt, first=2)
    assert severities == levels("w")


def test_the_worked_example_in_the_alerting_docs() -> None:
    rule = AlertRule("psi", warning=0.1, critical=0.25, resolve=0.05, for_windows=2, min_samples=500)
    assert rule.levels().critical_exit == pytest.approx(0.20)
    rows = [
        (0.04, 0.31, 8000),
        (0.35, 0.20, 600),
        (0.13, 1e-5, 7900),
        (0.14, 2e-6, 8100),
        (0.31, 1e-9, 120),
        (0.29, 1e-9, 7600),
        (0.33, 1e-12, 8200),
        (0.22, 1e-8, 8000),
        (0.18, 1e-7, 7800),
        (0.16, 1e-6, 7700),
        (0.08, 0.002, 8300),
        (0.04, 0.40, 8000),
        None,
        (0.03, 0.62, 8100),
    ]
    state = AlertState()
    severities, moves = [], []
    for i, row in enumerate(rows):
        score = gap(i) if row is None else window(i, row[0], row[1], n_live=row[2])
        state, transition = evaluate(rule, state, score)
        severities.append(state.severity)
        if transition is not None:
            moves.append((i + 1, transition.kind, round(transition.threshold, 12)))
    assert severities == levels("ooowwwcccwwwwo")
    assert moves == [
        (4, "fired", 0.1),
        (7, "escalated", 0.25),
        (10, "de-escalated", 0.2),
        (14, "resolved", 0.05),
    ]
