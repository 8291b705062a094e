"""The JSON API under /api/v1: monitors and their latest results, runs, results with bin counts, alerts.

Everything is read from the store except `POST /monitors/{name}/runs`, which runs one window
now through the scheduler (one run per monitor at a time, the monitor's timeout applies).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, HTTPException, Query, Request

from driftmon.config import MonitorConfig, as_utc
from driftmon.errors import UnknownMonitorError
from driftmon.http.auth import context, require_token
from driftmon.http.schemas import (
    AlertEventOut,
    MonitorOut,
    RunDetailOut,
    RunOut,
    TriggerIn,
    alert_out,
    monitor_out,
    result_detail_out,
    run_out,
)
from driftmon.store import (
    UnknownRunError,
    alert_history,
    current_alert_states,
    get_run,
    latest_results,
    run_history,
)

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", dependencies=[Depends(require_token)], tags=["api"])

_NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "no such monitor or run"}}


def _utc(moment: datetime | None) -> datetime | None:
    return None if moment is None else as_utc(moment)  # a time without an offset is UTC


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


@router.get("/monitors/{monitor}/runs", responses=_NOT_FOUND)
def list_runs(
    request: Request,
    monitor: str,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    before: Annotated[datetime | None, Query(description="only windows ending at or before")] = None,
) -> list[RunOut]:
    """List a monitor's runs, newest window first."""
    name = _monitor(request, monitor).name
    with context(request).sessions() as session:
        runs = run_history(session, name, limit=limit, before=_utc(before))
    return [run_out(r) for r in runs]


@router.post(
    "/monitors/{monitor}/runs",
    responses={
        **_NOT_FOUND,
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
    if ctx.trigger is None:
        raise HTTPException(503, "this server runs no scheduler; use `driftmon run` instead")
    try:
        outcome = ctx.trigger(name, _utc(body.window_end) if body is not None else None)
    except UnknownMonitorError as exc:
        raise HTTPException(404, f"{exc} (disabled monitors are not run)") from None
    return outcome.to_dict()


@router.get("/monitors/{monitor}/alerts", responses=_NOT_FOUND)
def monitor_alerts(
    request: Request,
    monitor: str,
    since: datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 100,
) -> list[AlertEventOut]:
    """List a monitor's alert transitions, newest first."""
    name = _monitor(request, monitor).name
    with context(request).sessions() as session:
        events = alert_history(session, name, since=_utc(since), limit=limit)
    return [alert_out(e) for e in events]


@router.get("/runs/{run_id}", responses=_NOT_FOUND)
def show_run(request: Request, run_id: int) -> RunDetailOut:
    """Show one run with every column's full result: statistics, calibration, each bin's counts."""
    with context(request).sessions() as session:
        try:
            detail = get_run(session, run_id)
        except UnknownRunError as exc:
            raise HTTPException(404, str(exc)) from None
    return RunDetailOut(
        **run_out(detail.run).model_dump(), results=[result_detail_out(r) for r in detail.results]
    )


@router.get("/alerts")
def list_alerts(
    request: Request,
    monitor: str | None = None,
    since: datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 100,
) -> list[AlertEventOut]:
    """List alert transitions of every monitor (or one), newest first."""
    if monitor is not None:
        monitor = _monitor(request, monitor).name
    with context(request).sessions() as session:
        events = alert_history(session, monitor, since=_utc(since), limit=limit)
    return [alert_out(e) for e in events]
