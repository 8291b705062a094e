"""Work from stored counts only: roll windows up exactly, and re-score a window with another alpha."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

import numpy as np
import sqlalchemy as sa
from sqlalchemy.orm import Session

from driftmon.core import DEFAULT_MIN_SAMPLES, PRIMARY_STATISTIC, Comparison, Histogram, compare
from driftmon.core.calibration import CalibrationMethod
from driftmon.store.baselines import get_baseline
from driftmon.store.errors import BaselineMismatchError, NoStoredCountsError, StoreInputError
from driftmon.store.models import Baseline, ColumnResult, Monitor, Run
from driftmon.store.queries import _windows_within, get_result
from driftmon.store.records import BaselineRecord
from driftmon.store.types import check_aware


class ResultKey(NamedTuple):
    """A column result named by its series and window instead of its id."""

    monitor: str
    column: str
    window_start: datetime
    window_end: datetime


@dataclass(frozen=True, eq=False)
class Rollup:
    """Live counts summed over stored windows, and the baseline they were all counted against."""

    histogram: Histogram
    baseline: BaselineRecord
    windows: tuple[tuple[datetime, datetime], ...]

    def compare(self, *, alpha: float, min_samples: int = DEFAULT_MIN_SAMPLES) -> Comparison:
        """Score the rolled-up window against its baseline."""
        return compare(self.baseline.histogram, self.histogram, alpha=alpha, min_samples=min_samples)


def rollup(session: Session, monitor: str, column: str, start: datetime, end: datetime) -> Rollup:
    """Sum the stored live counts of the column's windows inside [start, end) (hourly -> daily, exactly).

    Windows whose column failed hold no counts and are left out: compare `windows` with the
    windows you expected. Windows scored against different baseline versions, or windows that
    overlap (a changed schedule), cannot be summed and raise a clear error.
    """
    lo, hi = check_aware(start, "start"), check_aware(end, "end")
    if hi <= lo:
        raise StoreInputError(f"roll-up range end {hi.isoformat()} is not after its start {lo.isoformat()}")
    rows = session.execute(
        sa.select(ColumnResult.live_counts, Baseline.version, Run.window_start, Run.window_end)
        .join(Run, Run.id == ColumnResult.run_id)
        .join(Monitor, Monitor.id == Run.monitor_id)
        .join(Baseline, Baseline.id == ColumnResult.baseline_id)
        .where(
            ColumnResult.column_name == column,
            ColumnResult.live_counts.is_not(None),
            *_windows_within(monitor, lo, hi),
        )
        .order_by(Run.window_start, Run.window_end)
    ).all()
    what = f"monitor {monitor!r} column {column!r} in [{lo.isoformat()}, {hi.isoformat()})"
    if not rows:
        raise NoStoredCountsError(f"no stored live counts for {what}")
    by_version: dict[int, list[str]] = {}
    for _, version, w_start, w_end in rows:
        by_version.setdefault(version, []).append(f"{w_start.isoformat()}..{w_end.isoformat()}")
    if len(by_version) > 1:
        detail = "; ".join(
            f"v{v}: {len(ws)} windows from {ws[0]} to {ws[-1]}" for v, ws in sorted(by_version.items())
        )
        raise BaselineMismatchError(
            f"{what}: the windows were scored against different baseline versions ({detail}); "
            "roll up each version's range separately"
        )
    for (_, _, _, prev_end), (_, _, w_start, w_end) in itertools.pairwise(rows):
        if w_start < prev_end:
            raise StoreInputError(
                f"{what}: window {w_start.isoformat()}..{w_end.isoformat()} overlaps the window ending "
                f"{prev_end.isoformat()}; summing them would count rows twice"
            )
    baseline = get_baseline(session, monitor, column, rows[0].version)
    total = np.zeros(baseline.spec.n_bins, dtype=np.int64)
    for counts, *_ in rows:
        total += np.asarray(counts, dtype=np.int64)
    return Rollup(
        Histogram(baseline.spec, total), baseline, tuple((r.window_start, r.window_end) for r in rows)
    )


def rescore(
    session: Session,
    result: int | ResultKey,
    *,
    alpha: float,
    min_samples: int = DEFAULT_MIN_SAMPLES,
    calibration: CalibrationMethod = "auto",
    seed: int | None = None,
    top_k: int = 5,
    primary: str = PRIMARY_STATISTIC,
) -> Comparison:
    """Re-compare a stored window with its baseline under another smoothing alpha, from counts alone."""
    if isinstance(result, ResultKey):  # its fields are get_result's keywords
        stored = get_result(session, **result._asdict())
    else:
        stored = get_result(session, result)
    if stored.live_counts is None or stored.baseline_version is None:
        raise NoStoredCountsError(
            f"monitor {stored.monitor!r} column {stored.column!r} window ending "
            f"{stored.window_end.isoformat()} has no stored counts to re-score "
            f"(its status is {stored.status!r})"
        )
    baseline = get_baseline(session, stored.monitor, stored.column, stored.baseline_version)
    live = Histogram(baseline.spec, np.asarray(stored.live_counts, dtype=np.int64))
    return compare(
        baseline.histogram,
        live,
        alpha=alpha,
        min_samples=min_samples,
        calibration=calibration,
        seed=seed,
        top_k=top_k,
        primary=primary,
    )
