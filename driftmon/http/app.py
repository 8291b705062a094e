"""create_app(): the FastAPI application of `driftmon serve`: /openapi.json, Swagger UI at /docs."""

from __future__ import annotations

import logging

import sqlalchemy as sa
from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException
from starlette.routing import Match, Route

from driftmon import __version__
from driftmon.http import api, probes
from driftmon.http.context import ApiContext, TriggerRejectedError
from driftmon.http.docs import add_docs
from driftmon.jobs.errors import first_line
from driftmon.store import StoreError, StoreInputError

log = logging.getLogger(__name__)

_DESCRIPTION = """\
Distribution-drift monitoring: every monitored column's divergences from its frozen reference,
calibrated to the window's sample size, with alert states and transitions.

`/metrics` serves Prometheus; `/healthz` and `/readyz` are the probes; `/api/v1` is read-only
except `POST /api/v1/monitors/{monitor}/runs`, which runs a window now. With `server.api_token`
set, the API needs `Authorization: Bearer <token>`; without one, the POST is refused (403)
unless `server.allow_anonymous_writes` is true.

Times are ISO 8601 date-times (without an offset: UTC) from 1900-01-01 up to 9000-01-01;
others are refused with 400 or 422 naming the parameter. Errors are `{"detail": "..."}`.
"""


def create_app(ctx: ApiContext) -> FastAPI:
    """Build the app over the service's parts."""
    app = FastAPI(
        title="driftmon", version=__version__, description=_DESCRIPTION, docs_url=None, redoc_url=None
    )
    app.state.driftmon = ctx
    add_docs(app)
    app.include_router(probes.router)
    app.include_router(api.router)

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException) -> Response:
        if exc.status_code == 405:
            # Starlette names the methods of the first route on the path only (GET of
            # /monitors/{monitor}/runs, not its POST): name every route's.
            exc.headers = {**(exc.headers or {}), "Allow": ", ".join(_allowed(app, request))}
        return await http_exception_handler(request, exc)

    @app.exception_handler(TriggerRejectedError)
    async def _rejected(request: Request, exc: TriggerRejectedError) -> JSONResponse:
        return JSONResponse({"detail": exc.detail}, status_code=exc.status_code)

    @app.exception_handler(StoreInputError)
    async def _bad_input(request: Request, exc: StoreInputError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=422)

    @app.exception_handler(StoreError)
    @app.exception_handler(sa.exc.SQLAlchemyError)
    async def _store(request: Request, exc: Exception) -> JSONResponse:
        reason = first_line(exc)
        log.error("%s %s: store unavailable: %s", request.method, request.url.path, reason)
        return JSONResponse({"detail": f"store unavailable: {reason}"}, status_code=503)

    return app


def _allowed(app: FastAPI, request: Request) -> list[str]:
    methods: set[str] = set()
    for route in [*app.routes, *probes.router.routes, *api.router.routes]:
        if isinstance(route, Route) and route.matches(request.scope)[0] is not Match.NONE:
            methods |= route.methods or set()
    return sorted(methods)
