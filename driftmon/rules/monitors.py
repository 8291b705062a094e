"""Per-monitor rules, with each monitor's own periods taken from the config: stale, failing, behind.

How long "too long" is depends on the monitor's window size, schedule and timeout, so these
rules are generated per monitor (`driftmon rules -c FILE`). `DriftmonRulesOutdated` fires when
the running service's monitors or schedules no longer match the config the rules came from.

Replicas on one store export one series each, differing by `instance` (and `pod`): the rules
aggregate them first, so each alert fires once. The last-success time is the newest any
replica knows (max); failed runs are counted by the process that ran them, so they add up
(sum); the backlog is each replica's own view of the store, and the smallest one counts (min),
so a replica whose view is frozen (its store connection broken, or killed and its last sample
still in the look-back) cannot keep the alert firing after the others have caught up.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, timedelta

from driftmon.config import MonitorConfig
from driftmon.metrics import family, monitor_spec
from driftmon.rules.model import AlertRule
from driftmon.rules.options import RuleOptions
from driftmon.rules.periods import prometheus_duration, stale_after, success_period
from driftmon.rules.templates import across_replicas, label, promql_string, query_value

_INTERVAL = family("driftmon_monitor_interval_seconds").name
_RUNS = family("driftmon_monitor_runs_total").name
_SUCCESS = family("driftmon_monitor_last_success_timestamp_seconds").name
_BEHIND = family("driftmon_monitor_windows_behind").name
_SOURCE_UP = family("driftmon_monitor_source_up").name
_MONITOR = ("monitor",)


def _runs_link(options: RuleOptions) -> str:
    return f"{options.api_url or ''}/api/v1/monitors/{label('monitor')}/runs"


def _stale_rules(monitor: MonitorConfig, now: datetime) -> list[AlertRule]:
    selector = f"{{monitor={promql_string(monitor.name)}}}"
    limit = stale_after(monitor, now)
    period = prometheus_duration(success_period(monitor, now))
    text = prometheus_duration(limit)
    why = (
        f"It completes a window every {period} when healthy (window size, schedule and a run timeout "
        f"of {prometheus_duration(monitor.timeout)} allow {text}), so its drift metrics and alerts "
        "are out of date: the scheduler may be stuck, every run failing, or the data late."
    )
    summary = f"Monitor {label('monitor')} has completed no window for over {text}"
    return [
        AlertRule(
            name="DriftmonMonitorStale",
            expr=f"time() - {across_replicas('max', _SUCCESS + selector)} > {limit.total_seconds():.15g}",
            severity="warning",
            summary=summary,
            description=(
                f"Monitor {label('monitor')} last completed a window {{{{ $value | humanizeDuration }}}} "
                f"ago. {why}"
            ),
            dashboard_variables=_MONITOR,
            labels=(("monitor", monitor.name), ("reason", "last_window_too_old")),
        ),
        # No completed window known at all (a new monitor, or a store whose recent runs all
        # failed): the interval series says the monitor is configured; `for` gives it its time.
        # Any replica's last-success series silences it (`unless` is a set operation).
        AlertRule(
            name="DriftmonMonitorStale",
            expr=f"{across_replicas('max', _INTERVAL + selector)} unless on(monitor) {_SUCCESS}{selector}",
            severity="warning",
            hold=limit,
            summary=summary,
            description=f"Monitor {label('monitor')} has no completed window on record for {text}. {why}",
            dashboard_variables=_MONITOR,
            labels=(("monitor", monitor.name), ("reason", "no_window_on_record")),
        ),
    ]


def _failing_rule(monitor: MonitorConfig, now: datetime, options: RuleOptions) -> AlertRule:
    selector = f"monitor={promql_string(monitor.name)}"
    lookback = prometheus_duration(stale_after(monitor, now))
    failed = across_replicas("sum", f'increase({_RUNS}{{{selector},status="failed"}}[{lookback}])')
    behind = across_replicas("min", f"{_BEHIND}{{{selector}}}")
    source = query_value(_SOURCE_UP, _MONITOR, "%.0f", aggregation="min")
    return AlertRule(
        name="DriftmonRunsFailing",
        # A failed window stays behind until a retry completes it, so the alert clears as soon
        # as the backlog does, not a whole look-back later.
        expr=f"{failed} > 0\nand on(monitor) {behind} > 0",
        severity="warning",
        summary=f"Runs of monitor {label('monitor')} are failing",
        description=(
            f'Monitor {label("monitor")} had {{{{ $value | printf "%.0f" }}}} failed run(s) in the last '
            f"{lookback} and still has windows to compute; they are retried with backoff. "
            f"Source reachable on the last run of every replica: {source} (1 yes, 0 no). "
            f"Errors are in the run history: {_runs_link(options)}"
        ),
        dashboard_variables=_MONITOR,
        labels=(("monitor", monitor.name),),
    )


def _behind_rule(monitor: MonitorConfig, now: datetime) -> AlertRule:
    hold = success_period(monitor, now) + monitor.timeout
    behind = across_replicas("min", f"{_BEHIND}{{monitor={promql_string(monitor.name)}}}")
    return AlertRule(
        name="DriftmonWindowsBehind",
        expr=f"{behind} > 1",
        severity="warning",
        hold=hold,
        summary=f"Monitor {label('monitor')} is {{{{ $value }}}} windows behind",
        description=(
            f"Monitor {label('monitor')} has had {{{{ $value }}}} complete windows waiting for more "
            f"than {prometheus_duration(hold)} (one period plus the run timeout): runs are slower "
            "than windows arrive, workers are all busy, or a failing window holds the ones after it."
        ),
        dashboard_variables=_MONITOR,
        labels=(("monitor", monitor.name),),
    )


def monitor_rules(monitors: Sequence[MonitorConfig], now: datetime, options: RuleOptions) -> list[AlertRule]:
    """Return the stale, failing and behind rules of each enabled monitor, in config order."""
    rules: list[AlertRule] = []
    for monitor in monitors:
        if monitor.enabled:
            rules += _stale_rules(monitor, now)
            rules += [_failing_rule(monitor, now, options), _behind_rule(monitor, now)]
    return rules


def outdated_rule(monitors: Sequence[MonitorConfig], now: datetime, command: str) -> AlertRule:
    """Return the rule that fires when the service runs monitors or schedules these rules do not know."""
    enabled = [m for m in monitors if m.enabled]
    known = "|".join(re.sub(r"([.])", r"\\\1", m.name) for m in enabled)
    parts = [f"{_INTERVAL}{{monitor!~{promql_string(known)}}}" if enabled else _INTERVAL]
    for m in enabled:
        seconds = monitor_spec(m, now=now).interval_seconds
        if seconds is not None:
            parts.append(f"{_INTERVAL}{{monitor={promql_string(m.name)}}} != {seconds:.15g}")
    # Compared per replica, then aggregated: one replica on another config (a rollout half done)
    # is enough, and the alert fires once per monitor.
    differing = "\n  or ".join(parts)
    return AlertRule(
        name="DriftmonRulesOutdated",
        expr=across_replicas("max", f"\n  {differing}\n"),
        severity="warning",
        hold=timedelta(minutes=15),
        summary=f"Alert rules do not match monitor {label('monitor')}",
        description=(
            f"driftmon runs monitor {label('monitor')} every {{{{ $value | humanizeDuration }}}}, but the "
            "loaded alert rules were generated for a config without this monitor or with another "
            "schedule, so its stale, failing and behind alerts use the wrong periods or are missing. "
            f"Regenerate them from the running config: {command}"
        ),
        dashboard_variables=_MONITOR,
    )
