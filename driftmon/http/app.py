"""create_app(): the FastAPI application of `driftmon serve`: /openapi.json, Swagger UI at /docs."""

from __future__ import annotations

import logging

import sqlalchemy as sa
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from driftmon import __version__
from driftmon.http import api, probes
from driftmon.http.context import ApiContext, TriggerRejectedError
from driftmon.http.docs import add_docs
from driftmon.store import StoreError, StoreInputError

__all__ = ["create_app"]

log = logging.getLogger(__name__)

_DESCRIPTION = """\
Distribution-drift monitoring: every monitored column's divergences from its frozen reference,
calibrated to the window's sample size, with alert states and transitions.

`/metrics` serves Prometheus; `/healthz` and `/readyz` are the probes; `/api/v1` is read-only
except `POST /api/v1/monitors/{monitor}/runs`, which runs a window now. With `server.api_token`
set, the API needs `Authorization: Bearer <token>`.
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

    @app.exception_handler(TriggerRejectedError)
    async def _rejected(request: Request, exc: TriggerRejectedError) -> JSONResponse:
        return JSONResponse({"detail": exc.detail}, status_code=exc.status_code)

    @app.exception_handler(StoreInputError)
    async def _bad_input(request: Request, exc: StoreInputError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=422)

    @app.exception_handler(StoreError)
    @app.exception_handler(sa.exc.SQLAlchemyError)
    async def _store(request: Request, exc: Exception) -> JSONResponse:
        orig = getattr(exc, "orig", None)
        text = str(orig if orig is not None else exc).strip()
        reason = text.splitlines()[0] if text else type(exc).__name__
        log.error("%s %s: store unavailable: %s", request.method, request.url.path, reason)
        return JSONResponse({"detail": f"store unavailable: {reason}"}, status_code=503)

    return app
