"""Bearer-token checks: the API always when a token is configured, /metrics and health by choice.

Writes (POST) need the token; with no token configured they are refused unless the config
says `server.allow_anonymous_writes: true`, so a server reachable by others does not store
whatever windows anyone asks for.
"""

from __future__ import annotations

import hmac

from fastapi import HTTPException, Request

from driftmon.http.context import ApiContext

_CHALLENGE = {"WWW-Authenticate": "Bearer"}

WRITES_DISABLED = (
    "writes are disabled: this server has no API token. Set server.api_token "
    "(e.g. api_token: ${DRIFTMON_API_TOKEN}) and send 'Authorization: Bearer <token>', "
    "or set server.allow_anonymous_writes: true to allow writes without a token"
)


def context(request: Request) -> ApiContext:
    """Return the service parts stored on the app."""
    ctx: ApiContext = request.app.state.driftmon
    return ctx


def require_token(request: Request) -> None:
    """Refuse an API request without the configured bearer token (no token configured: open)."""
    token = context(request).config().server.api_token
    if token is None:
        return
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if not header:
        raise HTTPException(401, "missing bearer token: send 'Authorization: Bearer <token>'", _CHALLENGE)
    if scheme.lower() != "bearer" or not value.strip():
        raise HTTPException(401, "the Authorization header must be 'Bearer <token>'", _CHALLENGE)
    # Constant time, so response timing does not reveal how much of a guess was right.
    if not hmac.compare_digest(value.strip().encode(), token.get_secret_value().encode()):
        raise HTTPException(401, "invalid bearer token", _CHALLENGE)


def require_write_access(request: Request) -> None:
    """Refuse a write without a configured token unless anonymous writes are allowed.

    With a token configured, the API router has already checked it.
    """
    server = context(request).config().server
    if server.api_token is None and not server.allow_anonymous_writes:
        raise HTTPException(403, WRITES_DISABLED)


def require_token_for_metrics(request: Request) -> None:
    """Refuse a scrape without the token when server.metrics_auth is on."""
    if context(request).config().server.metrics_auth:
        require_token(request)


def require_token_for_health(request: Request) -> None:
    """Refuse a health probe without the token when server.health_auth is on."""
    if context(request).config().server.health_auth:
        require_token(request)
