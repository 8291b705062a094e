"""Plain, immutable records the repository functions return (never live ORM objects)."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from driftmon.core import BinSpec, Histogram
from driftmon.results import ResultRecord

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

R = TypeVar("R", bound="DataclassInstance")


def from_row(record: type[R], row: object, **given: Any) -> R:
    """Build `record` from an ORM row: the fields in `given` as passed, each other field the
    row's attribute of the same name (a record's `column` is the row's `column_name`)."""
    names = [f.name for f in fields(record) if f.name not in given]
    return record(**given, **{n: getattr(row, "column_name" if n == "column" else n) for n in names})


# A run in one of these states is finished for good: claim_run never hands it out again.
DONE_STATUSES = ("succeeded", "insufficient_data", "partial")


@dataclass(frozen=True, eq=False)
class BaselineRecord:
    """One stored baseline version: its frozen bins and the reference histogram over them."""

    id: int
    monitor: str
    column: str
    version: int
    kind: str
    role: str
    histogram: Histogram
    reference: dict[str, Any]
    fitted_at: datetime
    created_at: datetime
    spec_hash: str
    content_hash: str
    active: bool

    @property
    def spec(self) -> BinSpec:
        return self.histogram.spec

    @property
    def n(self) -> int:
        return self.histogram.n


@dataclass(frozen=True, slots=True)
class RunRecord:
    id: int
    monitor: str
    window_start: datetime
    window_end: datetime
    status: str
    started_at: datetime
    finished_at: datetime | None
    attempts: int
    error: str | None
    rows_read: int | None

    @property
    def done(self) -> bool:
        return self.status in DONE_STATUSES


@dataclass(frozen=True, slots=True)
class Claim:
    """claim_run's answer: the run row, and whether this caller now owns the window."""

    run: RunRecord
    claimed: bool

    @property
    def outcome(self) -> Literal["claimed", "done", "in_progress", "failed"]:
        """Return claimed, done (finished for good), in_progress (another worker) or failed (not retried)."""
        if self.claimed:
            return "claimed"
        if self.run.done:
            return "done"
        return "in_progress" if self.run.status == "running" else "failed"


@dataclass(frozen=True, slots=True)
class RunDetail:
    run: RunRecord
    results: tuple[ResultRecord, ...]


@dataclass(frozen=True, slots=True)
class AlertEventRecord:
    """An alert transition: firing (warning or critical) or resolved (the API's alert document)."""

    id: int
    monitor: str
    column: str
    statistic: str
    severity: str
    state: str
    at: datetime
    window_start: datetime | None
    window_end: datetime | None
    run_id: int | None
    value: float | None
    threshold: float | None
    p_value: float | None
    details: dict[str, Any] | None
