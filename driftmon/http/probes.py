"""/metrics (the snapshot's exposition, never computed per scrape), /healthz and /readyz."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse, StreamingResponse

from driftmon.http.auth import context, require_token_for_health, require_token_for_metrics
from driftmon.metrics import CONTENT_TYPE

router = APIRouter()

_AUTH: dict[int | str, dict[str, Any]] = {
    401: {"description": "missing or wrong bearer token (server.metrics_auth or health_auth is on)"}
}

# Large bodies go out in slices: asyncio's socket transport (Python 3.11) copies whatever the
# socket does not take at once into its buffer, which for an 85 MB body costs more CPU than
# everything else a scrape does. Slices keep that buffer small; the bytes are never copied whole.
_CHUNK = 1 << 20


@router.get(
    "/metrics",
    dependencies=[Depends(require_token_for_metrics)],
    response_class=Response,
    responses={
        200: {"content": {CONTENT_TYPE.split(";")[0]: {}}, "description": "Prometheus text format"},
        **_AUTH,
    },
    tags=["metrics"],
)
async def metrics(request: Request) -> Response:
    """Return every metric in the Prometheus text format (docs/metrics.md lists them)."""
    body = context(request).snapshot.exposition()
    if len(body) <= _CHUNK:
        return Response(body, media_type=CONTENT_TYPE)
    return StreamingResponse(
        _chunks(body), media_type=CONTENT_TYPE, headers={"Content-Length": str(len(body))}
    )


async def _chunks(body: bytes) -> AsyncIterator[memoryview]:
    view = memoryview(body)
    for start in range(0, len(view), _CHUNK):
        yield view[start : start + _CHUNK]


@router.get("/healthz", dependencies=[Depends(require_token_for_health)], tags=["health"], responses=_AUTH)
async def healthz() -> dict[str, str]:
    """Answer while the process is alive (liveness)."""
    return {"status": "ok"}


@router.get(
    "/readyz",
    dependencies=[Depends(require_token_for_health)],
    tags=["health"],
    responses={503: {"description": "not ready; `checks` says why"}, **_AUTH},
)
def readyz(request: Request) -> JSONResponse:
    """Answer 200 when the database is reachable and at the schema head and the scheduler runs, else 503."""
    readiness = context(request).readiness()
    status = "ready" if readiness.ready else "not ready"
    body: dict[str, Any] = {"status": status, "checks": dict(readiness.checks)}
    return JSONResponse(body, status_code=200 if readiness.ready else 503)
