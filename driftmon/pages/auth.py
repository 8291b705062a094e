"""The pages' access check: the API's token setting, carried by a browser as a session cookie.

With `server.api_token` unset the pages are open, like the API. With it set, a request needs
the same `Authorization: Bearer <token>` the API takes, or the cookie `/login` sets after the
token is entered once. The cookie holds an HMAC of the token (never the token): changing the
token signs every browser out. The cookie opens the pages only, never the API, so a page on
another site cannot use a signed-in browser to trigger runs.
"""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import parse_qs

from fastapi import Request

from driftmon.errors import DriftmonError
from driftmon.http.auth import context

COOKIE = "driftmon_session"


class LoginRequiredError(DriftmonError):
    """The pages need the API token and this request carries neither it nor a valid session."""

    def __init__(self, target: str) -> None:
        self.target = target
        super().__init__(target)


def session_value(token: str) -> str:
    """Return the cookie value that proves a browser entered `token`."""
    return hmac.new(token.encode(), b"driftmon pages session v1", hashlib.sha256).hexdigest()


def check_page_access(request: Request) -> None:
    """Let the request through when no token is set, or it carries the token or a session cookie."""
    secret = context(request).config().server.api_token
    if secret is None:
        return
    token = secret.get_secret_value()
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token_matches(value, token):
        return
    cookie = request.cookies.get(COOKIE, "")
    if cookie and hmac.compare_digest(cookie.encode(), session_value(token).encode()):
        return
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    raise LoginRequiredError(target)


def safe_next(target: str | None) -> str:
    """Return `target` when it is a path on this server, else `/` (no redirect to another site)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


async def login_form_values(request: Request) -> tuple[str, str]:
    """Return the (token, next) fields of a submitted login form."""
    fields = parse_qs((await request.body()).decode("utf-8", "replace"), keep_blank_values=True)
    return fields.get("token", [""])[0], safe_next(fields.get("next", ["/"])[0])


def token_matches(given: str, token: str) -> bool:
    """Tell whether `given` is `token` (constant time)."""
    return hmac.compare_digest(given.strip().encode(), token.encode())
