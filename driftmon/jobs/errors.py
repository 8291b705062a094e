"""Turn failures of the store and of sources into one-line reasons; anything else is a programming error."""

from __future__ import annotations

import sqlalchemy as sa

from driftmon.errors import SourceError
from driftmon.sources import Source
from driftmon.store import StoreError


def first_line(exc: BaseException) -> str:
    """Return the first line of an exception's message (the driver's own error for SQL errors)."""
    orig = getattr(exc, "orig", None) if isinstance(exc, sa.exc.DBAPIError) else None
    text = str(orig if orig is not None else exc).strip()
    return text.splitlines()[0].strip() if text else type(exc).__name__


def store_failure(exc: BaseException) -> str | None:
    """Return why the store failed (database unreachable, locked, refused a write), or None.

    None means `exc` did not come from the store, and the caller should let it propagate.
    """
    if isinstance(exc, sa.exc.OperationalError | sa.exc.InterfaceError):
        return f"database unavailable: {first_line(exc)}"
    if isinstance(exc, sa.exc.SQLAlchemyError | StoreError):
        return first_line(exc)
    return None


def source_failure(source: Source, exc: Exception) -> str:
    """Return why reading `source` failed: a SourceError's own message, else the source and the reason."""
    return str(exc) if isinstance(exc, SourceError) else f"source {source.description}: {first_line(exc)}"
