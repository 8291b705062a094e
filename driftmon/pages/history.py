"""The history of one statistic of one column: a point per window, with the levels in force then.

Each level is computed as the alert state machine computed it for that window (a fixed
threshold or a multiple of the window's no-drift noise level, the larger), so the lines on
the chart are the ones the window was judged against.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from driftmon.alerts import AlertRule
from driftmon.core import finite
from driftmon.results import ResultRecord


@dataclass(frozen=True)
class HistoryPoint:
    """One window of the history (oldest first); `value` None when nothing was scored."""

    window_start: datetime
    window_end: datetime
    run_id: int | None  # None: the run stored no result for this column
    run_status: str
    status: str | None  # the column's result status; None: the run stored no result for it
    value: float | None
    noise: float | None  # the 99% no-drift level for this window's sample sizes
    expected: float | None  # the mean under no drift
    p_value: float | None
    n_live: int | None
    warning: float | None
    critical: float | None
    resolve: float | None
    alert_state: str | None  # the rule's severity after this window; None: not evaluated
    error: str | None


def history_points(
    windows: Sequence[tuple[datetime, datetime, str]],
    entries: Mapping[tuple[datetime, datetime], ResultRecord],
    statistic: str,
    rule: AlertRule | None,
) -> list[HistoryPoint]:
    """Return a point per (start, end, run status) window, oldest first, for `statistic`."""
    points = []
    for start, end, run_status in sorted(windows, key=lambda w: (w[1], w[0])):
        result = entries.get((start, end))
        value = noise = expected = p_value = None
        warning = critical = resolve = None
        state = None
        if result is not None:
            value = finite(result.scores.get(statistic))
            level = result.null(statistic)
            if level is not None:
                noise, expected, p_value = (
                    finite(level.quantile),
                    finite(level.expected),
                    finite(level.p_value),
                )
            state = result.alert_states.get(statistic)
        if rule is not None:
            levels = rule.levels(noise if noise is not None else math.nan)
            warning, critical, resolve = levels.warning, levels.critical, levels.resolve
        points.append(
            HistoryPoint(
                window_start=start,
                window_end=end,
                run_id=result.run_id if result is not None else None,
                run_status=run_status,
                status=result.status if result is not None else None,
                value=value,
                noise=noise,
                expected=expected,
                p_value=p_value,
                n_live=result.n_live if result is not None else None,
                warning=warning,
                critical=critical,
                resolve=resolve,
                alert_state=state,
                error=result.error if result is not None else None,
            )
        )
    return points
