"""What the jobs return: a run's outcome per column, its alert transitions, baseline fits, backfills.

A run's columns are results.ResultRecord, as the store keeps them. `to_dict()` gives JSON-ready
data (NaN becomes None).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from driftmon.alerts import Notification, Transition
from driftmon.core import BinContribution
from driftmon.results import ResultRecord
from driftmon.windows import TimeRange, Window

# Why a run did not compute its window: done before, running elsewhere, or failed and not retried.
Skip = Literal["already_done", "in_progress", "failed_not_retried"]


def _time(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


@dataclass(frozen=True)
class AlertChange:
    """An alert transition a run caused and stored (as alert event `event_id`)."""

    monitor: str
    column: str
    role: str
    transition: Transition
    top_bins: tuple[BinContribution, ...] = ()
    run_id: int | None = None
    event_id: int | None = None

    def notification(self, result_path: str | None = None, page_path: str | None = None) -> Notification:
        """Return what a notifier sends for this transition."""
        return Notification(
            self.monitor, self.column, self.role, self.transition, self.top_bins, result_path, page_path
        )

    def to_dict(self) -> dict[str, Any]:
        return {"monitor": self.monitor, "column": self.column, "role": self.role} | self.transition.to_dict()


@dataclass(frozen=True)
class FittedBaseline:
    """A baseline version stored by a fit."""

    column: str
    version: int
    kind: str
    n: int
    n_bins: int


@dataclass(frozen=True)
class BaselineFitOutcome:
    """What a baseline fit stored, and which columns (or the whole reference) failed and why."""

    monitor: str
    span: TimeRange | None
    source: str
    fitted: tuple[FittedBaseline, ...] = ()
    errors: Mapping[str, str] = field(default_factory=dict)
    rows: int = 0
    sampled: bool = False
    error: str | None = None


@dataclass(frozen=True)
class RunOutcome:
    """The outcome of one window of one monitor, whether computed now or stored before.

    `skipped` says why the window was not computed by this call (its stored result is shown
    instead); `stored` is False only when the store itself could not be written or read.
    """

    monitor: str
    window: Window
    status: str  # succeeded | partial | failed | insufficient_data | running
    started_at: datetime
    duration_seconds: float = 0.0
    run_id: int | None = None
    attempt: int | None = None
    finished_at: datetime | None = None
    rows_read: int | None = None
    columns: tuple[ResultRecord, ...] = ()
    transitions: tuple[AlertChange, ...] = ()
    baselines: tuple[FittedBaseline, ...] = ()
    skipped: Skip | None = None
    stored: bool = True
    error: str | None = None
    warnings: tuple[str, ...] = ()  # e.g. the window overlaps the reference period

    @property
    def failed_columns(self) -> tuple[ResultRecord, ...]:
        # A type change that could not be compared has no scores: it failed like any column.
        return tuple(
            c
            for c in self.columns
            if c.status == "failed" or (c.status == "type_changed" and c.n_live is None)
        )

    def to_dict(self) -> dict[str, Any]:
        """Return the run as JSON-ready data (the `driftmon run --json` document)."""
        return {
            "monitor": self.monitor,
            "window_start": self.window.start.isoformat(),
            "window_end": self.window.end.isoformat(),
            "status": self.status,
            "skipped": self.skipped,
            "run_id": self.run_id,
            "attempt": self.attempt,
            "started_at": _time(self.started_at),
            "finished_at": _time(self.finished_at),
            "duration_seconds": round(self.duration_seconds, 6),
            "rows_read": self.rows_read,
            "error": self.error,
            "warnings": list(self.warnings),
            "baselines_fitted": [
                {"column": b.column, "version": b.version, "kind": b.kind, "n": b.n} for b in self.baselines
            ],
            "columns": [c.to_dict() for c in self.columns],
            "alerts": [t.to_dict() for t in self.transitions],
        }


@dataclass(frozen=True)
class BackfillOutcome:
    """Every window of a backfill: the runs it made and the windows it skipped.

    `skipped` were already stored; `before_data` end before the source's first row (or inside a
    reference range of the monitor's own data) and were not run.
    """

    monitor: str
    windows: tuple[Window, ...]
    runs: tuple[RunOutcome, ...] = ()
    skipped: tuple[Window, ...] = ()
    before_data: tuple[Window, ...] = ()

    def count(self, status: str) -> int:
        """Return how many runs of this backfill ended with `status`."""
        return sum(1 for r in self.runs if r.skipped is None and r.status == status)

    @property
    def failed(self) -> tuple[RunOutcome, ...]:
        return tuple(r for r in self.runs if r.status == "failed")
