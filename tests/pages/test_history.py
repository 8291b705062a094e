"""History points: one per window, oldest first, with the levels in force for that window's noise."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from driftmon.alerts import AlertRule
from driftmon.core import NullLevel
from driftmon.pages import history_points
from driftmon.results import ResultRecord

T0 = datetime(2026, 3, 2, tzinfo=UTC)
HOUR = timedelta(hours=1)


def summary(hour: int, **values: Any) -> ResultRecord:
    start, end = T0 + hour * HOUR, T0 + (hour + 1) * HOUR
    return ResultRecord("m", "x", start, end, "ok", id=hour, run_id=100 + hour, n_live=500, **values)


def test_levels_follow_each_windows_noise_and_missing_results_are_gaps() -> None:
    rule = AlertRule("js_divergence", warning=0.01, critical=0.05, warning_noise=2.0, critical_noise=4.0)
    windows = [(T0 + h * HOUR, T0 + (h + 1) * HOUR, "succeeded") for h in (2, 0, 1)]
    windows[1] = (windows[1][0], windows[1][1], "failed")
    entries = {
        (T0 + 1 * HOUR, T0 + 2 * HOUR): summary(
            1,
            scores={"js_divergence": 0.03},
            null_levels={"js_divergence": NullLevel(0.004, 0.008, 1e-6)},
            alert_states={"js_divergence": "warning"},
        ),
        (T0 + 2 * HOUR, T0 + 3 * HOUR): summary(
            2, scores={"js_divergence": 0.002}, null_levels={"js_divergence": NullLevel(0.0005, 0.001, 0.5)}
        ),
    }
    points = history_points(windows, entries, "js_divergence", rule)
    assert [p.window_start for p in points] == [T0, T0 + HOUR, T0 + 2 * HOUR]
    failed, warned, quiet = points
    assert (failed.value, failed.status, failed.run_status, failed.run_id) == (None, None, "failed", None)
    assert (failed.warning, failed.critical) == (0.01, 0.05)  # no noise known: the fixed levels
    assert (warned.value, warned.noise, warned.alert_state, warned.run_id) == (0.03, 0.008, "warning", 101)
    assert warned.warning == rule.levels(0.008).warning == 0.016  # 2 x noise beats the 0.01 floor
    assert warned.critical == rule.levels(0.008).critical == 0.05
    assert (quiet.warning, quiet.alert_state) == (0.01, None)


def test_a_statistic_without_a_rule_has_no_levels() -> None:
    window = (T0, T0 + HOUR, "succeeded")
    entries = {(T0, T0 + HOUR): summary(0, scores={"psi": 0.2}, alert_states={"js_divergence": "ok"})}
    (point,) = history_points([window], entries, "psi", None)
    assert (point.value, point.warning, point.critical, point.resolve, point.alert_state) == (
        0.2,
        None,
        None,
        None,
        None,
    )
