"""Prometheus text format (0.0.4): each owner's lines rendered once per change, joined family by family.

The format wants all lines of a family in one group after its HELP and TYPE lines, so each
owner (the process, each monitor) keeps one fragment per family, and the exposition writes,
for every family, its header followed by that family's fragment of every owner. This is the
one place that decides which samples are exported: missing values (no result yet,
insufficient data, a failed column, a setting not reported) have no sample, and a column's
statistic, p-value and threshold families follow the monitor's metric set (docs/metrics.md).
"""

from __future__ import annotations

from collections.abc import Sequence

from driftmon.core import STATISTICS
from driftmon.metrics.names import DURATION_BUCKETS, FAMILIES, STATISTIC_METRICS, THRESHOLD_SEVERITIES
from driftmon.metrics.state import ColumnState, MonitorState, ProcessState
from driftmon.metrics.text import float_text, label_text

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

Fragments = tuple[bytes, ...]  # one per family in FAMILIES, b"" where the owner has no samples

_INDEX = {f.name: i for i, f in enumerate(FAMILIES)}
_DURATION = "driftmon_monitor_run_duration_seconds"
_LES = tuple(float_text(b) for b in (*DURATION_BUCKETS, float("inf")))


def _header(name: str, kind: str, text: str) -> bytes:
    text = text.replace("\\", r"\\").replace("\n", r"\n")
    return f"# HELP {name} {text}\n# TYPE {name} {kind}\n".encode()


HEADERS = tuple(_header(f.name, f.kind, f.help) for f in FAMILIES)


class _Lines:
    """One owner's sample lines, grouped by family."""

    def __init__(self) -> None:
        self.parts: list[list[str]] = [[] for _ in FAMILIES]

    def add(self, family: str, labels: str, value: float, sample: str = "") -> None:
        """Add the line `sample{labels} value` (the sample name is the family's unless given)."""
        self.parts[_INDEX[family]].append(f"{sample or family}{labels} {float_text(value)}\n")

    def fragments(self) -> Fragments:
        return tuple("".join(lines).encode() for lines in self.parts)


def process_fragments(state: ProcessState) -> Fragments:
    """Render the process-wide samples: build info, database reachability, snapshot load time."""
    out = _Lines()
    out.add("driftmon_build_info", label_text({"version": state.version}), 1.0)
    if state.database_up is not None:
        out.add("driftmon_database_up", "", 1.0 if state.database_up else 0.0)
    if state.load_seconds is not None:
        out.add("driftmon_snapshot_load_seconds", "", state.load_seconds)
    return out.fragments()


def monitor_fragments(state: MonitorState) -> Fragments:
    """Render every sample of one monitor, its columns included."""
    out = _Lines()
    name = state.spec.name
    own = label_text({"monitor": name})
    if state.spec.interval_seconds is not None:
        out.add("driftmon_monitor_interval_seconds", own, state.spec.interval_seconds)
    for status, count in state.runs.items():
        out.add("driftmon_monitor_runs_total", label_text({"monitor": name, "status": status}), count)
    for le, count in zip(_LES, state.buckets, strict=True):
        out.add(_DURATION, label_text({"le": le, "monitor": name}), count, f"{_DURATION}_bucket")
    out.add(_DURATION, own, state.buckets[-1], f"{_DURATION}_count")
    out.add(_DURATION, own, state.duration_sum, f"{_DURATION}_sum")
    out.add("driftmon_monitor_rows_read_total", own, state.rows_read)
    optional = (
        ("driftmon_monitor_last_success_timestamp_seconds", state.last_success),
        ("driftmon_monitor_last_window_end_timestamp_seconds", state.last_window_end),
        ("driftmon_monitor_windows_behind", state.windows_behind),
        ("driftmon_monitor_source_up", state.source_up),
    )
    for family, number in optional:
        if number is not None:
            out.add(family, own, float(number))
    for column in state.columns.values():
        _column_lines(out, column, state.spec.full)
    return out.fragments()


def _column_lines(out: _Lines, column: ColumnState, full: bool) -> None:
    """Add a column's latest result, alert states and (with `full`) thresholds."""
    base = column.labels
    own = f"{{{base}}}"
    thresholds = column.spec.thresholds
    result = column.latest
    if result is not None:
        out.add("driftmon_column_status_info", f'{{{base},status="{result.status}"}}', 1.0)
        if full and result.baseline_version is not None:
            version = f'{{{base},version="{result.baseline_version}"}}'
            out.add("driftmon_column_baseline_info", version, 1.0)
        if full:
            out.add("driftmon_column_window_end_timestamp_seconds", own, result.window_end)
        if result.n_live is not None:
            out.add("driftmon_column_live_values", own, result.n_live)
        if full and result.n_reference is not None:
            out.add("driftmon_column_reference_values", own, result.n_reference)
        for stat in STATISTICS:
            if not full and stat not in thresholds:
                continue
            names = STATISTIC_METRICS[stat]
            value = result.statistics.get(stat)
            if value is not None:
                out.add(names.value, own, value)
            expected, quantile, p_value = result.null.get(stat, (None, None, None))
            if p_value is not None:
                out.add(names.p_value, own, p_value)
            if full and expected is not None:
                out.add(names.null_expected, own, expected)
            if full and quantile is not None:
                out.add(names.null_quantile, own, quantile)
    for stat, levels in thresholds.items():
        out.add("driftmon_column_alert_state", f'{{{base},statistic="{stat}"}}', column.alerts.get(stat, 0))
        if not full:
            continue
        for severity, level in zip(THRESHOLD_SEVERITIES, levels, strict=True):
            if level is not None:
                labels = f'{{{base},severity="{severity}",statistic="{stat}"}}'
                out.add("driftmon_column_alert_threshold", labels, level)


def join_exposition(owners: Sequence[Fragments]) -> bytes:
    """Join the owners' fragments into one exposition body, family by family."""
    out: list[bytes] = []
    for i, header in enumerate(HEADERS):
        out.append(header)
        out.extend(owner[i] for owner in owners)
    return b"".join(out)
