"""Build the snapshot's monitor specs from the validated configuration."""

from __future__ import annotations

from datetime import datetime, timedelta

from driftmon.config import Config, MonitorConfig, cron_trigger
from driftmon.core import STATISTICS
from driftmon.metrics.specs import ColumnSpec, MonitorSpec, Thresholds

# Fire times sampled to find a cron schedule's longest gap: enough to span a weekend for
# hourly-or-slower weekday schedules, few enough to cost nothing at start-up.
CRON_SAMPLE_FIRES = 200


def cron_interval_seconds(expression: str, now: datetime) -> float:
    """Return the longest gap between consecutive fire times of `expression` over its next fires."""
    if now.utcoffset() is None:
        raise ValueError(f"cron expression {expression!r}: now must be a timezone-aware datetime, not {now}")
    trigger = cron_trigger(expression)
    fire = trigger.get_next_fire_time(None, now)
    longest = 0.0
    for _ in range(CRON_SAMPLE_FIRES):
        if fire is None:
            break
        following = trigger.get_next_fire_time(fire, fire + timedelta(seconds=1))
        if following is None:
            break
        longest = max(longest, (following - fire).total_seconds())
        fire = following
    if longest <= 0:
        raise ValueError(f"cron expression {expression!r} does not fire twice after {now.isoformat()}")
    return longest


def monitor_spec(monitor: MonitorConfig, *, now: datetime) -> MonitorSpec:
    """Return the spec of one monitor: columns with roles and thresholds, and its run interval."""
    interval = monitor.schedule_interval
    if interval is not None:
        seconds = interval.total_seconds()
    elif monitor.cron is not None:
        seconds = cron_interval_seconds(monitor.cron, now)
    else:  # one run per calendar window: its longest length (31 days for a month)
        seconds = monitor.window.longest.total_seconds()
    columns = []
    for settings in monitor.all_column_settings():
        rules = settings.alerts  # in statistic order, so the exposition does not follow the config's
        thresholds = {s: Thresholds(rules[s].warning, rules[s].critical) for s in STATISTICS if s in rules}
        columns.append(ColumnSpec(settings.name, settings.role, thresholds))
    return MonitorSpec(monitor.name, tuple(columns), seconds, full=monitor.metrics == "full")


def monitor_specs(config: Config, *, now: datetime) -> list[MonitorSpec]:
    """Return the specs of the enabled monitors, in configuration order (`now` anchors cron schedules)."""
    return [monitor_spec(m, now=now) for m in config.monitors if m.enabled]
