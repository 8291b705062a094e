"""The JSON API's documents (pydantic models, so the OpenAPI document describes them) and their builders.

Statistics are named as everywhere in driftmon: kl_* and js_divergence in bits, psi in nats.
Each comes with its p-value and its no-drift `noise` level (the 99% null quantile for the
window's sample sizes): a value above `noise` is unlikely without drift.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from driftmon.config import MonitorConfig, format_duration
from driftmon.core import STATISTICS, finite
from driftmon.results import ResultRecord
from driftmon.store import AlertEventRecord, RunRecord

_DATE_AND_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}")


def _date_and_time(value: Any) -> Any:
    # Pydantic would also take a number (or a numeric string) as Unix seconds, and a bare date
    # as midnight: neither is the date-time the API documents, so both are refused.
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not _DATE_AND_TIME.match(value):
        raise ValueError("expected an ISO 8601 date and time such as 2026-03-02T10:00:00Z (no offset: UTC)")
    return value


# A time given to the API: an ISO 8601 date and time; without an offset it is UTC.
ApiTime = Annotated[datetime, BeforeValidator(_date_and_time)]


class StatisticOut(BaseModel):
    value: float | None
    p_value: float | None = Field(description="P(a value this large | no drift, these sample sizes)")
    noise: float | None = Field(description="99% no-drift level (null quantile) for these sample sizes")
    expected: float | None = Field(description="mean value under no drift for these sample sizes")


class ResultOut(BaseModel):
    """One column's result for one window."""

    id: int
    run_id: int
    column: str
    kind: str | None
    role: str
    status: str = Field(
        description="ok, insufficient_data, failed or type_changed (the live values changed type; "
        "scored when compared by text)"
    )
    window_start: datetime
    window_end: datetime
    baseline_version: int | None
    n_reference: int | None
    n_live: int | None
    p_value: float | None = Field(description="p-value of the primary statistic (js_divergence)")
    statistics: dict[str, StatisticOut]
    error: str | None


class BinOut(BaseModel):
    label: str
    reference_count: int | None
    live_count: int | None
    reference_share: float | None
    live_share: float | None


class ResultDetailOut(ResultOut):
    """A result with everything needed to explain it: every bin's counts and the top contributions."""

    alpha: float | None = Field(description="additive smoothing applied to both histograms")
    calibration_method: str | None
    primary_statistic: str | None
    bins: list[BinOut]
    top_bins: list[dict[str, Any]]


class RunOut(BaseModel):
    """One window of one monitor."""

    id: int
    monitor: str
    window_start: datetime
    window_end: datetime
    status: str = Field(description="running, succeeded, partial, insufficient_data or failed")
    started_at: datetime
    finished_at: datetime | None
    attempts: int
    rows_read: int | None
    error: str | None


class RunDetailOut(RunOut):
    results: list[ResultDetailOut]


class ThresholdsOut(BaseModel):
    warning: float | None = Field(description="fixed warning level (a floor when warning_noise is set)")
    critical: float | None
    resolve: float | None = Field(description="fixed resolve level; null: the lowest fixed level")
    warning_noise: float | None = Field(description="warning also needs this multiple of the window's noise")
    critical_noise: float | None
    resolve_noise: float | None
    for_windows: int = Field(description="consecutive windows to fire warning and to clear")
    critical_for_windows: int
    require_significance: bool
    significance_level: float


class ColumnOut(BaseModel):
    name: str
    kind: str | None = Field(description="configured kind; null when inferred from the reference")
    role: str
    alerts: dict[str, ThresholdsOut] = Field(description="alert settings in force, by statistic")
    alert_states: dict[str, str] = Field(description="firing alerts by statistic: warning or critical")
    latest: ResultOut | None


class MonitorOut(BaseModel):
    name: str
    description: str
    source: str = Field(description="where live data is read (passwords hidden)")
    window: str
    delay: str
    schedule: str
    timeout: str
    statistics: list[str]
    next_tick: datetime | None
    last_run: RunOut | None
    columns: list[ColumnOut]


