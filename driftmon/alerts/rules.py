"""The alert state machine: thresholds, a significance gate, consecutive windows and hysteresis.

Pure: no I/O and no clock. Time enters only through the windows being evaluated.

A window *breaches* level L when its statistic is at or above L's threshold and, if the rule
requires significance, its no-drift p-value is below the significance level. An alert fires
(or escalates) to the highest level breached by each of the last `for_windows` windows. It
leaves a level only after `for_windows` consecutive windows below that level's exit: the
`resolve` level for warning (and for clearing entirely), and for critical its threshold
lowered by the same hysteresis band, `critical - (warning - resolve)`, but never below
`warning`. Clearing needs the value only, not a p-value: a small statistic is evidence of
recovery however small the window. A window with too little data (status insufficient_data,
fewer than `min_samples` live values, or a NaN statistic) is no evidence either way: it
changes no severity and no streak.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Literal

from driftmon.alerts.errors import AlertRuleError, WindowOrderError, WindowScoreError
from driftmon.alerts.state import AlertState, Severity, Transition
from driftmon.core import DEFAULT_MIN_SAMPLES, STATISTICS, Comparison

__all__ = [
    "DEFAULT_FOR_WINDOWS",
    "DEFAULT_SIGNIFICANCE_LEVEL",
    "AlertRule",
    "WindowScore",
    "evaluate",
]

DEFAULT_FOR_WINDOWS = 1
DEFAULT_SIGNIFICANCE_LEVEL = 0.01
ScoreStatus = Literal["ok", "insufficient_data"]


@dataclass(frozen=True)
class AlertRule:
    """Alert settings for one statistic of one column; `resolve` defaults to the lowest threshold."""

    statistic: str
    warning: float | None = None
    critical: float | None = None
    resolve: float | None = None
    for_windows: int = DEFAULT_FOR_WINDOWS
    require_significance: bool = True
    significance_level: float = DEFAULT_SIGNIFICANCE_LEVEL
    min_samples: int = DEFAULT_MIN_SAMPLES

    def __post_init__(self) -> None:
        name = self.statistic
        if name not in STATISTICS:
            raise AlertRuleError(str(name), f"unknown statistic; expected one of {', '.join(STATISTICS)}")
        for key in ("warning", "critical", "resolve"):
            value = getattr(self, key)
            if value is not None:
                object.__setattr__(self, key, _level(name, key, value))
        if self.warning is None and self.critical is None:
            raise AlertRuleError(name, "set a warning or a critical threshold (or both)")
        if self.warning is not None and self.critical is not None and self.warning > self.critical:
            raise AlertRuleError(
                name, f"warning ({self.warning:g}) must not be above critical ({self.critical:g})"
            )
        lowest_key = "warning" if self.warning is not None else "critical"
        lowest = self.warning if self.warning is not None else self.critical
        assert lowest is not None
        if self.resolve is None:
            object.__setattr__(self, "resolve", lowest)
        elif self.resolve > lowest:
            raise AlertRuleError(
                name,
                f"resolve ({self.resolve:g}) must not be above {lowest_key} ({lowest:g}): "
                "it is the level an alert must fall below to clear",
            )
        _count(name, "for_windows", self.for_windows)
        _count(name, "min_samples", self.min_samples)
        if not isinstance(self.require_significance, bool):
            raise AlertRuleError(
                name, f"require_significance must be true or false, got {self.require_significance!r}"
            )
        level = self.significance_level
        if isinstance(level, bool) or not isinstance(level, int | float) or not 0 < level < 1:
            raise AlertRuleError(name, f"significance_level must be strictly between 0 and 1, got {level!r}")
        object.__setattr__(self, "significance_level", float(level))

    @property
    def resolve_level(self) -> float:
        """Return the level a warning (or any alert) must stay below to clear."""
        assert self.resolve is not None  # filled in by __post_init__
        return self.resolve

    @property
    def critical_exit(self) -> float | None:
        """Return the level a critical alert must stay below to drop to warning (None: no critical)."""
        if self.critical is None:
            return None
        if self.warning is None:
            return self.resolve_level
        return max(self.warning, self.critical - (self.warning - self.resolve_level))

    def threshold(self, severity: Severity) -> float | None:
        """Return the threshold that fires `severity` (None for ok or a level this rule lacks)."""
        if severity == Severity.CRITICAL:
            return self.critical
        return self.warning if severity == Severity.WARNING else None

    def breaches(self, severity: Severity, score: WindowScore) -> bool:
        """Return whether a window with enough data breaches `severity`'s threshold."""
        threshold = self.threshold(severity)
        if threshold is None or not score.value >= threshold:  # NaN compares false: never a breach
            return False
        return not self.require_significance or score.p_value < self.significance_level

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

    def __post_init__(self) -> None:
        where = f"window [{self.window_start}, {self.window_end})"
        for key in ("window_start", "window_end"):
            moment = getattr(self, key)
            if not isinstance(moment, datetime) or moment.tzinfo is None:
                raise WindowScoreError(f"{where}: {key} must be a timezone-aware datetime, got {moment!r}")
        if self.window_end <= self.window_start:
            raise WindowScoreError(f"{where}: window_end must be after window_start")
        if self.status not in ("ok", "insufficient_data"):
            raise WindowScoreError(
                f"{where}: status must be 'ok' or 'insufficient_data', got {self.status!r}"
            )
        if isinstance(self.n_live, bool) or not isinstance(self.n_live, int) or self.n_live < 0:
            raise WindowScoreError(f"{where}: n_live must be a non-negative integer, got {self.n_live!r}")
        for key in ("value", "p_value"):
            number = getattr(self, key)
            if isinstance(number, bool) or not isinstance(number, int | float):
                raise WindowScoreError(f"{where}: {key} must be a number (NaN allowed), got {number!r}")
            object.__setattr__(self, key, float(number))

    @classmethod
    def from_comparison(
        cls, comparison: Comparison, statistic: str, window_start: datetime, window_end: datetime
    ) -> WindowScore:
        """Return the score of `statistic` in a core comparison, with that statistic's own p-value."""
        if statistic not in STATISTICS:
            raise WindowScoreError(
                f"unknown statistic {statistic!r}; expected one of {', '.join(STATISTICS)}"
            )
        null = comparison.null.get(statistic)
        return cls(
            value=float(getattr(comparison, statistic)),
            p_value=null.p_value if null is not None else math.nan,
            n_live=comparison.n_live,
            status=comparison.status,
            window_start=window_start,
            window_end=window_end,
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
    critical_exit = rule.critical_exit
    counted = replace(
        state,
        above_warning=state.above_warning + 1 if rule.breaches(Severity.WARNING, score) else 0,
        above_critical=state.above_critical + 1 if rule.breaches(Severity.CRITICAL, score) else 0,
        below_critical_exit=(
            state.below_critical_exit + 1 if critical_exit is not None and value < critical_exit else 0
        ),
        below_resolve=state.below_resolve + 1 if value < rule.resolve_level else 0,
        last_value=value if math.isfinite(value) else None,
        last_p_value=score.p_value if math.isfinite(score.p_value) else None,
        last_window_end=score.window_end,
    )
    target, threshold = _target(rule, counted)
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


def _target(rule: AlertRule, state: AlertState) -> tuple[Severity, float]:
    """Return the severity the streaks call for and the level crossed to get there."""
    n = rule.for_windows
    current = state.severity
    if rule.critical is not None and state.above_critical >= n and current < Severity.CRITICAL:
        return Severity.CRITICAL, rule.critical
    if rule.warning is not None and state.above_warning >= n and current < Severity.WARNING:
        return Severity.WARNING, rule.warning
    if current > Severity.OK and state.below_resolve >= n:
        return Severity.OK, rule.resolve_level
    critical_exit = rule.critical_exit
    if current == Severity.CRITICAL and critical_exit is not None and state.below_critical_exit >= n:
        return Severity.WARNING, critical_exit
    return current, math.nan


def _level(statistic: str, key: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
        raise AlertRuleError(statistic, f"{key} must be a finite number >= 0, got {value!r}")
    return float(value)


def _count(statistic: str, key: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise AlertRuleError(statistic, f"{key} must be a whole number >= 1, got {value!r}")
