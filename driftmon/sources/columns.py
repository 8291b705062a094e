"""Turn source column chunks into what the core counts, with the same rules for every source."""

from __future__ import annotations

import decimal
import math
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from driftmon.config import ColumnKind
from driftmon.core import NonNumericValueError
from driftmon.core.values import numeric_chunks


def arrow_kind(arrow_type: pa.DataType) -> ColumnKind:
    """Infer a column's kind from its Arrow type: numbers (not booleans) are numeric."""
    numeric = (
        pa.types.is_integer(arrow_type) or pa.types.is_floating(arrow_type) or pa.types.is_decimal(arrow_type)
    )
    return "numeric" if numeric else "categorical"


def _parse_text(array: pa.Array | pa.ChunkedArray, column: str, offset: int) -> pa.Array | pa.ChunkedArray:
    try:
        return pc.cast(array, pa.float64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        for row, value in enumerate(array.to_pylist()):
            if value is None:
                continue
            try:
                float(value)
            except (TypeError, ValueError):
                raise NonNumericValueError(column, value, offset + row) from None
        raise


def arrow_values(
    array: pa.Array | pa.ChunkedArray, kind: ColumnKind, column: str, offset: int, parse_text: bool = False
) -> pa.Array | pa.ChunkedArray:
    """Return an Arrow column ready for core.count_values (CSV text parsed to float64 if numeric)."""
    if (
        kind == "numeric"
        and parse_text
        and (pa.types.is_string(array.type) or pa.types.is_large_string(array.type))
    ):
        return _parse_text(array, column, offset)
    return array


def arrow_to_numpy(
    array: pa.Array | pa.ChunkedArray, kind: ColumnKind, column: str, parse_text: bool = False
) -> npt.NDArray[Any]:
    """Return float64 values (NaN = missing) for numeric columns, Python objects otherwise."""
    prepared = arrow_values(array, kind, column, 0, parse_text)
    if kind == "numeric":
        parts = list(numeric_chunks(prepared, column))
        return np.concatenate(parts) if parts else np.empty(0, dtype=np.float64)
    if pa.types.is_dictionary(prepared.type):
        prepared = prepared.dictionary_decode()
    return python_to_numpy(prepared.to_pylist(), kind, column)


def plain_value(value: object) -> object:
    """Return the value a category is matched on: Decimal becomes float, everything else as is."""
    if isinstance(value, decimal.Decimal):
        return float(value) if value.is_finite() or value.is_infinite() else math.nan
    return value


def python_to_numpy(values: list[Any], kind: ColumnKind, column: str) -> npt.NDArray[Any]:
    """Return Python values (database rows) as float64 for numeric columns, objects otherwise."""
    out = np.empty(len(values), dtype=object)
    out[:] = [plain_value(v) for v in values]
    if kind == "numeric":
        parts = list(numeric_chunks(out, column))
        return np.concatenate(parts) if parts else np.empty(0, dtype=np.float64)
    return out
