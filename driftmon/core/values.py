"""Turn the value containers users hand us into numpy chunks, without importing their libraries.

Accepted: numpy arrays, pandas Series, pyarrow Array/ChunkedArray, lists and tuples, or any
iterable of those (chunks). pandas and pyarrow objects are recognised by their module and used
through their own methods, so the core stays free of I/O libraries.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from collections.abc import Iterator
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from driftmon.core.errors import NonNumericValueError

CategoryValue = str | int | float | bool
FloatArray = npt.NDArray[np.float64]

# Integer chunks whose values span at most max(size, this) count by bincount, not by sorting.
_BINCOUNT_MIN_SPAN = 1 << 16

# pyarrow type names whose values convert to float64 (nulls become NaN).
_ARROW_NUMERIC_PREFIXES = ("int", "uint", "float", "double", "halffloat", "decimal", "bool")


def _library(obj: object) -> str:
    return type(obj).__module__.split(".", 1)[0]


def _is_single_container(obj: object) -> bool:
    lib = _library(obj)
    if lib == "pyarrow":
        return not hasattr(obj, "chunks")  # a ChunkedArray is iterated by chunk
    return isinstance(obj, np.ndarray | list | tuple) or lib == "pandas"


def _refuse_table(obj: object) -> None:
    # A DataFrame, pyarrow Table or RecordBatch would otherwise be taken for one column (and a
    # DataFrame counted row by row as if its rows were category values).
    if _library(obj) in ("pandas", "pyarrow") and hasattr(obj, "columns"):
        names = getattr(obj, "column_names", None) or list(obj.columns)
        example = f"table[{names[0]!r}]" if names else "table[name]"
        raise TypeError(
            f"values must be one column, got a {type(obj).__name__} with columns {names[:10]}: "
            f"pass one column, e.g. {example}"
        )


def iter_chunks(values: object) -> Iterator[object]:
    """Yield the chunks of `values`: itself if it is one container, else its parts."""
    _refuse_table(values)
    if _is_single_container(values):
        yield values
        return
    if _library(values) == "pyarrow":  # ChunkedArray
        yield from values.chunks  # type: ignore[attr-defined]
        return
    if isinstance(values, str | bytes) or not hasattr(values, "__iter__"):
        raise TypeError(
            "values must be an array, a pandas Series, a pyarrow array, a list, or an iterable "
            f"of those; got {type(values).__name__}"
        )
    for chunk in values:
        _refuse_table(chunk)
        if _library(chunk) == "pyarrow" and hasattr(chunk, "chunks"):  # e.g. a column per file
            yield from chunk.chunks
        elif _is_single_container(chunk):
            yield chunk
        else:
            kind = type(chunk).__name__
            raise TypeError(
                f"each chunk must be an array, Series, pyarrow (chunked) array or list; got {kind}"
            )


def is_missing(value: object) -> bool:
    """Return True for None, NaN, NaT and pandas NA."""
    if value is None:
        return True
    if isinstance(value, float | np.floating):
        return math.isnan(value)
    name = type(value).__name__
    if name in ("NAType", "NaTType"):
        return True
    return isinstance(value, np.datetime64 | np.timedelta64) and bool(np.isnat(value))


def to_category(value: object) -> CategoryValue:
    """Return the plain-Python category for a non-missing value (numpy scalars unwrapped)."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, str | int | float | bool):
        return value
    return str(value)


def _number_to_float(v: Any) -> float:
    try:
        return float(v)
    except OverflowError:  # an int past the float range bins exactly as +-inf: beyond every edge
        return math.inf if v > 0 else -math.inf


def _object_to_float(arr: npt.NDArray[Any], column: str | None, offset: int) -> FloatArray:
    out = np.empty(arr.shape[0], dtype=np.float64)
    for i, v in enumerate(arr):
        if is_missing(v):
            out[i] = math.nan
        elif isinstance(v, int | float | np.number):  # bool is an int
            out[i] = _number_to_float(v)
        elif type(v).__name__ == "Decimal":
            decimal: Any = v
            out[i] = math.nan if decimal.is_nan() else float(decimal)  # float() refuses sNaN
        else:
            raise NonNumericValueError(column, v, offset + i)
    return out


def _numpy_to_float(arr: npt.NDArray[Any], column: str | None, offset: int) -> FloatArray:
    kind = arr.dtype.kind
    if kind == "f":
        return arr.astype(np.float64, copy=False)
    if kind in "iub":
        return arr.astype(np.float64)
    if kind == "O":
        return _object_to_float(arr, column, offset)
    if kind in "US" and arr.size:
        raise NonNumericValueError(column, arr.flat[0].item(), offset)
    if arr.size == 0:
        return np.empty(0, dtype=np.float64)
    raise NonNumericValueError(column, arr.flat[0], offset)


