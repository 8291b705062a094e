"""The JSON API under /api/v1: monitors and their latest results, runs, results with bin counts, alerts.

Everything is read from the store except `POST /monitors/{name}/runs`, which runs one window
now through the scheduler (one run per monitor at a time, the monitor's timeout applies).

Hostile input gets a 4xx that names the parameter, never a 500: times are checked against the
range driftmon computes windows in (400), ids against the store's 64-bit range (422).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, HTTPException, Path, Query, Request

from driftmon.config import MonitorConfig, as_utc
from driftmon.errors import UnknownMonitorError
from driftmon.http.auth import context, require_token, require_write_access
from driftmon.http.schemas import (
    ApiTime,
    MonitorOut,
    RunDetailOut,
    RunOut,
    TriggerIn,
    monitor_out,
    result_detail_out,
    run_out,
)
from driftmon.store import (
    AlertEventRecord,
    UnknownRunError,
    alert_history,
    current_alert_states,
    get_run,
    latest_results,
    run_history,
)

# Every time the API is given must lie in [EARLIEST, LATEST): far wider than any real window,
# and far enough inside datetime's own limits (years 1 to 9999) that window arithmetic (a
# window's start, the next boundary, a time zone's offset) cannot overflow.
EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(9000, 1, 1, tzinfo=UTC)
# Ids are 64-bit integers in the store (PostgreSQL BIGINT, SQLite INTEGER).
MAX_ID = 2**63 - 1

_Response = dict[int | str, dict[str, Any]]
_AUTH: _Response = {401: {"description": "missing or wrong bearer token (server.api_token is set)"}}
_NOT_FOUND: _Response = {404: {"description": "no such monitor or run"}}
_BAD_TIME: _Response = {400: {"description": "a time outside the range driftmon accepts"}}

router = APIRouter(prefix="/api/v1", dependencies=[Depends(require_token)], tags=["api"], responses=_AUTH)


def _utc(moment: datetime | None, name: str) -> datetime | None:
    """Return `moment` in UTC (a time without an offset is UTC), or 400 naming `name`."""
    if moment is None:
        return None
    try:
        utc = as_utc(moment)
    except OverflowError:  # e.g. 0001-01-01T00:00:00+01:00 is before year 1 in UTC
        utc = None
    if utc is None or not EARLIEST <= utc < LATEST:
        raise HTTPException(
            400,
            f"{name}: {moment.isoformat()} is out of range; driftmon accepts times from "
            f"{EARLIEST.isoformat()} up to (not including) {LATEST.isoformat()}",
        )
    return utc


def _monitor(request: Request, name: str) -> MonitorConfig:
    config = context(request).config()
    try:
        return config.monitor(name)
    except UnknownMonitorError as exc:
        raise HTTPException(404, str(exc)) from None


def _monitors_out(request: Request, monitors: list[MonitorConfig]) -> list[MonitorOut]:
    ctx = context(request)
    names = [m.name for m in monitors]
    ticks = ctx.next_ticks()
    with ctx.sessions() as session:
        results = latest_results(session, names)
        alerts = current_alert_states(session, names)
        last = {name: run_history(session, name, limit=1) for name in names}
    by_monitor: dict[str, tuple[list[Any], list[Any]]] = {name: ([], []) for name in names}
    for result in results:
        by_monitor[result.monitor][0].append(result)
    for event in alerts:
        by_monitor[event.monitor][1].append(event)
    return [
        monitor_out(m, *by_monitor[m.name], last[m.name][0] if last[m.name] else None, ticks.get(m.name))
        for m in monitors
    ]


@router.get("/monitors")
def list_monitors(request: Request) -> list[MonitorOut]:
    """List the configured monitors with their columns, latest results and firing alerts."""
    return _monitors_out(request, list(context(request).config().monitors))


@router.get("/monitors/{monitor}", responses=_NOT_FOUND)
def show_monitor(request: Request, monitor: str) -> MonitorOut:
    """Show one monitor: settings, each column's latest result, alert settings and firing alerts."""
    return _monitors_out(request, [_monitor(request, monitor)])[0]


@router.get("/monitors/{monitor}/runs", responses={**_NOT_FOUND, **_BAD_TIME})
def list_runs(
    request: Request,
    monitor: str,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    before: Annotated[ApiTime | None, Query(description="only windows ending at or before")] = None,
) -> list[RunOut]:
    """List a monitor's runs, newest window first."""
    name = _monitor(request, monitor).name
    with context(request).sessions() as session:
        runs = run_history(session, name, limit=limit, before=_utc(before, "before"))
    return [run_out(r) for r in runs]


@router.post(
    "/monitors/{monitor}/runs",
    dependencies=[Depends(require_write_access)],
    responses={
        **_NOT_FOUND,
        400: {"description": "the body is not JSON, or window_end is out of range"},
        403: {"description": "writes are disabled: no server.api_token and no allow_anonymous_writes"},
        409: {"description": "the monitor is running a window already"},
        422: {"description": "not a window boundary, or the window is not complete"},
        503: {"description": "shutting down, or no scheduler"},
    },
)
def trigger_run(
    request: Request, monitor: str, body: Annotated[TriggerIn | None, Body()] = None
) -> dict[str, Any]:
    """Run one window of a monitor now (default: the latest complete one) and return its outcome.

    A window already stored is not computed again: the stored result comes back with
    `skipped: already_done`.
    """
    ctx = context(request)
    name = _monitor(request, monitor).name
    window_end = _utc(body.window_end, "window_end") if body is not None else None
    if ctx.trigger is None:
        raise HTTPException(503, "this server runs no scheduler; use `driftmon run` instead")
    try:
        outcome = ctx.trigger(name, window_end)
    except UnknownMonitorError as exc:
        raise HTTPException(404, f"{exc} (disabled monitors are not run)") from None
    return outcome.to_dict()


@router.get("/monitors/{monitor}/alerts", responses={**_NOT_FOUND, **_BAD_TIME})
def monitor_alerts(
    request: Request,
    monitor: str,
    since: Annotated[ApiTime | None, Query(description="only transitions at or after")] = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 100,
) -> list[AlertEventRecord]:
    """List a monitor's alert transitions, newest first."""
    name = _monitor(request, monitor).name
    with context(request).sessions() as session:
        events = alert_history(session, name, since=_utc(since, "since"), limit=limit)
    return events


@router.get("/runs/{run_id}", responses=_NOT_FOUND)
def show_run(request: Request, run_id: Annotated[int, Path(ge=1, le=MAX_ID)]) -> RunDetailOut:
    """Show one run with every column's full result: statistics, calibration, each bin's counts."""
    with context(request).sessions() as session:
        try:
            detail = get_run(session, run_id)
        except UnknownRunError as exc:
            raise HTTPException(404, str(exc)) from None
    return RunDetailOut(
        **run_out(detail.run).model_dump(), results=[result_detail_out(r) for r in detail.results]
    )


@router.get("/alerts", responses={**_NOT_FOUND, **_BAD_TIME})
def list_alerts(
    request: Request,
    monitor: str | None = None,
    since: Annotated[ApiTime | None, Query(description="only transitions at or after")] = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 100,
) -> list[AlertEventRecord]:
    """List alert transitions of every monitor (or one), newest first."""
    if monitor is not None:
        monitor = _monitor(request, monitor).name
    with context(request).sessions() as session:
        events = alert_history(session, monitor, since=_utc(since, "since"), limit=limit)
    return events
