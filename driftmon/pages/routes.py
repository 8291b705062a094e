"""The pages' routes on the `driftmon serve` app: `/`, monitors, columns, runs, and `/login`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from driftmon.config import MonitorConfig
from driftmon.errors import UnknownMonitorError
from driftmon.http.auth import context
from driftmon.pages.auth import (
    COOKIE,
    LoginRequiredError,
    check_page_access,
    login_form_values,
    safe_next,
    session_value,
    token_matches,
)
from driftmon.pages.column import render_column
from driftmon.pages.errors import BadPageRequestError, PageNotFoundError
from driftmon.pages.layout import attr, document
from driftmon.pages.load import DEFAULT_HISTORY, MAX_HISTORY, load_column_page
from driftmon.pages.monitor import load_monitor_page, render_monitor
from driftmon.pages.overview import load_overview, render_overview
from driftmon.pages.run import render_run
from driftmon.pages.urls import parse_instant
from driftmon.store import UnknownRunError, get_run

router = APIRouter(dependencies=[Depends(check_page_access)], include_in_schema=False)
login_router = APIRouter(include_in_schema=False)

_HEADERS = {
    # Everything the pages need is inline; nothing may be loaded from elsewhere.
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}


def _html(text: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(text, status_code=status, headers=_HEADERS)


def _monitor(request: Request, name: str) -> MonitorConfig:
    try:
        return context(request).config().monitor(name)
    except UnknownMonitorError as exc:
        raise PageNotFoundError(str(exc)) from None


def _instant(name: str, value: str | None) -> datetime | None:
    if value is None or value == "":
        return None
    try:
        return parse_instant(value)
    except ValueError as exc:
        raise BadPageRequestError(f"{name}: {exc}") from None


@router.get("/")
def overview(request: Request) -> HTMLResponse:
    ctx = context(request)
    with ctx.sessions() as session:
        rows = load_overview(session, ctx.config().monitors, request.app.state.driftmon_pages_clock())
    return _html(render_overview(rows))


@router.get("/monitors/{monitor}")
def monitor_page(request: Request, monitor: str, sort: str = "state", desc: bool = False) -> HTMLResponse:
    config = _monitor(request, monitor)
    with context(request).sessions() as session:
        page = load_monitor_page(session, config, sort, desc)
    return _html(render_monitor(page, sort, desc))


@router.get("/monitors/{monitor}/columns/{column}")
def column_page(
    request: Request,
    monitor: str,
    column: str,
    window: str | None = None,
    at: str | None = None,
    statistic: str | None = None,
    n: Annotated[int, Query(ge=2, le=MAX_HISTORY)] = DEFAULT_HISTORY,
) -> HTMLResponse:
    config = _monitor(request, monitor)
    with context(request).sessions() as session:
        page = load_column_page(
            session,
            config,
            column,
            statistic=statistic or None,
            window_end=_instant("window", window),
            at=_instant("at", at),
            history=n,
        )
    return _html(render_column(page, n))


@router.get("/runs/{run_id}")
def run_page(request: Request, run_id: int) -> HTMLResponse:
    ctx = context(request)
    with ctx.sessions() as session:
        try:
            detail = get_run(session, run_id)
        except UnknownRunError as exc:
            raise PageNotFoundError(str(exc)) from None
    return _html(render_run(detail, ctx.config()))


def _login_page(target: str, message: str = "", status: int = 200) -> HTMLResponse:
    note = f'<p class="error" role="alert">{attr(message)}</p>' if message else ""
    body = (
        "<h1>Sign in</h1><p>This driftmon needs its API token (<code>server.api_token</code>).</p>"
        f'{note}<form class="inline" method="post" action="/login">'
        f'<input type="hidden" name="next" value="{attr(target)}">'
        '<label for="token">API token</label>'
        '<input id="token" name="token" type="password" autocomplete="current-password" required autofocus>'
        '<button type="submit">Sign in</button></form>'
    )
    return _html(document("Sign in", body, [("Sign in", None)]), status)


@login_router.get("/login")
def login_page(next: str = "/") -> HTMLResponse:
    return _login_page(safe_next(next))


@login_router.post("/login")
async def login(request: Request) -> Response:
    given, target = await login_form_values(request)
    token = context(request).config().server.api_token
    if token is None:
        return RedirectResponse(target, status_code=303)
    if not given or not token_matches(given, token.get_secret_value()):
        return _login_page(target, "That is not the API token.", 401)
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        COOKIE,
        session_value(token.get_secret_value()),
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )
    return response


def _error_page(title: str, message: str, status: int) -> HTMLResponse:
    body = f'<h1>{attr(title)}</h1><p class="error">{attr(message)}</p><p><a href="/">All monitors</a></p>'
    return _html(document(title, body, [("Overview", "/"), (title, None)]), status)


def add_pages(app: FastAPI, clock: Callable[[], datetime]) -> None:
    """Serve the pages on `app` (the API's app: same port, same token setting); `clock` judges staleness."""
    app.state.driftmon_pages_clock = clock
    app.include_router(login_router)
    app.include_router(router)

    @app.exception_handler(LoginRequiredError)
    async def _login(request: Request, exc: LoginRequiredError) -> HTMLResponse:
        return _login_page(exc.target, status=401)

    @app.exception_handler(PageNotFoundError)
    async def _missing(request: Request, exc: PageNotFoundError) -> HTMLResponse:
        return _error_page("Not found", str(exc), 404)

    @app.exception_handler(BadPageRequestError)
    async def _bad(request: Request, exc: BadPageRequestError) -> HTMLResponse:
        return _error_page("Bad request", str(exc), 400)
