"""Bearer-token checks: the API always when a token is configured, /metrics and health by choice."""

from __future__ import annotations

import hmac

from fastapi import HTTPException, Request

from driftmon.http.context import ApiContext

__all__ = ["context", "require_token", "require_token_for_health", "require_token_for_metrics"]

_CHALLENGE = {"WWW-Authenticate": "Bearer"}


def context(request: Request) -> ApiContext:
    """Return the service parts stored on the app."""
    ctx: ApiContext = request.app.state.driftmon
    return ctx


def _check(request: Request) -> None:
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


def require_token(request: Request) -> None:
    """Refuse an API request without the configured bearer token (no token configured: open)."""
    _check(request)


def require_token_for_metrics(request: Request) -> None:
    """Refuse a scrape without the token when server.metrics_auth is on."""
    if context(request).config().server.metrics_auth:
        _check(request)


def require_token_for_health(request: Request) -> None:
    """Refuse a health probe without the token when server.health_auth is on."""
    if context(request).config().server.health_auth:
        _check(request)