def to_float64(chunk: object, column: str | None = None, offset: int = 0) -> FloatArray:
    """Convert one chunk to float64 with NaN for missing; non-numbers raise NonNumericValueError."""
    lib = _library(chunk)
    if lib == "pandas":
        dtype = chunk.dtype  # type: ignore[attr-defined]
        if dtype.kind in "iufb" or str(dtype) in (
            "Int8",
            "Int16",
            "Int32",
            "Int64",
            "UInt8",
            "UInt16",
            "UInt32",
            "UInt64",
            "Float32",
            "Float64",
            "boolean",
        ):
            return np.asarray(chunk.to_numpy(dtype="float64", na_value=np.nan))  # type: ignore[attr-defined]
        return _object_to_float(np.asarray(chunk.to_numpy(dtype=object)), column, offset)  # type: ignore[attr-defined]
    if lib == "pyarrow":
        type_name = str(chunk.type)  # type: ignore[attr-defined]
        if type_name == "null":
            return np.full(len(chunk), np.nan)  # type: ignore[arg-type]
        if type_name.startswith(_ARROW_NUMERIC_PREFIXES):
            arr = np.asarray(chunk.to_numpy(zero_copy_only=False))  # type: ignore[attr-defined]
            return _numpy_to_float(arr, column, offset)
        arr = np.asarray(chunk.to_numpy(zero_copy_only=False))  # type: ignore[attr-defined]
        return _object_to_float(arr.astype(object), column, offset)
    arr = np.asarray(chunk) if not isinstance(chunk, list | tuple) else np.asarray(chunk, dtype=object)
    if arr.ndim != 1:
        raise ValueError(f"values must be one-dimensional, got shape {arr.shape}")
    if arr.dtype == object and all(isinstance(v, float | int) and not isinstance(v, bool) for v in arr):
        try:
            return arr.astype(np.float64)
        except OverflowError:  # an int past the float range: convert one by one
            pass
    return _numpy_to_float(arr, column, offset)


def numeric_chunks(values: object, column: str | None = None) -> Iterator[FloatArray]:
    """Yield float64 chunks of `values`, rows counted across chunks for error positions."""
    offset = 0
    for chunk in iter_chunks(values):
        out = to_float64(chunk, column, offset)
        offset += out.shape[0]
        yield out


def _numeric_view(chunk: object) -> npt.NDArray[Any] | None:
    """A zero-copy numpy view of a chunk of numbers or booleans held in a numpy dtype, else None."""
    if isinstance(chunk, np.ndarray):
        arr = chunk
    elif _library(chunk) == "pandas" and isinstance(getattr(chunk, "dtype", None), np.dtype):
        arr = np.asarray(chunk.to_numpy())  # type: ignore[attr-defined]
    else:
        return None
    return arr if arr.ndim == 1 and arr.dtype.kind in "iufb" else None


def numeric_blocks(values: object, column: str | None, size: int) -> Iterator[FloatArray]:
    """Yield `values` as float64 blocks of at most `size` rows (NaN for missing), as numeric_chunks.

    Numbers in a numpy dtype, pyarrow arrays and pandas' nullable or object arrays are converted
    one block at a time, so an integer column, an Arrow array with nulls or a pandas Float64
    column is never copied whole; other containers (lists, numpy objects) are converted per
    chunk, then cut.
    """
    offset = 0
    for chunk in iter_chunks(values):
        view = _numeric_view(chunk)
        if view is not None:
            n = view.shape[0]
            for start in range(0, n, size):
                yield view[start : start + size].astype(np.float64, copy=False)
        elif _library(chunk) in ("pyarrow", "pandas") and len(chunk) > size:  # type: ignore[arg-type]
            # Arrow arrays and pandas' own arrays (nullable Int64/Float64, objects) slice as views.
            whole: Any = getattr(chunk, "array", chunk)  # a pandas Series or Index holds an array
            n = len(whole)
            for start in range(0, n, size):
                yield to_float64(whole[start : start + size], column, offset + start)
        else:
            out = to_float64(chunk, column, offset)
            n = out.shape[0]
            for start in range(0, n, size):
                yield out[start : start + size]
        offset += n


def finite_numeric(values: object, column: str | None = None) -> FloatArray:
    """Return the finite values of a (reference) sample as one fresh float64 array (free to reorder)."""
    parts = [c[np.isfinite(c)] for c in numeric_chunks(values, column)]  # boolean indexing copies
    if len(parts) == 1:
        return parts[0]
    return np.concatenate(parts) if parts else np.empty(0, dtype=np.float64)


