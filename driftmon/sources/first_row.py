"""The earliest event time of a Parquet or CSV dataset inside a span, read as cheaply as possible.

Parquet row groups whose timestamp statistics lie inside the span give their minimum without
reading a value, and row groups that cannot lower the best minimum found so far are skipped;
only row groups without statistics, or straddling a bound of the span, have their timestamp
column scanned (that column alone, with the span's filter). CSV files are scanned the same way.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.compute as pc

from driftmon.windows import Span

if TYPE_CHECKING:
    import pyarrow.dataset as ds


def moment_utc(value: object) -> datetime | None:
    """Return a timestamp or date read from Arrow as an aware UTC datetime (naive is UTC)."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    return None


def _inside(moment: datetime, span: Span | None) -> bool:
    if span is None:
        return True
    return (span.start is None or moment >= span.start) and (span.end is None or moment < span.end)


def _statistics_min(piece: ds.Fragment, column: str) -> datetime | None:
    """Return the minimum a single-row-group Parquet piece records for `column`, if it does."""
    import pyarrow.dataset as ds

    if not isinstance(piece, ds.ParquetFileFragment) or len(piece.row_groups) != 1:
        return None
    stats = piece.row_groups[0].statistics or {}
    return moment_utc(stats.get(column, {}).get("min"))


def _scanned_min(
    piece: ds.Fragment, schema: pa.Schema, column: str, expr: ds.Expression | None
) -> datetime | None:
    values = piece.to_table(schema=schema, columns=[column], filter=expr, use_threads=True).column(column)
    if pa.types.is_timestamp(values.type) and values.type.unit == "ns":
        # Microseconds are what Python holds; flooring keeps the result at or before the first row.
        values = pc.cast(values, pa.timestamp("us", tz=values.type.tz), safe=False)
    return moment_utc(pc.min(values).as_py())


def earliest_timestamp(
    pieces: Iterable[ds.Fragment],
    schema: pa.Schema,
    column: str,
    expr: ds.Expression | None,
    span: Span | None,
    best: datetime | None = None,
) -> datetime | None:
    """Return the earliest `column` value inside `span` among `pieces` and `best` (None: no row)."""
    for piece in pieces:
        low = _statistics_min(piece, column)
        if low is not None and best is not None and low >= best:
            continue  # nothing in this row group comes before what was found already
        if low is not None and _inside(low, span):
            best = low
            continue
        found = _scanned_min(piece, schema, column, expr)
        if found is not None and (best is None or found < best):
            best = found
    return best
