"""Check a relation's columns against their configured kinds from its schema and first rows.

What `driftmon check-config --connect` looks at: a column declared numeric must have a number
type (Parquet, PostgreSQL) and its first rows must convert to numbers exactly as a run would
convert them (CSV text, SQLite's typeless columns). A look at the head, not a scan: a stray
string further down is still found by the run, which fails that column alone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pyarrow as pa

from driftmon.config import ColumnKind
from driftmon.core import NonNumericValueError
from driftmon.errors import ColumnError, ColumnTypeError, NonNumericColumnError
from driftmon.sources.columns import arrow_kind, arrow_to_numpy, python_to_numpy


def non_numeric_reason(exc: NonNumericValueError) -> str:
    """Return the core's message about a non-number without its `column 'x': ` prefix."""
    text = str(exc)
    prefix = f"column {exc.column!r}: "
    return text[len(prefix) :] if text.startswith(prefix) else text


def _converts_to_numbers(arrow_type: pa.DataType) -> bool:
    return (
        arrow_kind(arrow_type) == "numeric" or pa.types.is_boolean(arrow_type) or pa.types.is_null(arrow_type)
    )


def check_arrow_columns(
    schema: pa.Schema,
    head: pa.Table,
    kinds: Mapping[str, ColumnKind | None],
    *,
    parse_text: bool,
) -> dict[str, ColumnError]:
    """Return the columns of `head` whose type (in `schema`) or first values do not fit their kind."""
    errors: dict[str, ColumnError] = {}
    for name in head.column_names:
        kind = kinds[name]
        arrow_type = schema.field(name).type
        if kind == "numeric" and not parse_text and not _converts_to_numbers(arrow_type):
            errors[name] = ColumnTypeError(name, str(arrow_type))
            continue
        try:
            arrow_to_numpy(head.column(name), kind or arrow_kind(arrow_type), name, parse_text)
        except NonNumericValueError as exc:
            errors[name] = NonNumericColumnError(name, non_numeric_reason(exc))
    return errors


def check_python_columns(
    rows: Sequence[Sequence[Any]], kinds: Mapping[str, ColumnKind | None], names: Sequence[str]
) -> dict[str, ColumnError]:
    """Return the numeric columns of `names` (the rows' fields, in order) holding non-numbers."""
    errors: dict[str, ColumnError] = {}
    for j, name in enumerate(names):
        if kinds[name] != "numeric":
            continue
        try:
            python_to_numpy([row[j] for row in rows], "numeric", name)
        except NonNumericValueError as exc:
            errors[name] = NonNumericColumnError(name, non_numeric_reason(exc))
    return errors
