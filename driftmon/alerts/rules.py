"""The alert state machine: levels set by effect size and noise, a significance gate, streaks, hysteresis.

Pure: no I/O and no clock. Time enters only through the windows being evaluated.

Each level (warning, critical, resolve) of a window is the larger of a fixed threshold and a
multiple of that window's no-drift noise level (the statistic's 99% no-drift quantile for the
window's sample sizes), so a small window needs a larger effect than a large one, and a huge
window never pages on trivia below the fixed floor. Either part may be left out.

A window *breaches* level L when its statistic is at or above L and, if the rule requires
significance, its no-drift p-value is below the significance level. An alert fires to warning
after `for_windows` consecutive windows breaching warning, and to critical (directly, or
escalating) after `critical_for_windows` consecutive windows breaching critical: a large effect
may page on its first window while a small one needs persistence. A window is evidence of
recovery when its statistic is below the resolve level or, with the significance gate on, it is
no longer significant; `for_windows` consecutive such windows clear the alert. Critical drops to
warning after `for_windows` windows below its exit: the critical level lowered by the hysteresis
band `warning - resolve`, never below warning. A window with too little data (status
insufficient_data, fewer than `min_samples` live values, or a NaN statistic) is no evidence
either way: it changes no severity and no streak.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Literal

from driftmon.alerts.errors import WindowOrderError
from driftmon.alerts.state import AlertState, Severity, Transition
from driftmon.config import DEFAULT_SIGNIFICANCE_LEVEL
from driftmon.core import DEFAULT_MIN_SAMPLES, Comparison

DEFAULT_FOR_WINDOWS = 1
ScoreStatus = Literal["ok", "insufficient_data"]


@dataclass(frozen=True)
class Levels:
    """One window's effective levels for a rule: each fixed threshold or noise multiple, the larger."""

    warning: float | None
    critical: float | None
    resolve: float
    critical_exit: float | None

    def threshold(self, severity: Severity) -> float | None:
        if severity == Severity.CRITICAL:
            return self.critical
        return self.warning if severity == Severity.WARNING else None


@dataclass(frozen=True)
class AlertRule:
    """Alert settings for one statistic of one column.

    `warning`, `critical` and `resolve` are fixed levels in the statistic's unit; the `_noise`
    keys are multiples of the window's no-drift noise level. A level is the larger of its two
    parts; `resolve` (and `resolve_noise`) default to the lowest level set.
    `critical_for_windows` defaults to `for_windows`.
    """

    statistic: str
    warning: float | None = None
    critical: float | None = None
    resolve: float | None = None
    for_windows: int = DEFAULT_FOR_WINDOWS
    require_significance: bool = True
    significance_level: float = DEFAULT_SIGNIFICANCE_LEVEL
    min_samples: int = DEFAULT_MIN_SAMPLES
    warning_noise: float | None = None
    critical_noise: float | None = None
    resolve_noise: float | None = None
    critical_for_windows: int | None = None

    def __post_init__(self) -> None:
        # The config has validated the settings (levels in order, counts >= 1): only defaults here.
        for suffix in ("", "_noise"):
            if getattr(self, "resolve" + suffix) is None:
                low, high = getattr(self, "warning" + suffix), getattr(self, "critical" + suffix)
                object.__setattr__(self, "resolve" + suffix, low if low is not None else high)
        if self.critical_for_windows is None:
            object.__setattr__(self, "critical_for_windows", self.for_windows)

    @property
    def critical_windows(self) -> int:
        """Return the consecutive critical windows that fire (or escalate to) critical."""
        assert self.critical_for_windows is not None  # filled in by __post_init__
        return self.critical_for_windows

    def levels(self, noise: float = math.nan) -> Levels:
        """Return the levels in force for a window whose no-drift noise level is `noise` (NaN: none)."""
        scale = noise if math.isfinite(noise) and noise > 0 else 0.0

        def level(fixed: float | None, multiple: float | None) -> float | None:
            if fixed is None and multiple is None:
                return None
            return max(fixed or 0.0, (multiple or 0.0) * scale)

        warning = level(self.warning, self.warning_noise)
        critical = level(self.critical, self.critical_noise)
        if warning is not None and critical is not None:
            critical = max(critical, warning)  # a noise-scaled warning may pass a fixed critical
        lowest = warning if warning is not None else critical
        assert lowest is not None  # the config gives every rule a warning or a critical level
        resolve = min(level(self.resolve, self.resolve_noise) or 0.0, lowest)
        if critical is None:
            critical_exit = None
        elif warning is None:
            critical_exit = resolve
        else:
            critical_exit = max(warning, critical - (warning - resolve))
        return Levels(warning, critical, resolve, critical_exit)

    def significant(self, score: WindowScore) -> bool:
        """Return whether the window passes the significance gate (always, with the gate off)."""
        return not self.require_significance or score.p_value < self.significance_level

    def breaches(self, severity: Severity, score: WindowScore, levels: Levels) -> bool:
        """Return whether a window with enough data breaches `severity`'s level among `levels`."""
        threshold = levels.threshold(severity)
        if threshold is None or not score.value >= threshold:  # NaN compares false: never a breach
            return False
        return self.significant(score)

    def has_enough_data(self, score: WindowScore) -> bool:
        """Return whether the window counts as evidence at all."""
        return score.status == "ok" and score.n_live >= self.min_samples and not math.isnan(score.value)


