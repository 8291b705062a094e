"""Baselines: fit them from a monitor's reference, and find (or fit) the ones a run scores against.

A fit reads the reference once through the monitor's reference source (a fixed range of its
own data, other data of the same source, or a rolling period before now), fits each column's
bins with its settings (the kind inferred from the data when not configured), counts the
reference over them and stores a new, active version per column; old versions are kept.

A run uses each column's active baseline and fits one the first time a column has none. A
rolling reference is refitted when its period has moved on (every `refit_every`): the new
versions become active and the old ones stay stored. Backfilled windows are scored against
the baseline in force at the time the run happens, not at the window's time.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from driftmon.config import ColumnSettings, MonitorConfig, format_duration
from driftmon.errors import SourceError
from driftmon.jobs.errors import source_failure, store_failure
from driftmon.jobs.outcome import BaselineFitOutcome, FittedBaseline
from driftmon.sources import ReferenceFit, Source, fit_reference, monitor_reader
from driftmon.store import BaselineRecord, active_baseline, add_baseline, lock_monitor
from driftmon.windows import TimeRange, reference_range

log = logging.getLogger(__name__)


def reference_span(monitor: MonitorConfig, now: datetime) -> TimeRange | None:
    """Return the time range the reference covers when fitted at `now` (None: all of its rows)."""
    span = reference_range(monitor, now)
    return None if span.start is None and span.end is None else span


def _description(
    monitor: MonitorConfig,
    settings: ColumnSettings,
    source: Source,
    span: TimeRange | None,
    fit: ReferenceFit,
) -> dict[str, object]:
    ref = monitor.reference
    return {
        "mode": ref.mode,
        "source": source.description,
        "all_rows": span is None,  # the whole source (a training set): no time range, no timestamp
        "start": span.start.isoformat() if span is not None and span.start is not None else None,
        "end": span.end.isoformat() if span is not None and span.end is not None else None,
        "previous": format_duration(ref.previous) if ref.previous is not None else None,
        "refit_every": format_duration(ref.refit_interval) if ref.refit_interval is not None else None,
        "rows": fit.rows,
        "sampled": fit.sampled,
        "settings": {
            "kind": settings.kind,
            "method": settings.method,
            "n_bins": settings.n_bins,
            "edges": list(settings.edges) if settings.edges is not None else None,
            "top_k": settings.top_k,
            "coverage": settings.coverage,
        },
    }


@dataclass
class _Fit:
    records: dict[str, BaselineRecord] = field(default_factory=dict)
    adopted: set[str] = field(default_factory=set)  # stored by a concurrent fit, used as they are
    errors: dict[str, str] = field(default_factory=dict)
    rows: int = 0
    sampled: bool = False
    error: str | None = None


def _fit(
    monitor: MonitorConfig,
    settings: Sequence[ColumnSettings],
    sessions: sessionmaker[Session],
    now: datetime,
    source: Source,
    span: TimeRange | None,
    *,
    keep_newer: bool,
) -> _Fit:
    """Fit and store baselines for `settings`; with `keep_newer`, a concurrent fit's versions win."""
    out = _Fit()
    try:
        fit = fit_reference(source, settings, span)
    except (SourceError, ValueError, OSError) as exc:  # a source that cannot be read, or its data
        out.error = f"cannot read the reference: {source_failure(source, exc)}"
        return out
    out.rows, out.sampled = fit.rows, fit.sampled
    out.errors = {name: f"cannot fit a baseline: {err}" for name, err in fit.errors.items()}
    by_name = {s.name: s for s in settings}
    try:
        with sessions() as session, session.begin():
            if keep_newer and fit.histograms:
                # Another process fitting the same columns waits here until this store commits
                # (or the other way round), then reads and uses the versions stored first.
                lock_monitor(session, monitor.name, now=now)
            for name, histogram in fit.histograms.items():
                column = by_name[name]
                if keep_newer:
                    # Another worker may have stored a fit since this one started: use theirs.
                    current = active_baseline(session, monitor.name, name)
                    if current is not None and not _needs_fit(monitor, current, span):
                        out.records[name] = current
                        out.adopted.add(name)
                        continue
                out.records[name] = add_baseline(
                    session,
                    monitor.name,
                    name,
                    histogram.spec,
                    histogram.counts,
                    reference=_description(monitor, column, source, span, fit),
                    fitted_at=now,
                    role=column.role,
                    now=now,
                )
    except Exception as exc:
        failure = store_failure(exc)
        if failure is None:
            raise
        out.records.clear()
        out.adopted.clear()
        out.error = f"cannot store the baselines: {failure}"
    return out


