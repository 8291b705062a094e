"""Window sequences for alert tests: hourly windows from a fixed start, scored by hand."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta

from driftmon.alerts import AlertRule, AlertState, Notification, Severity, Transition, WindowScore, evaluate
from driftmon.core import BinContribution

START = datetime(2024, 3, 1, tzinfo=UTC)
HOUR = timedelta(hours=1)
SIGNIFICANT = 1e-6
INSIGNIFICANT = 0.5
# A window with too little data: core gives it status insufficient_data.
GAP = None


def window(i: int, value: float, p_value: float = SIGNIFICANT, n_live: int = 1000) -> WindowScore:
    """Return the score of hourly window `i` with status ok."""
    return WindowScore(value, p_value, n_live, "ok", START + i * HOUR, START + (i + 1) * HOUR)


def gap(i: int, value: float = math.nan) -> WindowScore:
    """Return hourly window `i` with insufficient data."""
    return WindowScore(value, math.nan, 3, "insufficient_data", START + i * HOUR, START + (i + 1) * HOUR)


def replay(
    rule: AlertRule,
    values: Iterable[float | tuple[float, float] | None],
    state: AlertState | None = None,
    first: int = 0,
) -> tuple[list[Severity], list[Transition], AlertState]:
    """Evaluate values, (value, p) pairs or GAPs; return the severities, transitions and last state."""
    severities: list[Severity] = []
    transitions: list[Transition] = []
    current = state if state is not None else AlertState()
    for i, item in enumerate(values, start=first):
        if item is None:
            score = gap(i)
        elif isinstance(item, tuple):
            score = window(i, item[0], item[1])
        else:
            score = window(i, item)
        current, transition = evaluate(rule, current, score)
        severities.append(current.severity)
        if transition is not None:
            transitions.append(transition)
    return severities, transitions, current


def levels(text: str) -> Sequence[Severity]:
    """Return severities spelled one letter each: o(k), w(arning), c(ritical)."""
    return [{"o": Severity.OK, "w": Severity.WARNING, "c": Severity.CRITICAL}[ch] for ch in text]


def sample_notification(
    previous: Severity = Severity.OK,
    severity: Severity = Severity.CRITICAL,
    *,
    p_value: float = 2.5e-9,
    result_path: str | None = "/api/monitors/checkout/runs/42",
) -> Notification:
    """Return a notification of one transition on checkout/amount with two top bins."""
    transition = Transition(
        statistic="psi",
        previous=previous,
        severity=severity,
        value=0.31,
        threshold=0.25,
        p_value=p_value,
        n_live=4200,
        window_start=START,
        window_end=START + HOUR,
    )
    bins = (
        BinContribution(9, "[120, inf)", 0.1, 0.32, 0.061),
        BinContribution(10, "<missing>", 0.01, 0.05, 0.012),
    )
    return Notification("checkout", "amount", "feature", transition, bins, result_path)
