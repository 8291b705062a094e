"""Hide credentials in webhook URLs: show scheme, host and port only, and scrub the rest from texts."""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

# Very short pieces ("v1", "api") are not credentials, and replacing them would garble the text.
_SECRET_MIN = 4


def redact_url(url: str) -> str:
    """Return scheme://host[:port]/*** — the URL with user info, path and query hidden."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or "?"
        port = f":{parts.port}" if parts.port is not None else ""
    except ValueError:
        return "<unparseable URL>"
    bracketed = f"[{host}]" if ":" in host else host
    return f"{parts.scheme or '?'}://{bracketed}{port}/***"


def secret_parts(url: str) -> list[str]:
    """Return the pieces of `url` that may be credentials, longest first."""
    parts = urlsplit(url)
    pieces = {parts.query, parts.password or "", parts.username or ""}
    path = parts.path
    if path not in ("", "/"):
        pieces.update({path, path + ("?" + parts.query if parts.query else "")})
        # Tokens are usually a path segment; error texts may quote one on its own.
        pieces.update(path.split("/"))
    pieces.update(pair.partition("=")[2] for pair in parts.query.split("&"))
    return sorted((p for p in pieces if len(p) >= _SECRET_MIN), key=len, reverse=True)


def scrub(text: str, url: str, secrets: Iterable[str]) -> str:
    """Return `text` with `url` shown redacted and every secret piece replaced by ***."""
    # The whole URL first, via a placeholder, so the shown redacted URL is not itself rewritten.
    text = text.replace(url, "\x00")
    for secret in secrets:
        text = text.replace(secret, "***")
    return text.replace("\x00", redact_url(url))
