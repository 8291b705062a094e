"""Column results to write: checked, stored, and kept as the latest per series."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.orm import Session

from driftmon.core import STATISTICS
from driftmon.results import ResultRecord
from driftmon.store.baselines import check_role, unknown_baseline
from driftmon.store.errors import InvalidCountsError, StoreInputError
from driftmon.store.models import RESULT_STATUSES, Baseline, Run
from driftmon.store.monitors import upsert_insert
from driftmon.store.types import MAX_STATISTIC_LENGTH, Base, check_name, finite_or_none


def _check_counts(result: ResultRecord, n_bins: int, where: str) -> list[int] | None:
    if result.live_counts is None:
        if result.status not in ("failed", "type_changed"):
            raise InvalidCountsError(f"{where}: a result with status {result.status!r} needs its live counts")
        return None
    counts = np.asarray(result.live_counts)
    if counts.ndim != 1 or counts.shape[0] != n_bins:
        raise InvalidCountsError(
            f"{where}: {counts.shape[0] if counts.ndim == 1 else counts.shape} live counts but baseline "
            f"v{result.baseline_version} has {n_bins} bins"
        )
    if counts.dtype.kind not in "iu" or np.any(counts < 0):
        raise InvalidCountsError(f"{where}: live counts must be non-negative integers")
    if result.n_live is not None and int(counts.sum()) != result.n_live:
        raise InvalidCountsError(
            f"{where}: n_live is {result.n_live} but the live counts sum to {counts.sum()}"
        )
    return [int(c) for c in counts]


def result_rows(
    session: Session, monitor: str, monitor_id: int, run_id: int, results: Sequence[ResultRecord]
) -> list[dict[str, Any]]:
    """Check every result and resolve its baseline; return the rows to insert (nothing written)."""
    seen: set[str] = set()
    for r in results:
        check_name(r.column, "column name")
        if r.column in seen:
            raise StoreInputError(f"monitor {monitor!r}: column {r.column!r} has two results in one run")
        seen.add(r.column)
    wanted = {(r.column, r.baseline_version) for r in results if r.baseline_version is not None}
    baselines: dict[tuple[str, int], tuple[int, int, str]] = {}
    if wanted:
        rows = session.execute(
            sa.select(
                Baseline.column_name, Baseline.version, Baseline.id, Baseline.n_bins, Baseline.kind
            ).where(
                Baseline.monitor_id == monitor_id,
                sa.tuple_(Baseline.column_name, Baseline.version).in_(sorted(wanted)),
            )
        )
        baselines = {(c, v): (i, n, k) for c, v, i, n, k in rows}
    out = []
    for r in results:
        where = f"monitor {monitor!r} column {r.column!r}"
        check_role(r.role, where)
        if r.status not in RESULT_STATUSES:
            raise StoreInputError(
                f"{where}: result status must be one of {', '.join(RESULT_STATUSES)}, got {r.status!r}"
            )
        if r.status != "failed" and r.baseline_version is None:
            raise StoreInputError(
                f"{where}: a result with status {r.status!r} needs the baseline version it was scored against"
            )
        baseline_id, n_bins, kind = None, 0, r.kind
        if r.baseline_version is not None:
            if (r.column, r.baseline_version) not in baselines:
                raise unknown_baseline(session, monitor, r.column, r.baseline_version)
            baseline_id, n_bins, kind = baselines[(r.column, r.baseline_version)]
        unknown = set(r.scores) - set(STATISTICS) or set(r.null_levels) - set(STATISTICS)
        if unknown:
            raise StoreInputError(
                f"{where}: unknown statistics {sorted(unknown)}; known: {', '.join(STATISTICS)}"
            )
        if r.primary_statistic is not None:
            check_name(r.primary_statistic, f"{where}: primary statistic", MAX_STATISTIC_LENGTH)
        row: dict[str, Any] = {
            "run_id": run_id,
            "column_name": r.column,
            "baseline_id": baseline_id,
            "kind": kind,
            "role": r.role,
            "status": r.status,
            "error": r.error,
            "n_reference": r.n_reference,
            "n_live": r.n_live,
            "live_counts": _check_counts(r, n_bins, where),
            "alpha": finite_or_none(r.alpha),
            "calibration_method": r.calibration_method,
            "primary_statistic": r.primary_statistic,
            "p_value": finite_or_none(r.p_value),
            "top_bins": [b.to_dict() for b in r.top_bins] or None,
        }
        for name in STATISTICS:
            row[name] = finite_or_none(r.scores.get(name))
            level = r.null_levels.get(name)
            row[f"{name}_null_expected"] = finite_or_none(level.expected) if level else None
            row[f"{name}_null_quantile"] = finite_or_none(level.quantile) if level else None
            row[f"{name}_p_value"] = finite_or_none(level.p_value) if level else None
        out.append(row)
    return out


_LATEST = Base.metadata.tables["latest_results"]
_LATEST_KEYS = ("monitor_id", "column_name")
# The summary columns copied from a column result into latest_results.
SCORE_COLUMNS = tuple(
    c.name
    for c in _LATEST.columns
    if c.name not in (*_LATEST_KEYS, "result_id", "run_id", "window_start", "window_end", "baseline_version")
)


def point_latest(
    session: Session,
    monitor_id: int,
    run_id: int,
    window: tuple[datetime, datetime],
    rows: Sequence[Mapping[str, Any]],
    versions: Mapping[str, int | None],
) -> None:
    """Copy the run's column results into latest_results unless a later window is already there.

    `rows` are stored column_results rows (with their ids); `versions` maps a column to the
    baseline version it was scored against.
    """
    if not rows:
        return
    stmt = upsert_insert(session, _LATEST)
    stmt = stmt.on_conflict_do_update(
        index_elements=list(_LATEST_KEYS),
        set_={c.name: stmt.excluded[c.name] for c in _LATEST.columns if c.name not in _LATEST_KEYS},
        where=_LATEST.c.window_end <= stmt.excluded.window_end,
    )
    params = [
        {name: row[name] for name in SCORE_COLUMNS}
        | {
            "monitor_id": monitor_id,
            "column_name": row["column_name"],
            "result_id": row["id"],
            "run_id": run_id,
            "window_start": window[0],
            "window_end": window[1],
            "baseline_version": versions.get(row["column_name"]),
        }
        for row in rows
    ]
    session.execute(stmt, params)


def repoint_latest(session: Session, monitor_id: int, columns: Sequence[str]) -> None:
    """Copy the newest stored window's result of each column into latest_results (after a removal)."""
    results = Base.metadata.tables["column_results"]
    for column in columns:
        session.execute(
            sa.delete(_LATEST).where(_LATEST.c.monitor_id == monitor_id, _LATEST.c.column_name == column)
        )
        newest = session.execute(
            sa.select(results, Run.window_start, Run.window_end, Baseline.version)
            .join(Run, Run.id == results.c.run_id)
            .outerjoin(Baseline, Baseline.id == results.c.baseline_id)
            .where(Run.monitor_id == monitor_id, results.c.column_name == column)
            .order_by(Run.window_end.desc())
            .limit(1)
        ).first()
        if newest is not None:
            row = newest._asdict()
            point_latest(
                session,
                monitor_id,
                row["run_id"],
                (row["window_start"], row["window_end"]),
                [row],
                {column: row["version"]},
            )
