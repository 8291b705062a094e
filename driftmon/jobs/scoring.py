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
from driftmon.jobs.outcome import ColumnOutcome
from driftmon.sources import SourceCounts
from driftmon.store import BaselineRecord, ColumnResultInput, column_result, failed_column_result
from driftmon.windows import Window

__all__ = [
    "TYPE_CHANGED",
    "Scored",
    "column_outcome",
    "run_error",
    "run_status",
    "score_columns",
    "scored_status",
]

TOP_BINS = 5
TYPE_CHANGED = "type_changed"


@dataclass(frozen=True)
class Scored:
    """One column's result to store, and its comparison when it could be compared."""

    result: ColumnResultInput
    comparison: Comparison | None = None


def _configured(result: ColumnResultInput, statistics: Sequence[str]) -> ColumnResultInput:
    # Every statistic is computed at once; only the configured ones are stored and shown.
    return replace(
        result,
        statistics={k: v for k, v in result.statistics.items() if k in statistics},
        null={k: v for k, v in result.null.items() if k in statistics},
    )


def _score(
    settings: ColumnSettings,
    baseline: BaselineRecord,
    counts: SourceCounts,
) -> Scored:
    name = settings.name
    error = counts.errors.get(name)
    if isinstance(error, ColumnTypeChangedError):
        failed = failed_column_result(name, str(error), baseline=baseline, role=settings.role)
        return Scored(replace(failed, status=TYPE_CHANGED))
    if error is not None:
        return Scored(failed_column_result(name, str(error), baseline=baseline, role=settings.role))
    live = counts.histograms.get(name)
    if live is None:
        return Scored(
            failed_column_result(name, "the source returned no counts", baseline=baseline, role=settings.role)
        )
    try:
        comparison = compare(
            baseline.histogram,
            live,
            alpha=settings.alpha,
            min_samples=settings.min_samples,
            top_k=TOP_BINS,
        )
    except ValueError as exc:  # core refuses counts that do not fit the baseline's bins
        return Scored(
            failed_column_result(name, f"cannot compare: {exc}", baseline=baseline, role=settings.role)
        )
    result = _configured(column_result(comparison, baseline, role=settings.role), settings.statistics)
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
            out[name] = Scored(failed_column_result(name, f"no baseline: {reason}", role=settings.role))
        else:
            out[name] = _score(settings, baseline, counts)
    return out


def scored_status(result: ColumnResultInput) -> str:
    """Return the status a column counts as in its run's: a type change is ok if compared, else failed."""
    if result.status == TYPE_CHANGED:
        return "ok" if result.live_counts is not None else "failed"
    return result.status


def run_status(statuses: Sequence[str]) -> str:
    """Return the run's status from its columns': failed, partial, insufficient_data or succeeded.

    Pass each column's scored_status() (a type change counts as ok or failed).
    """
    if not statuses or all(s == "failed" for s in statuses):
        return "failed"
    if any(s == "failed" for s in statuses):
        return "partial"
    if all(s == "insufficient_data" for s in statuses):
        return "insufficient_data"
    return "succeeded"


def run_error(results: Sequence[ColumnResultInput]) -> str | None:
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


def column_outcome(
    monitor: str, window: Window, r: ColumnResultInput, comparison: Comparison | None
) -> ColumnOutcome:
    """Return what a run reports for one column it just scored."""
    return ColumnOutcome(
        monitor=monitor,
        column=r.column,
        window_start=window.start,
        window_end=window.end,
        status=r.status,
        role=r.role,
        kind=r.kind,
        baseline_version=r.baseline_version,
        n_reference=r.n_reference,
        n_live=r.n_live,
        p_value=r.p_value,
        scores=dict(r.statistics),
        null_levels=dict(r.null),
        top_bins=comparison.top_bins if comparison is not None else (),
        error=r.error,
    )