@dataclass(frozen=True)
class WindowScore:
    """One window's value of one statistic, its no-drift p-value, live count and status from core."""

    value: float
    p_value: float
    n_live: int
    status: ScoreStatus
    window_start: datetime
    window_end: datetime
    noise: float = math.nan
    """The statistic's no-drift noise level for this window (its 99% no-drift quantile); NaN: unknown."""

    @classmethod
    def from_comparison(
        cls, comparison: Comparison, statistic: str, window_start: datetime, window_end: datetime
    ) -> WindowScore:
        """Return the score of `statistic` in a core comparison, with that statistic's own p-value."""
        null = comparison.null.get(statistic)
        return cls(
            value=float(getattr(comparison, statistic)),
            p_value=float(null.p_value) if null is not None else math.nan,
            n_live=comparison.n_live,
            status=comparison.status,
            window_start=window_start,
            window_end=window_end,
            noise=float(null.quantile) if null is not None else math.nan,
        )


def evaluate(
    rule: AlertRule, previous: AlertState | None, score: WindowScore
) -> tuple[AlertState, Transition | None]:
    """Return the state after one more window and the transition it caused, if any."""
    state = previous if previous is not None else AlertState()
    if state.last_window_end is not None and score.window_end <= state.last_window_end:
        raise WindowOrderError(
            f"alert on {rule.statistic!r}: window [{score.window_start.isoformat()}, "
            f"{score.window_end.isoformat()}) does not end after the last evaluated window "
            f"(ended {state.last_window_end.isoformat()}); each window is evaluated once, in order"
        )
    if not rule.has_enough_data(score):
        return replace(state, last_window_end=score.window_end), None

    value = score.value
    levels = rule.levels(score.noise)
    recovered = value < levels.resolve or not rule.significant(score)
    critical_exit = levels.critical_exit
    counted = replace(
        state,
        above_warning=state.above_warning + 1 if rule.breaches(Severity.WARNING, score, levels) else 0,
        above_critical=state.above_critical + 1 if rule.breaches(Severity.CRITICAL, score, levels) else 0,
        below_critical_exit=(
            state.below_critical_exit + 1
            if critical_exit is not None and (recovered or value < critical_exit)
            else 0
        ),
        below_resolve=state.below_resolve + 1 if recovered else 0,
        last_value=value if math.isfinite(value) else None,
        last_p_value=score.p_value if math.isfinite(score.p_value) else None,
        last_window_end=score.window_end,
    )
    target, threshold = _target(rule, levels, counted)
    if target == state.severity:
        return counted, None
    moved = replace(counted, severity=target, since=score.window_end)
    transition = Transition(
        statistic=rule.statistic,
        previous=state.severity,
        severity=target,
        value=value,
        threshold=threshold,
        p_value=score.p_value,
        n_live=score.n_live,
        window_start=score.window_start,
        window_end=score.window_end,
    )
    return moved, transition


def _target(rule: AlertRule, levels: Levels, state: AlertState) -> tuple[Severity, float]:
    """Return the severity the streaks call for and the level crossed to get there."""
    n = rule.for_windows
    current = state.severity
    if (
        levels.critical is not None
        and state.above_critical >= rule.critical_windows
        and current < Severity.CRITICAL
    ):
        return Severity.CRITICAL, levels.critical
    if levels.warning is not None and state.above_warning >= n and current < Severity.WARNING:
        return Severity.WARNING, levels.warning
    if current > Severity.OK and state.below_resolve >= n:
        return Severity.OK, levels.resolve
    if current == Severity.CRITICAL and levels.critical_exit is not None and state.below_critical_exit >= n:
        return Severity.WARNING, levels.critical_exit
    return current, math.nan
