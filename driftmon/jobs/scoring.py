"""Score one window: compare each column's live histogram with its baseline, and name the run's status.

A categorical column whose live values changed type (core.types) is stored with the status
`type_changed`: scored as usual when its values were compared by text, not scored (no counts,
no alert evaluated) when they could not be compared. Either way the change is in the column's
error text, its status in the store, the API and the `driftmon_column_status_info` series.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from driftmon.config import ColumnSettings, MonitorConfig
from driftmon.core import Comparison, compare
from driftmon.errors import ColumnTypeChangedError
from driftmon.results import ResultRecord
from driftmon.sources import SourceCounts
from driftmon.store import BaselineRecord
from driftmon.windows import Window

TOP_BINS = 5
TYPE_CHANGED = "type_changed"


@dataclass(frozen=True)
class Scored:
    """One column's result to store, and its comparison when it could be compared."""

    result: ResultRecord
    comparison: Comparison | None = None


def column_result(
    comparison: Comparison,
    baseline: BaselineRecord,
    *,
    monitor: str,
    window: Window,
    role: str | None = None,
) -> ResultRecord:
    """Turn a core Comparison against `baseline` into the column's result (ok or insufficient_data)."""
    return ResultRecord(
        monitor=monitor,
        column=baseline.column,
        window_start=window.start,
        window_end=window.end,
        status=comparison.status,
        role=role or baseline.role,
        kind=baseline.kind,
        baseline_version=baseline.version,
        n_reference=comparison.n_reference,
        n_live=comparison.n_live,
        p_value=comparison.p_value,
        scores=comparison.statistics(),
        null_levels=dict(comparison.null),
        top_bins=comparison.top_bins,
        live_counts=tuple(int(c) for c in comparison.live_counts),
        alpha=comparison.alpha,
        calibration_method=comparison.calibration_method,
        primary_statistic=comparison.primary,
    )


def failed_column_result(
    column: str,
    error: str | BaseException,
    *,
    monitor: str,
    window: Window,
    baseline: BaselineRecord | None = None,
    role: str | None = None,
) -> ResultRecord:
    """Record that one column could not be scored, and why; the run's other columns still count."""
    message = error if isinstance(error, str) else f"{type(error).__name__}: {error}"
    return ResultRecord(
        monitor=monitor,
        column=column,
        window_start=window.start,
        window_end=window.end,
        status="failed",
        role=role or (baseline.role if baseline else "feature"),
        kind=baseline.kind if baseline else None,
        baseline_version=baseline.version if baseline else None,
        error=message,
    )


def _configured(result: ResultRecord, statistics: Sequence[str]) -> ResultRecord:
    # Every statistic is computed at once; only the configured ones are stored and shown.
    return replace(
        result,
        scores={k: v for k, v in result.scores.items() if k in statistics},
        null_levels={k: v for k, v in result.null_levels.items() if k in statistics},
    )


def _score(
    monitor: str,
    window: Window,
    settings: ColumnSettings,
    baseline: BaselineRecord,
    counts: SourceCounts,
) -> Scored:
    name = settings.name

    def failed(error: str) -> Scored:
        return Scored(
            failed_column_result(
                name, error, monitor=monitor, window=window, baseline=baseline, role=settings.role
            )
        )

    error = counts.errors.get(name)
    if isinstance(error, ColumnTypeChangedError):
        return Scored(replace(failed(str(error)).result, status=TYPE_CHANGED))
    if error is not None:
        return failed(str(error))
    live = counts.histograms.get(name)
    if live is None:
        return failed("the source returned no counts")
    try:
        comparison = compare(
            baseline.histogram,
            live,
            alpha=settings.alpha,
            min_samples=settings.min_samples,
            top_k=TOP_BINS,
        )
    except ValueError as exc:  # core refuses counts that do not fit the baseline's bins
        return failed(f"cannot compare: {exc}")
    scored = column_result(comparison, baseline, monitor=monitor, window=window, role=settings.role)
    result = _configured(scored, settings.statistics)
    change = counts.type_changes.get(name)
    if change is not None:
        result = replace(result, status=TYPE_CHANGED, error=f"column {name!r}: {change.describe()}")
    return Scored(result, comparison)


def score_columns(
    monitor: MonitorConfig,
    window: Window,
    baselines: Mapping[str, BaselineRecord],
    baseline_errors: Mapping[str, str],
    counts: SourceCounts,
) -> dict[str, Scored]:
    """Compare every configured column; a column without a baseline or counts is failed with why."""
    out: dict[str, Scored] = {}
    for settings in monitor.all_column_settings():
        name = settings.name
        baseline = baselines.get(name)
        if baseline is None:
            reason = baseline_errors.get(name, "not fitted")
            error = f"no baseline: {reason}"
            failed = failed_column_result(
                name, error, monitor=monitor.name, window=window, role=settings.role
            )
            out[name] = Scored(failed)
        else:
            out[name] = _score(monitor.name, window, settings, baseline, counts)
    return out


def scored_status(result: ResultRecord) -> str:
    """Return the status a column counts as in its run's: a type change is ok if compared, else failed."""
    if result.status == TYPE_CHANGED:
        return "ok" if result.live_counts is not None else "failed"
    return result.status


def run_status(results: Sequence[ResultRecord]) -> str:
    """Return the run's status from its columns': failed, partial, insufficient_data or succeeded."""
    statuses = [scored_status(r) for r in results]
    if not statuses or all(s == "failed" for s in statuses):
        return "failed"
    if any(s == "failed" for s in statuses):
        return "partial"
    if all(s == "insufficient_data" for s in statuses):
        return "insufficient_data"
    return "succeeded"


def run_error(results: Sequence[ResultRecord]) -> str | None:
    """Return a one-paragraph summary of the failed columns, or None when none failed."""
    failed = [r for r in results if scored_status(r) == "failed"]
    changed = [r for r in results if r.status == TYPE_CHANGED and scored_status(r) != "failed"]
    parts = []
    if failed:
        head = (
            "every column failed"
            if len(failed) == len(results)
            else f"{len(failed)} of {len(results)} columns failed"
        )
        parts.append(f"{head}: " + "; ".join(f"{r.column!r}: {r.error}" for r in failed))
    if changed:
        parts.append("; ".join(r.error or f"column {r.column!r}: type changed" for r in changed))
    return "; ".join(parts) or None