def _integer_counts(arr: npt.NDArray[Any]) -> Iterator[tuple[object, int]]:
    # Integer codes usually span a narrow range: one bincount pass over it is several times
    # faster than the sort inside np.unique. Wide or uint64 ranges keep np.unique.
    if arr.size and not (arr.dtype.kind == "u" and arr.dtype.itemsize == 8):
        lo, hi = int(arr.min()), int(arr.max())
        if hi - lo <= max(arr.size, _BINCOUNT_MIN_SPAN):
            shifted = arr if lo >= 0 and hi <= _BINCOUNT_MIN_SPAN else np.subtract(arr, lo, dtype=np.intp)
            base = 0 if shifted is arr else lo
            counts = np.bincount(shifted)
            present = np.flatnonzero(counts)
            yield from zip((present + base).tolist(), counts[present].tolist(), strict=True)
            return
    uniq, cnt = np.unique(arr, return_counts=True)
    yield from zip(uniq.tolist(), cnt.tolist(), strict=True)


def _chunk_value_counts(chunk: object) -> Iterator[tuple[object, int]]:
    lib = _library(chunk)
    if lib == "pandas":
        # Series, Index and the pandas arrays all take dropna; only some take sort.
        vc = chunk.value_counts(dropna=False)  # type: ignore[attr-defined]
        yield from zip(vc.index.tolist(), vc.to_numpy().tolist(), strict=True)
        return
    if lib == "pyarrow":
        if str(chunk.type).startswith("dictionary"):  # type: ignore[attr-defined]
            chunk = chunk.dictionary_decode()  # type: ignore[attr-defined]
        vc = chunk.value_counts()  # type: ignore[attr-defined]
        yield from zip(vc.field(0).to_pylist(), vc.field(1).to_pylist(), strict=True)
        return
    arr = np.asarray(chunk, dtype=object) if isinstance(chunk, list | tuple) else np.asarray(chunk)
    if arr.ndim != 1:
        raise ValueError(f"values must be one-dimensional, got shape {arr.shape}")
    if arr.dtype.kind in "iu":
        yield from _integer_counts(arr)
        return
    if arr.dtype.kind == "b":
        uniq, cnt = np.unique(arr, return_counts=True)
        yield from zip(uniq.tolist(), cnt.tolist(), strict=True)
        return
    yield from Counter(arr.tolist()).items()


def category_counts(values: object, column: str | None = None) -> dict[CategoryValue, int]:
    """Count non-missing values by category (missing values are not included)."""
    counts: dict[CategoryValue, int] = {}
    for chunk in iter_chunks(values):
        for value, n in _chunk_value_counts(chunk):
            if n and not is_missing(value):
                key = to_category(value)
                counts[key] = counts.get(key, 0) + int(n)
    return counts


def missing_and_category_counts(values: object) -> tuple[int, dict[CategoryValue, int]]:
    """Return (missing count, counts by category) in one pass."""
    missing = 0
    counts: dict[CategoryValue, int] = {}
    for chunk in iter_chunks(values):
        for value, n in _chunk_value_counts(chunk):
            if is_missing(value):
                missing += int(n)
            else:
                key = to_category(value)
                counts[key] = counts.get(key, 0) + int(n)
    return missing, counts


def peek_kind(values: object) -> tuple[object, Literal["numeric", "categorical"]]:
    """Infer the kind as infer_kind does and return values still whole (a one-shot iterator re-chained)."""
    if not isinstance(values, Iterator):
        return values, infer_kind(values)
    first = next(values, None)
    if first is None:
        return iter(()), "numeric"
    return itertools.chain([first], values), infer_kind(first)


def infer_kind(values: object) -> Literal["numeric", "categorical"]:
    """Infer 'numeric' for number-typed containers (not booleans), else 'categorical'."""
    first = next(iter_chunks(values), None)
    if first is None:
        return "numeric"
    lib = _library(first)
    if lib == "pandas":
        kind = first.dtype.kind  # type: ignore[attr-defined]
        name = str(first.dtype)  # type: ignore[attr-defined]
        return "numeric" if kind in "iuf" or name[:3] in ("Int", "UIn", "Flo") else "categorical"
    if lib == "pyarrow":
        name = str(first.type)  # type: ignore[attr-defined]
        numeric = name.startswith(_ARROW_NUMERIC_PREFIXES) and not name.startswith("bool")
        return "numeric" if numeric else "categorical"
    arr = np.asarray(first, dtype=object) if isinstance(first, list | tuple) else np.asarray(first)
    if arr.dtype.kind in "iuf":
        return "numeric"
    if arr.dtype.kind == "O":
        present = [v for v in arr.tolist() if not is_missing(v)]
        if present and all(isinstance(v, int | float) and not isinstance(v, bool) for v in present):
            return "numeric"
    return "categorical"
