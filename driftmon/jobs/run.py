"""run_window(): score one window of one monitor and store everything it found in one transaction.

1. Claim the window in the store (its unique key): a window already done is reported from the
   store and not computed again; one running elsewhere is left alone.
2. Find each column's active baseline, fitting one the first time (see jobs.baselines).
3. Count the live window through the source, one pass for all columns.
4. Compare each column with its baseline (the monitor's alpha and min_samples).
5. In one transaction: the run's status, rows read and error, every column result, the alert
   states moved by this window and the transitions they caused (alert events).

A window that overlaps the monitor's fixed reference period is scored all the same, with a
warning logged, kept in the outcome's `warnings` and appended to the stored run's error text.

Data problems never raise: a source that cannot be read fails the run, a bad column fails that
column (the run is partial), and a store that cannot be reached or written is reported in the
outcome with nothing half-written (a claimed run left `running` is taken over once stale).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from driftmon.config import MonitorConfig, as_utc
from driftmon.core import Comparison
from driftmon.errors import SourceError
from driftmon.jobs.alerting import AlertEvaluation, evaluate_alerts
from driftmon.jobs.baselines import active_baselines
from driftmon.jobs.errors import source_failure, store_failure
from driftmon.jobs.outcome import FittedBaseline, RunOutcome, Skip
from driftmon.jobs.scoring import run_error, run_status, score_columns
from driftmon.jobs.stored import stored_outcome
from driftmon.results import ResultRecord
from driftmon.sources import Source, monitor_reader
from driftmon.store import Claim, RunNotClaimedError, claim_run, finish_run, upsert_monitor
from driftmon.windows import Window, describe, overlap_warning

log = logging.getLogger(__name__)

_SKIPS: dict[str, Skip] = {
    "done": "already_done",
    "in_progress": "in_progress",
    "failed": "failed_not_retried",
}


@dataclass
class _Computed:
    results: list[ResultRecord] = field(default_factory=list)
    compared: dict[str, Comparison] = field(default_factory=dict)
    rows_read: int | None = None
    failure: str | None = None  # the whole run failed (no source, no baseline at all)
    fitted: tuple[FittedBaseline, ...] = ()

    @property
    def status(self) -> str:
        return "failed" if self.failure is not None else run_status(self.results)

    @property
    def error(self) -> str | None:
        return self.failure if self.failure is not None else run_error(self.results)


def _compute(
    monitor: MonitorConfig,
    window: Window,
    sessions: sessionmaker[Session],
    now: datetime,
    source: Source | None,
    reference_source: Source | None,
) -> _Computed:
    out = _Computed()
    found = active_baselines(monitor, sessions=sessions, now=now, source=reference_source)
    out.fitted = found.fitted
    specs = {name: baseline.spec for name, baseline in found.baselines.items()}
    if not specs:
        reasons = set(found.errors.values())
        if len(reasons) == 1:  # one cause for every column (an unreadable reference): say it once
            out.failure = f"no column has a baseline: {reasons.pop()}"
        else:
            out.failure = "no column has a baseline: " + "; ".join(
                f"{c!r}: {e}" for c, e in found.errors.items()
            )
        return out
    with monitor_reader(monitor, source) as reader:
        try:
            counts = reader.count(specs, window)
        except (SourceError, ValueError, OSError) as exc:
            out.failure = source_failure(reader, exc)
            return out
    out.rows_read = counts.rows
    scored = score_columns(monitor, window, found.baselines, found.errors, counts)
    out.results = [s.result for s in scored.values()]
    out.compared = {name: s.comparison for name, s in scored.items() if s.comparison is not None}
    return out


def _abandon(sessions: sessionmaker[Session], claim: Claim, at: datetime, error: str) -> bool:
    """Best effort: mark the claimed run failed with `error` and no results; tell whether it worked."""
    try:
        with sessions() as session, session.begin():
            finish_run(session, claim, status="failed", finished_at=at, error=error)
    except Exception as exc:
        if store_failure(exc) is None:
            raise
        return False
    return True


def _fail_claimed(
    sessions: sessionmaker[Session], claim: Claim, at: datetime, exc: Exception, prefix: str
) -> tuple[str, bool]:
    """Mark the claimed run failed after `exc`; return the error and whether it was stored.

    A failure of the store becomes `prefix` and its reason. Anything else is a programming
    error: the run is marked failed with it and `exc` is raised again.
    """
    reason = store_failure(exc)
    if reason is None:
        _abandon(sessions, claim, at, f"internal error: {type(exc).__name__}: {exc}")
        raise exc
    error = f"{prefix}{reason}"
    return error, _abandon(sessions, claim, at, error)


def run_window(
    monitor: MonitorConfig,
    window: Window,
    *,
    sessions: sessionmaker[Session],
    now: datetime | None = None,
    source: Source | None = None,
    reference_source: Source | None = None,
    notify: bool = False,
) -> RunOutcome:
    """Score `window` of `monitor`, store it idempotently and return what happened.

    `now` (default: the current time) stamps the run, its alert events and any baseline fitted.
    `source` and `reference_source` are used (and left open) when given; otherwise they are
    opened from the config and closed. A window already stored comes back with `skipped`
    set and its stored results; a failed one is computed again. With
    `notify` (the service's runs), the alert transitions' notifications are queued in the
    store's outbox in the same transaction.
    """
    at = as_utc(now) if now is not None else datetime.now(UTC)
    clock = time.perf_counter()

    def elapsed() -> float:
        return time.perf_counter() - clock

    def failure(error: str, *, stored: bool, claim: Claim | None = None) -> RunOutcome:
        log.error("monitor %s window %s: run failed: %s", monitor.name, describe(window), error)
        return RunOutcome(
            monitor.name,
            window,
            "failed",
            at,
            elapsed(),
            run_id=claim.run.id if claim else None,
            attempt=claim.run.attempts if claim else None,
            finished_at=at + timedelta(seconds=elapsed()) if stored else None,
            stored=stored,
            error=error,
        )

    try:
        with sessions() as session, session.begin():
            upsert_monitor(session, monitor.name, monitor.config_hash(), now=at)
            claim = claim_run(
                session,
                monitor.name,
                window.start,
                window.end,
                now=at,
                stale_after=monitor.takeover,
            )
        if not claim.claimed:
            with sessions() as session:
                return stored_outcome(
                    session,
                    monitor.name,
                    window,
                    claim.run.id,
                    skipped=_SKIPS[claim.outcome],
                    column_order=tuple(c.name for c in monitor.columns),
                )
    except Exception as exc:
        reason = store_failure(exc)
        if reason is None:
            raise
        return failure(f"store: {reason}", stored=False)

    warning = overlap_warning(monitor, window)
    if warning is not None:
        log.warning("%s", warning)
    try:
        computed = _compute(monitor, window, sessions, at, source, reference_source)
    except Exception as exc:
        error, stored = _fail_claimed(sessions, claim, at, exc, "store: ")
        return failure(error, stored=stored, claim=claim)

    status = computed.status
    noted = f"warning: {warning}" if warning is not None else None
    stored_error = "; ".join(e for e in (computed.error, noted) if e) or None
    finished = at + timedelta(seconds=elapsed())
    try:
        with sessions() as session, session.begin():
            record = finish_run(
                session,
                claim,
                status=status,
                finished_at=finished,
                results=computed.results,
                error=stored_error,
                rows_read=computed.rows_read,
            )
            alerts = AlertEvaluation()
            if computed.compared:
                alerts = evaluate_alerts(
                    session, monitor, window, computed.compared, now=at, run_id=record.id, notify=notify
                )
    except RunNotClaimedError as exc:
        return failure(str(exc), stored=False, claim=claim)
    except Exception as exc:
        error, stored = _fail_claimed(sessions, claim, at, exc, "store: cannot write the results: ")
        return failure(error, stored=stored, claim=claim)

    columns = [replace(r, alert_states=alerts.alert_states.get(r.column, {})) for r in computed.results]
    log.log(
        logging.WARNING if status in ("failed", "partial") else logging.INFO,
        "monitor %s window %s: %s, %s rows read%s",
        monitor.name,
        describe(window),
        status,
        "no" if computed.rows_read is None else computed.rows_read,
        f": {computed.error}" if computed.error else "",
    )
    return RunOutcome(
        monitor=monitor.name,
        window=window,
        status=status,
        started_at=at,
        duration_seconds=elapsed(),
        run_id=record.id,
        attempt=record.attempts,
        finished_at=record.finished_at,
        rows_read=computed.rows_read,
        columns=tuple(columns),
        transitions=tuple(alerts.changes),
        baselines=computed.fitted,
        error=stored_error,
        warnings=(warning,) if warning is not None else (),
    )
