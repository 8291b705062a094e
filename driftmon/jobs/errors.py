"""Turn failures of the store into one-line reasons; anything else is a programming error."""

from __future__ import annotations

import sqlalchemy as sa

from driftmon.store import StoreError

__all__ = ["first_line", "store_failure"]


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
