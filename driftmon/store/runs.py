"""Runs: claim a window (at most one worker computes it), then finish it in one transaction.

Functions flush but never commit: the caller owns the transaction. The intended shape is

    with sessions() as s, s.begin():
        claim = claim_run(s, monitor, start, end, now=now, stale_after=timedelta(minutes=30))
    if claim.claimed:
        ...count and compare...
        with sessions() as s, s.begin():
            finish_run(s, claim, status="succeeded", finished_at=now, results=[...])

A process killed between the two transactions leaves the run `running`; once it is older than
`stale_after` the next claim_run takes it over. finish_run is fenced by the claim's attempt
number, so a worker that lost its claim cannot overwrite the new owner's results.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from driftmon.results import ResultRecord
from driftmon.store.errors import RunNotClaimedError, StoreError, StoreInputError
from driftmon.store.models import RUN_STATUSES, ColumnResult, Monitor, Run
from driftmon.store.monitors import ensure_monitor, mark_changed
from driftmon.store.records import Claim, RunRecord, from_row
from driftmon.store.results import point_latest, repoint_latest, result_rows
from driftmon.store.types import Base, check_aware

FINAL_STATUSES = tuple(s for s in RUN_STATUSES if s != "running")
_RESULTS = Base.metadata.tables["column_results"]


def claim_run(
    session: Session,
    monitor: str,
    window_start: datetime,
    window_end: datetime,
    *,
    now: datetime,
    stale_after: timedelta,
) -> Claim:
    """Claim the window [start, end) of `monitor` for this worker, or say why not.

    A new window is inserted as `running` and claimed. An existing one is claimed again only
    when it is `failed` or `running` since before now - stale_after (its worker died);
    otherwise the Claim reports it done or in progress. Safe under concurrency: the unique key
    and a compare-and-set UPDATE let exactly one contender win.
    """
    start = check_aware(window_start, "window_start")
    end = check_aware(window_end, "window_end")
    at = check_aware(now, "now")
    if end <= start:
        raise StoreInputError(
            f"monitor {monitor!r}: window_end {end.isoformat()} is not after window_start {start.isoformat()}"
        )
    if stale_after <= timedelta(0):
        raise StoreInputError(f"stale_after must be a positive duration, got {stale_after!r}")
    mid = ensure_monitor(session, monitor, now=at)
    try:
        with session.begin_nested():
            new_id = session.execute(
                sa.insert(Run)
                .values(
                    monitor_id=mid,
                    window_start=start,
                    window_end=end,
                    status="running",
                    started_at=at,
                    attempts=1,
                )
                .returning(Run.id)
            ).scalar_one()
        return Claim(RunRecord(new_id, monitor, start, end, "running", at, None, 1, None, None), claimed=True)
    except IntegrityError:
        pass  # the window exists: decide from its state below
    existing = session.execute(
        sa.select(Run)
        .where(Run.monitor_id == mid, Run.window_start == start, Run.window_end == end)
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if existing is None:
        raise StoreError(
            f"monitor {monitor!r} window {start.isoformat()}..{end.isoformat()} vanished while being claimed"
        )
    run = from_row(RunRecord, existing, monitor=monitor)
    stale = run.status == "running" and run.started_at < at - stale_after
    if not (stale or run.status == "failed"):
        return Claim(run, claimed=False)
    # Compare-and-set on (status, attempts): of several contenders only one matches.
    restart: dict[str, Any] = {
        "status": "running",
        "started_at": at,
        "finished_at": None,
        "error": None,
        "rows_read": None,
        "attempts": run.attempts + 1,
    }
    taken = session.execute(
        sa.update(Run)
        .where(Run.id == run.id, Run.status == run.status, Run.attempts == run.attempts)
        .values(restart)
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount != 1:  # type: ignore[attr-defined]
        # Another contender won: report the run as it now stands.
        query = sa.select(Run).where(Run.id == run.id).execution_options(populate_existing=True)
        return Claim(from_row(RunRecord, session.execute(query).scalar_one(), monitor=monitor), claimed=False)
    # A retried window starts clean: drop what its failed attempt stored.
    columns = list(
        session.execute(sa.select(ColumnResult.column_name).where(ColumnResult.run_id == run.id)).scalars()
    )
    if columns:
        session.execute(
            sa.delete(ColumnResult)
            .where(ColumnResult.run_id == run.id)
            .execution_options(synchronize_session=False)
        )
        repoint_latest(session, mid, columns)
        mark_changed(session, mid)
    return Claim(replace(run, **restart), claimed=True)


def finish_run(
    session: Session,
    claim: Claim,
    *,
    status: str,
    finished_at: datetime,
    results: Sequence[ResultRecord] = (),
    error: str | None = None,
    rows_read: int | None = None,
) -> RunRecord:
    """Store the run's outcome and all its column results at once (the caller commits once).

    Everything is checked before the first write, so a bad result raises with nothing
    written. Raises RunNotClaimedError when another worker has taken the run over since.
    """
    if not claim.claimed:
        raise StoreInputError(
            f"run {claim.run.id} was not claimed by this worker (outcome {claim.outcome!r})"
        )
    if status not in FINAL_STATUSES:
        raise StoreInputError(f"run status must be one of {', '.join(FINAL_STATUSES)}, got {status!r}")
    at = check_aware(finished_at, "finished_at")
    if rows_read is not None and (
        isinstance(rows_read, bool) or not isinstance(rows_read, int) or rows_read < 0
    ):
        raise StoreInputError(f"rows_read must be a non-negative integer or None, got {rows_read!r}")
    run = claim.run
    mid = session.execute(sa.select(Monitor.id).where(Monitor.name == run.monitor)).scalar_one()
    rows = result_rows(session, run.monitor, mid, run.id, results)
    # The monitor's row first, then the run's: the order a claim takes them in (upsert_monitor,
    # then the window), so a finish and a claim on two replicas cannot deadlock.
    mark_changed(session, mid)
    outcome: dict[str, Any] = {"status": status, "finished_at": at, "error": error, "rows_read": rows_read}
    done = session.execute(
        sa.update(Run)
        .where(Run.id == run.id, Run.status == "running", Run.attempts == run.attempts)
        .values(outcome)
        .execution_options(synchronize_session=False)
    )
    if done.rowcount != 1:  # type: ignore[attr-defined]
        current = session.execute(sa.select(Run.status, Run.attempts).where(Run.id == run.id)).first()
        state = "deleted" if current is None else f"{current.status}, attempt {current.attempts}"
        raise RunNotClaimedError(
            f"monitor {run.monitor!r} window {run.window_start.isoformat()}..{run.window_end.isoformat()}: "
            f"attempt {run.attempts} lost its claim (the run is now {state}); its results were not stored"
        )
    if rows:
        session.execute(sa.insert(_RESULTS), rows)
        ids = dict(
            session.execute(
                sa.select(_RESULTS.c.column_name, _RESULTS.c.id).where(_RESULTS.c.run_id == run.id)
            ).all()
        )
        stored = [row | {"id": ids[row["column_name"]]} for row in rows]
        versions = {r.column: r.baseline_version for r in results}
        point_latest(session, mid, run.id, (run.window_start, run.window_end), stored, versions)
    return replace(run, **outcome)
