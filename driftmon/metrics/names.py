"""The metrics contract: every family driftmon exports, its type, labels, unit and meaning.

Alert rules and dashboards are written against these names, so they change only with a
documented migration. docs/metrics.md describes each one; a test keeps the two in step.
Label names of each family are listed in sorted order, the order the exposition writes them.
`exported` says when a column family is on /metrics: `always`; `alerted`, for the statistics
the column alerts on (every statistic under `metrics: full`); `full`, only under `metrics: full`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from driftmon.core import STATISTICS

Kind = Literal["gauge", "counter", "histogram"]
Exported = Literal["always", "alerted", "full"]

# Run outcomes a finished run can have (the store's final run statuses).
RUN_STATUSES = ("succeeded", "partial", "insufficient_data", "failed")
# Outcomes that complete a window: it is not computed again, so it counts as a success.
COMPLETED_STATUSES = frozenset({"succeeded", "partial", "insufficient_data"})
COLUMN_STATUSES = ("ok", "insufficient_data", "failed", "type_changed")
THRESHOLD_SEVERITIES = ("warning", "critical")
# Run durations range from sub-second pushed-down counts to long file scans.
DURATION_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0)

# Divergences in bits (DESIGN §1), PSI in nats by its convention; distances have no unit. A bit of
# information is named by its IEC 80000-13 name, the shannon: Prometheus' linter reads a `bits`
# name part as a data size and asks for bytes, and `promtool check metrics` must stay silent.
STATISTIC_UNITS = {
    "kl_live_ref": "shannons",
    "kl_ref_live": "shannons",
    "js_divergence": "shannons",
    "js_distance": "",
    "psi": "nats",
    "hellinger": "",
}
assert tuple(STATISTIC_UNITS) == STATISTICS, "metrics.STATISTIC_UNITS must list core.STATISTICS in order"

COLUMN_LABELS = ("column", "monitor", "role")
_STATISTIC_TEXT = {
    "kl_live_ref": "KL divergence KL(live || reference), smoothed, in bits (shannons)",
    "kl_ref_live": "KL divergence KL(reference || live), smoothed, in bits (shannons)",
    "js_divergence": "Jensen-Shannon divergence between live and reference, in bits (shannons), 0 to 1",
    "js_distance": "Jensen-Shannon distance, the square root of the divergence in bits (0 to 1)",
    "psi": "Population stability index, in nats",
    "hellinger": "Hellinger distance between live and reference (0 to 1)",
}


@dataclass(frozen=True)
class MetricFamilyDef:
    """One exported metric family: `name` is as exposed (counters end in _total).

    Its level is the table it is in: PROCESS_FAMILIES, MONITOR_FAMILIES or COLUMN_FAMILIES.
    """

    name: str
    kind: Kind
    labels: tuple[str, ...]
    unit: str
    help: str
    exported: Exported = "always"


@dataclass(frozen=True)
class StatisticMetrics:
    """The four per-column families of one statistic: value, p-value, null expected, null quantile."""

    value: str
    p_value: str
    null_expected: str
    null_quantile: str


def _with_unit(name: str, unit: str) -> str:
    return f"{name}_{unit}" if unit else name


STATISTIC_METRICS = {
    stat: StatisticMetrics(
        value=_with_unit(f"driftmon_column_{stat}", unit),
        p_value=f"driftmon_column_{stat}_p_value",
        null_expected=_with_unit(f"driftmon_column_{stat}_null_expected", unit),
        null_quantile=_with_unit(f"driftmon_column_{stat}_null_quantile", unit),
    )
    for stat, unit in STATISTIC_UNITS.items()
}


_M = ("monitor",)
_C = COLUMN_LABELS
# (name, kind, labels, unit, help[, exported]): the contract in one table per level.
Row = tuple[str, Kind, tuple[str, ...], str, str] | tuple[str, Kind, tuple[str, ...], str, str, Exported]
_PROCESS: tuple[Row, ...] = (
    ("driftmon_build_info", "gauge", ("version",), "", "The running driftmon version; always 1"),
    ("driftmon_database_up", "gauge", (), "", "1 when the store's database answered its last check, else 0"),
    (
        "driftmon_snapshot_load_seconds",
        "gauge",
        (),
        "seconds",
        "Time taken to load the metrics snapshot from the store at start-up",
    ),
)
_MONITOR: tuple[Row, ...] = (
    (
        "driftmon_monitor_interval_seconds",
        "gauge",
        _M,
        "seconds",
        "Scheduled time between runs of the monitor",
    ),
    (
        "driftmon_monitor_runs_total",
        "counter",
        (*_M, "status"),
        "",
        "Runs finished by this process, by outcome",
    ),
    (
        "driftmon_monitor_run_duration_seconds",
        "histogram",
        _M,
        "seconds",
        "Wall time of runs finished by this process",
    ),
    (
        "driftmon_monitor_rows_read_total",
        "counter",
        _M,
        "",
        "Live rows read by runs finished by this process",
    ),
    (
        "driftmon_monitor_last_success_timestamp_seconds",
        "gauge",
        _M,
        "seconds",
        "Finish time of the latest run that completed its window (succeeded, partial, insufficient_data)",
    ),
    (
        "driftmon_monitor_last_window_end_timestamp_seconds",
        "gauge",
        _M,
        "seconds",
        "End of the latest window the monitor has completed",
    ),
    (
        "driftmon_monitor_windows_behind",
        "gauge",
        _M,
        "",
        "Complete windows the scheduler has not computed yet",
    ),
    (
        "driftmon_monitor_source_up",
        "gauge",
        _M,
        "",
        "1 when the source answered the monitor's last run, else 0",
    ),
)
_COLUMN_HEAD: tuple[Row, ...] = (
    (
        "driftmon_column_status_info",
        "gauge",
        (*_C, "status"),
        "",
        "Status of the column's latest result (ok, insufficient_data, failed, type_changed); always 1",
    ),
    (
        "driftmon_column_baseline_info",
        "gauge",
        (*_C, "version"),
        "",
        "Version of the baseline the latest result was compared with; always 1",
        "full",
    ),
    (
        "driftmon_column_window_end_timestamp_seconds",
        "gauge",
        _C,
        "seconds",
        "End of the window of the column's latest result",
        "full",
    ),
    ("driftmon_column_live_values", "gauge", _C, "", "Values counted in the latest live window (n_live)"),
    (
        "driftmon_column_reference_values",
        "gauge",
        _C,
        "",
        "Values in the reference baseline (n_reference)",
        "full",
    ),
)
_COLUMN_TAIL: tuple[Row, ...] = (
    (
        "driftmon_column_alert_state",
        "gauge",
        (*_C, "statistic"),
        "",
        "Alert severity of the statistic: 0 ok, 1 warning, 2 critical",
    ),
    (
        "driftmon_column_alert_threshold",
        "gauge",
        (*_C, "severity", "statistic"),
        "",
        "Threshold in force for the statistic and severity, in the statistic's own unit",
        "full",
    ),
)


def _statistic_rows() -> list[Row]:
    rows: list[Row] = []
    for stat, names in STATISTIC_METRICS.items():
        unit, text = STATISTIC_UNITS[stat], _STATISTIC_TEXT[stat]
        sizes = "for this window's sample sizes"
        rows += [
            (names.value, "gauge", _C, unit, text, "alerted"),
            (names.p_value, "gauge", _C, "", f"P-value of {stat} under no drift {sizes}", "alerted"),
            (
                names.null_expected,
                "gauge",
                _C,
                unit,
                f"Expected {stat} under no drift {sizes} (its noise level)",
                "full",
            ),
            (
                names.null_quantile,
                "gauge",
                _C,
                unit,
                f"No-drift quantile of {stat} (99th by default) {sizes}",
                "full",
            ),
        ]
    return rows


def _defs(rows: Iterable[Row]) -> tuple[MetricFamilyDef, ...]:
    return tuple(MetricFamilyDef(*row) for row in rows)


PROCESS_FAMILIES = _defs(_PROCESS)
MONITOR_FAMILIES = _defs(_MONITOR)
COLUMN_FAMILIES = _defs((*_COLUMN_HEAD, *_statistic_rows(), *_COLUMN_TAIL))
FAMILIES = (*PROCESS_FAMILIES, *MONITOR_FAMILIES, *COLUMN_FAMILIES)
_BY_NAME = {f.name: f for f in FAMILIES}
assert len(_BY_NAME) == len(FAMILIES), "metric family names must be unique"


def family(name: str) -> MetricFamilyDef:
    """Return the family exported under `name`."""
    try:
        return _BY_NAME[name]
    except KeyError:
        raise KeyError(f"driftmon exports no metric family {name!r}") from None