def _fitted(records: Iterable[BaselineRecord]) -> tuple[FittedBaseline, ...]:
    return tuple(FittedBaseline(r.column, r.version, r.kind, r.n, r.spec.n_bins) for r in records)


def fit_baselines(
    monitor: MonitorConfig,
    *,
    sessions: sessionmaker[Session],
    now: datetime,
    columns: Sequence[str] | None = None,
    source: Source | None = None,
) -> BaselineFitOutcome:
    """Fit and store a new active baseline version per column from the monitor's reference.

    Raises KeyError for a column the monitor does not watch; source and store failures are
    reported in the outcome, with nothing stored when the store write fails.
    """
    settings = (
        [monitor.column_settings(name) for name in columns] if columns else monitor.all_column_settings()
    )
    span = reference_span(monitor, now)
    with monitor_reader(monitor, source, reference=True) as reader:
        fit = _fit(monitor, settings, sessions, now, reader, span, keep_newer=False)
    return BaselineFitOutcome(
        monitor=monitor.name,
        span=span,
        source=reader.description,
        fitted=_fitted(fit.records.values()),
        errors=fit.errors,
        rows=fit.rows,
        sampled=fit.sampled,
        error=fit.error,
    )


def _needs_fit(monitor: MonitorConfig, baseline: BaselineRecord | None, span: TimeRange | None) -> bool:
    """Tell whether a column needs a fit: it has no baseline, or a rolling reference moved on since."""
    if baseline is None:
        return True
    if monitor.reference.mode != "rolling" or span is None or span.end is None:
        return False
    end = baseline.reference.get("end")
    if not isinstance(end, str):
        return True
    try:
        return datetime.fromisoformat(end) < span.end
    except ValueError:
        return True


@dataclass(frozen=True)
class BaselineSet:
    """The baselines a run scores against, why columns have none, what was fitted, and warnings."""

    baselines: dict[str, BaselineRecord]
    errors: dict[str, str]
    fitted: tuple[FittedBaseline, ...]
    warnings: tuple[str, ...]


def active_baselines(
    monitor: MonitorConfig,
    *,
    sessions: sessionmaker[Session],
    now: datetime,
    source: Source | None = None,
) -> BaselineSet:
    """Return each column's active baseline, fitting missing ones and refitting a rolling reference.

    Store failures propagate (the caller reports them); reference failures become per-column
    errors, except that a failed rolling refit keeps the previous version in use (a warning).
    """
    settings = monitor.all_column_settings()
    with sessions() as session:
        found = {s.name: active_baseline(session, monitor.name, s.name) for s in settings}
    span = reference_span(monitor, now)
    todo = [s for s in settings if _needs_fit(monitor, found[s.name], span)]
    baselines = {name: b for name, b in found.items() if b is not None}
    if not todo:
        return BaselineSet(baselines, {}, (), ())
    with monitor_reader(monitor, source, reference=True) as reader:
        fit = _fit(monitor, todo, sessions, now, reader, span, keep_newer=True)
    errors: dict[str, str] = {}
    warnings: list[str] = []
    for column in todo:
        name = column.name
        if name in fit.records:
            baselines[name] = fit.records[name]
            continue
        reason = fit.error or fit.errors.get(name, "cannot fit a baseline: the reference has no such column")
        if name in baselines:
            kept = baselines[name].version
            warnings.append(f"column {name!r}: rolling reference not refitted, keeping v{kept}: {reason}")
            log.warning("monitor %s: %s", monitor.name, warnings[-1])
        else:
            errors[name] = reason
    fitted = _fitted(r for name, r in fit.records.items() if name not in fit.adopted)
    return BaselineSet(baselines, errors, fitted, tuple(warnings))