class TriggerIn(BaseModel):
    """Which window to run: its end (a window boundary); omitted, the latest complete window."""

    model_config = ConfigDict(extra="forbid")

    window_end: ApiTime | None = None


def _statistics(result: ResultRecord) -> dict[str, StatisticOut]:
    out = {}
    for name in STATISTICS:
        value, level = result.scores.get(name), result.null(name)
        if value is None and level is None:
            continue
        out[name] = StatisticOut(
            value=finite(value),
            p_value=finite(level.p_value) if level is not None else None,
            noise=finite(level.quantile) if level is not None else None,
            expected=finite(level.expected) if level is not None else None,
        )
    return out


def _result_fields(result: ResultRecord) -> dict[str, Any]:
    return {
        "id": result.id,
        "run_id": result.run_id,
        "column": result.column,
        "kind": result.kind,
        "role": result.role,
        "status": result.status,
        "window_start": result.window_start,
        "window_end": result.window_end,
        "baseline_version": result.baseline_version,
        "n_reference": result.n_reference,
        "n_live": result.n_live,
        "p_value": finite(result.p_value),
        "statistics": _statistics(result),
        "error": result.error,
    }


def _share(count: int | None, total: int) -> float | None:
    return None if count is None or total <= 0 else count / total


def result_detail_out(result: ResultRecord) -> ResultDetailOut:
    """Return the API document of a full stored result, one entry per bin."""
    labels = result.labels or ()
    live = result.live_counts
    ref = result.reference_counts
    live_total, ref_total = sum(live or ()), sum(ref or ())
    bins = []
    for i, label in enumerate(labels):
        live_count = live[i] if live is not None and i < len(live) else None
        ref_count = ref[i] if ref is not None and i < len(ref) else None
        bins.append(
            BinOut(
                label=label,
                reference_count=ref_count,
                live_count=live_count,
                reference_share=_share(ref_count, ref_total),
                live_share=_share(live_count, live_total),
            )
        )
    return ResultDetailOut(
        **_result_fields(result),
        alpha=result.alpha,
        calibration_method=result.calibration_method,
        primary_statistic=result.primary_statistic,
        bins=bins,
        top_bins=[b.to_dict() for b in result.top_bins],
    )


def run_out(run: RunRecord) -> RunOut:
    """Return the API document of a stored run."""
    return RunOut.model_validate(run, from_attributes=True)


def monitor_out(
    monitor: MonitorConfig,
    results: list[ResultRecord],
    alerts: list[AlertEventRecord],
    last_run: RunRecord | None,
    next_tick: datetime | None,
) -> MonitorOut:
    """Return the API document of a monitor: its settings, and each column's latest result and alerts."""
    latest = {r.column: r for r in results}
    firing: dict[str, dict[str, str]] = {}
    for event in alerts:
        if event.state == "firing":
            firing.setdefault(event.column, {})[event.statistic] = event.severity
    columns = []
    for settings in monitor.all_column_settings():
        found = latest.get(settings.name)
        columns.append(
            ColumnOut(
                name=settings.name,
                kind=settings.kind,
                role=settings.role,
                alerts={
                    name: ThresholdsOut.model_validate(rule, from_attributes=True)
                    for name, rule in settings.alerts.items()
                },
                alert_states=firing.get(settings.name, {}),
                latest=ResultOut(**_result_fields(found)) if found is not None else None,
            )
        )
    interval = monitor.schedule_interval
    if interval is not None:
        schedule = f"every {format_duration(interval)}"
    elif monitor.cron is not None:
        schedule = f"cron {monitor.cron}"
    else:
        schedule = "at each window end"
    return MonitorOut(
        name=monitor.name,
        description=monitor.description,
        source=monitor.source_description,
        window=monitor.window.label,
        delay=format_duration(monitor.window.delay),
        schedule=schedule,
        timeout=format_duration(monitor.timeout),
        statistics=list(monitor.statistics),
        next_tick=next_tick,
        last_run=run_out(last_run) if last_run is not None else None,
        columns=columns,
    )
