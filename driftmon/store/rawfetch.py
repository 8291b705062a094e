"""Bulk reads straight from the driver, for the one query that returns tens of thousands of rows.

Decoding dominates a 50,000-row read. SQLAlchemy's row layer runs a type processor per value
(the UTC timestamp type among them); the driver alone is several times faster, and on
PostgreSQL psycopg's binary protocol decodes floats and integers faster again. Timestamps are
the only values that need converting, and they repeat (every column of a run shares its
window), so each distinct one is converted once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import Session

__all__ = ["fetch_rows"]

T = TypeVar("T")


def _utc(value: Any, cache: dict[Any, datetime]) -> datetime:
    converted = cache.get(value)
    if converted is None:
        if isinstance(value, str):  # SQLite: UTC text written by UTCDateTime
            converted = datetime.fromisoformat(value).replace(tzinfo=UTC)
        else:
            converted = value if value.tzinfo is UTC else value.astimezone(UTC)
        cache[value] = converted
    return converted


def fetch_rows(
    session: Session, query: sa.Select[Any], make: Callable[[Iterable[Any]], T], timestamps: Sequence[int]
) -> list[T]:
    """Run `query` in the session's transaction on the raw driver and build `make(row)` per row.

    The columns at `timestamps` are handed to `make` as aware UTC datetimes. Only for queries
    whose other values need no type processing (numbers, text, NULL).
    """
    connection = session.connection()
    compiled = query.compile(dialect=connection.dialect, compile_kwargs={"render_postcompile": True})
    raw: Any = connection.connection.driver_connection
    if connection.dialect.name == "postgresql":
        with raw.cursor(binary=True) as cursor:
            cursor.execute(str(compiled), compiled.params)
            rows: list[tuple[Any, ...]] = cursor.fetchall()
    else:
        params = [compiled.params[name] for name in compiled.positiontup or ()]
        rows = raw.execute(str(compiled), params).fetchall()
    if rows and all(isinstance(rows[0][i], datetime) and rows[0][i].tzinfo is UTC for i in timestamps):
        # psycopg in a UTC session (make_engine sets one) already returns datetime.UTC.
        return [make(row) for row in rows]
    cache: dict[Any, datetime] = {}
    out = []
    for row in rows:
        values = list(row)
        for i in timestamps:
            if values[i] is not None:
                values[i] = _utc(values[i], cache)
        out.append(make(values))
    return out
