"""Arrow columns checked before counting: text that must be UTF-8, categorical values of a new type.

- Text: a Parquet string column is decoded without checking its bytes, and a CSV field that is
  not UTF-8 turns its whole column into binary. Both are checked here, batch by batch: a value
  that is not valid UTF-8 fails its column (InvalidTextError names the column, file and
  value), not the whole read, and never becomes a binary column silently.
- Types: a categorical column's Arrow type is compared with its baseline's category types
  (core.types). When the two differ, the column is counted by text where that is safe
  (strings against integers) and reported as a type change, or not counted at all.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from driftmon.core import BinSpec, CategoricalBins
from driftmon.core.types import TypeChange, ValueType, text_bins
from driftmon.errors import DriftmonError


class InvalidText(DriftmonError):
    """A batch of a text column holds bytes that are not UTF-8; `value` is the first such value."""

    def __init__(self, value: bytes) -> None:
        self.value = value
        super().__init__(f"invalid UTF-8: {value!r}")


def _is_text(arrow_type: pa.DataType) -> bool:
    return bool(pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type))


def _is_binary(arrow_type: pa.DataType) -> bool:
    return bool(
        pa.types.is_binary(arrow_type)
        or pa.types.is_large_binary(arrow_type)
        or pa.types.is_fixed_size_binary(arrow_type)
    )


def arrow_value_type(arrow_type: pa.DataType, *, csv: bool = False) -> ValueType | None:
    """Return the type family of an Arrow type's values (None: a column of nulls, no values).

    CSV text columns are read as binary and checked to be UTF-8 (see checked_text), so in a CSV
    file binary means text.
    """
    if pa.types.is_dictionary(arrow_type):
        arrow_type = arrow_type.value_type
    if pa.types.is_null(arrow_type):
        return None
    if pa.types.is_boolean(arrow_type):
        return "boolean"
    if pa.types.is_integer(arrow_type):
        return "integer"
    if pa.types.is_floating(arrow_type) or pa.types.is_decimal(arrow_type):
        return "float"
    if _is_binary(arrow_type):
        return "string" if csv else "binary"
    return "string"  # text, and dates or times (counted by their text)


def _first_invalid(values: pa.Array) -> bytes:
    for value in values.cast(pa.binary()).to_pylist() if _is_text(values.type) else values.to_pylist():
        if value is None:
            continue
        try:
            value.decode("utf-8")
        except UnicodeDecodeError:
            return bytes(value)
    return b""


def _check_utf8(chunk: pa.Array) -> None:
    try:
        chunk.validate(full=True)
    except pa.ArrowInvalid:
        raise InvalidText(_first_invalid(chunk)) from None


def _checked_dictionary(chunk: pa.DictionaryArray) -> pa.Array:
    # A Parquet dictionary holds the values of its whole row group, not only of the rows kept
    # by the window: a bad entry fails the column only if a kept row uses it.
    try:
        chunk.dictionary.validate(full=True)
        return chunk
    except pa.ArrowInvalid:
        pass  # some entry is not UTF-8: find which, below, and whether a kept row uses one
    bad = []
    for i, value in enumerate(chunk.dictionary.cast(pa.binary()).to_pylist()):
        try:
            value.decode("utf-8")
        except UnicodeDecodeError:
            bad.append(i)
    used = pc.is_in(chunk.indices, pa.array(bad, chunk.indices.type))
    if pc.any(used).as_py():
        first = pc.index(used, True).as_py()
        raise InvalidText(chunk.dictionary.cast(pa.binary())[chunk.indices[first].as_py()].as_py())
    return chunk.dictionary_decode()  # only the window's values, every one of them UTF-8


def checked_text(array: pa.Array | pa.ChunkedArray, *, csv: bool) -> pa.Array | pa.ChunkedArray:
    """Return the array with its text checked to be UTF-8 (CSV binary cast to string); raise InvalidText."""
    if isinstance(array, pa.ChunkedArray):
        if pa.types.is_dictionary(array.type) and _is_text(array.type.value_type):
            parts = [_checked_dictionary(c) for c in array.chunks]
            if any(p.type != array.type for p in parts):  # one was decoded: decode them all alike
                parts = [p.dictionary_decode() if pa.types.is_dictionary(p.type) else p for p in parts]
            array = pa.chunked_array(parts, parts[0].type if parts else array.type)
        chunks = array.chunks
    else:
        if pa.types.is_dictionary(array.type) and _is_text(array.type.value_type):
            array = _checked_dictionary(array)
        chunks = [array]
    for chunk in chunks:
        if _is_text(chunk.type):
            _check_utf8(chunk)
    if csv and _is_binary(array.type):
        try:
            return pc.cast(array, pa.string())
        except pa.ArrowInvalid:
            joined = array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array
            raise InvalidText(_first_invalid(joined)) from None
    return array


@dataclass(frozen=True)
class CategoricalPlan:
    """How a column is counted: the bins to count on, whether live values become text, the change."""

    spec: BinSpec
    as_text: bool = False
    change: TypeChange | None = None


def categorical_plan(spec: BinSpec, arrow_type: pa.DataType, *, csv: bool) -> CategoricalPlan:
    """Return how to count a column of `arrow_type` on `spec` (a change that cannot be compared included)."""
    if not isinstance(spec, CategoricalBins):
        return CategoricalPlan(spec)
    live = arrow_value_type(arrow_type, csv=csv)
    change = TypeChange.between(spec, frozenset([live]) if live is not None else frozenset())
    if change is None:
        return CategoricalPlan(spec)
    if not change.compared:
        return CategoricalPlan(spec, change=change)
    # Integers against text categories: count the integers' text; text against integer
    # categories: count the text against the categories' text. The bins keep their order.
    return CategoricalPlan(text_bins(spec), as_text=live == "integer", change=change)


def as_text(array: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """Return integers as their decimal text (dictionary-encoded integers decoded first)."""
    if pa.types.is_dictionary(array.type):
        array = (
            array.dictionary_decode()
            if isinstance(array, pa.Array)
            else pa.chunked_array([c.dictionary_decode() for c in array.chunks], array.type.value_type)
        )
    return pc.cast(array, pa.string())
