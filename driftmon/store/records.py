"""Plain, immutable records the repository functions return (never live ORM objects)."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal, NamedTuple, TypeVar

import numpy as np
import numpy.typing as npt

from driftmon.core import STATISTICS, BinSpec, Histogram, NullLevel

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


@dataclass(frozen=True, slots=True)
class MonitorRecord:
    id: int
    name: str
    config_hash: str | None
    created_at: datetime
    updated_at: datetime


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

    @property
    def reference_counts(self) -> npt.NDArray[np.int64]:
        return self.histogram.counts


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
    reclaimed: bool = False

    @property
    def outcome(self) -> Literal["claimed", "done", "in_progress", "failed"]:
        """Return claimed, done (finished for good), in_progress (another worker) or failed (not retried)."""
        if self.claimed:
            return "claimed"
        if self.run.done:
            return "done"
        return "in_progress" if self.run.status == "running" else "failed"


# The fields of each statistic's null level, in NullLevel's order.
_NULL_FIELDS = {s: (f"{s}_null_expected", f"{s}_null_quantile", f"{s}_p_value") for s in STATISTICS}


def _null(result: ResultRecord, statistic: str) -> NullLevel | None:
    fields = _NULL_FIELDS.get(statistic)
    if fields is None:
        raise KeyError(f"unknown statistic {statistic!r}; known: {', '.join(STATISTICS)}")
    expected = getattr(result, fields[0])
    quantile = getattr(result, fields[1])
    p_value = getattr(result, fields[2])
    if expected is None or quantile is None or p_value is None:
        return None
    return NullLevel(expected, quantile, p_value)


class ResultRecord(NamedTuple):
    """One column's stored result for one window. NULL values are None.

    `p_value` is the primary statistic's; `<statistic>_p_value`, `_null_quantile` (the noise
    ceiling) and `_null_expected` (the no-drift mean) calibrate each statistic, and
    null(statistic) bundles them. The fields after `error` (how the result was scored, the
    alert states after its window, bin labels, counts and top bins) are read only by the
    queries that need them (get_result, get_run, window_results; column_history all but the
    bins): latest_results leaves them at their defaults. A NamedTuple because
    latest_results builds tens of thousands of these straight from database rows.
    """

    id: int
    run_id: int
    monitor: str
    column: str
    window_start: datetime
    window_end: datetime
    status: str
    kind: str | None
    role: str
    baseline_version: int | None
    n_reference: int | None
    n_live: int | None
    p_value: float | None
    kl_live_ref: float | None
    kl_ref_live: float | None
    js_divergence: float | None
    js_distance: float | None
    psi: float | None
    hellinger: float | None
    kl_live_ref_p_value: float | None
    kl_ref_live_p_value: float | None
    js_divergence_p_value: float | None
    js_distance_p_value: float | None
    psi_p_value: float | None
    hellinger_p_value: float | None
    kl_live_ref_null_quantile: float | None
    kl_ref_live_null_quantile: float | None
    js_divergence_null_quantile: float | None
    js_distance_null_quantile: float | None
    psi_null_quantile: float | None
    hellinger_null_quantile: float | None
    kl_live_ref_null_expected: float | None
    kl_ref_live_null_expected: float | None
    js_divergence_null_expected: float | None
    js_distance_null_expected: float | None
    psi_null_expected: float | None
    hellinger_null_expected: float | None
    error: str | None
    alpha: float | None = None
    calibration_method: str | None = None
    primary_statistic: str | None = None
    alert_states: dict[str, str] | None = None
    """Each alert rule's severity after this window (None: not read, or the window was not evaluated)."""
    labels: tuple[str, ...] | None = None
    live_counts: tuple[int, ...] | None = None
    reference_counts: tuple[int, ...] | None = None
    top_bins: tuple[dict[str, Any], ...] = ()

    def statistics(self) -> dict[str, float | None]:
        """Return every statistic by name."""
        return {name: getattr(self, name) for name in STATISTICS}

    def null(self, statistic: str) -> NullLevel | None:
        """Return the statistic's no-drift calibration, or None when it was not computed."""
        return _null(self, statistic)


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
