"""driftmon.http: the HTTP face of `driftmon serve`.

`/metrics` (the metrics snapshot's exposition), `/healthz`, `/readyz`, the JSON API under
`/api/v1` (monitors and latest results, run history, one run's full result with bin counts,
alert history, `POST` to run a window now) and the OpenAPI document. `create_app(ApiContext)`
builds the app; `HttpServer` serves it from a thread.
"""

from __future__ import annotations

from driftmon.http.app import create_app
from driftmon.http.context import ApiContext, Readiness, RunTrigger, TriggerRejectedError
from driftmon.http.server import HttpServer, ListenError

__all__ = [
    "ApiContext",
    "HttpServer",
    "ListenError",
    "Readiness",
    "RunTrigger",
    "TriggerRejectedError",
    "create_app",
]
