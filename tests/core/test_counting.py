"""Counting numeric values over a spec: every container, chunked equals one-shot, histograms add."""

from __future__ import annotations

import decimal
import gc
import math
import re
import weakref
from collections.abc import Callable, Iterator
from itertools import pairwise
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from driftmon.core import (
    CategoricalBins,
    CountsError,
    Histogram,
    NonNumericValueError,
    NumericBins,
    count_values,
)

NUMERIC = NumericBins((-1.0, 0.0, 0.5, 2.0))
CATEGORICAL = CategoricalBins(("a", "b", 3))


@pytest.fixture
def numbers() -> list[float | None]:
    """Numbers with missing values, infinities and values on the edges."""
    rng = np.random.default_rng(11)
    values: list[float | None] = [float(v) for v in rng.normal(0.5, 1.5, size=997)]
    values[::50] = [-1.0, 0.0, -0.0, 0.5, 2.0, math.inf, -math.inf, math.nan, None, 1e300] * 2
    return values


def expected_numeric(values: list[float | None]) -> list[int]:
    edges = np.asarray(NUMERIC.edges)
    present = np.array([v for v in values if v is not None and not math.isnan(v)])
    counts = np.bincount(np.searchsorted(edges, present, side="right"), minlength=edges.size + 1)
    return [*counts.tolist(), len(values) - present.size]


def splits(n: int) -> list[tuple[int, int]]:
    cuts = [0, 1, 1, 7, 100, 101, n // 2, n - 1, n]
    return list(pairwise(sorted(cuts)))


def as_float32(values: list[float | None]) -> np.ndarray:
    with np.errstate(over="ignore"):  # 1e300 becomes inf in float32, as a float32 source would hold
        return np.array([math.nan if x is None else x for x in values]).astype(np.float32)


NumericContainer = Callable[[list[float | None]], Any]

NUMERIC_CONTAINERS: dict[str, NumericContainer] = {
    "numpy": lambda v: np.array([math.nan if x is None else x for x in v], dtype=np.float64),
    "numpy float32": lambda v: as_float32(v),
    "list": lambda v: list(v),
    "tuple": lambda v: tuple(v),
    "pandas float": lambda v: pd.Series(v, dtype="float64"),
    "pandas Float64": lambda v: pd.Series(v, dtype="Float64"),
    "pandas object": lambda v: pd.Series(v, dtype=object),
    "pyarrow": lambda v: pa.array(v, type=pa.float64()),
    "pyarrow float32": lambda v: pa.array(as_float32(v)),
}


@pytest.mark.parametrize("name", NUMERIC_CONTAINERS)
def test_numeric_chunked_counting_equals_one_shot(name: str, numbers: list[float | None]) -> None:
    make = NUMERIC_CONTAINERS[name]
    one_shot = count_values(NUMERIC, make(numbers))
    if "float32" not in name:  # float32 rounds values (and 1e300 to inf): checked separately
        assert one_shot.counts.tolist() == expected_numeric(numbers)
    assert one_shot.n == len(numbers)
    chunks = [make(numbers[a:b]) for a, b in splits(len(numbers))]
    assert count_values(NUMERIC, iter(chunks)) == one_shot
    assert count_values(NUMERIC, (c for c in chunks)) == one_shot
    assert Histogram.sum([count_values(NUMERIC, c) for c in chunks]) == one_shot


def test_float32_values_are_counted_exactly_as_float32(numbers: list[float | None]) -> None:
    finite = [x for x in numbers if x is not None and abs(x) < 1e30]
    as32 = np.array(finite, dtype=np.float32)
    expected = count_values(NUMERIC, as32.astype(np.float64))
    assert count_values(NUMERIC, as32) == expected
    assert count_values(NUMERIC, pa.array(as32)) == expected
    assert count_values(NUMERIC, pd.Series(as32)) == expected


def test_integer_columns_with_missing_values() -> None:
    ints: list[int | None] = [-3, -1, 0, 0, 1, 2, 5, None, 2**40]
    expected = [1, 1, 2, 1, 3, 1]  # (-inf,-1) [-1,0) [0,0.5) [0.5,2) [2,inf) missing
    containers = {
        "pandas Int64 with NA": pd.Series(ints, dtype="Int64"),
        "pyarrow int64 with nulls": pa.array(ints, type=pa.int64()),
        "pyarrow chunked": pa.chunked_array([ints[:4], [], ints[4:]], type=pa.int64()),
        "list": ints,
        "numpy object": np.array(ints, dtype=object),
    }
    for name, values in containers.items():
        assert count_values(NUMERIC, values).counts.tolist() == expected, name
    present = np.array([v for v in ints if v is not None])
    assert count_values(NUMERIC, present).counts.tolist() == [*expected[:-1], 0]
    assert count_values(NUMERIC, present[:-1].astype(np.int8)).counts.tolist() == [*expected[:-2], 2, 0]


def test_pyarrow_chunked_arrays_with_nulls_equal_one_shot(numbers: list[float | None]) -> None:
    one_shot = count_values(NUMERIC, pa.array(numbers, type=pa.float64()))
    chunked = pa.chunked_array([numbers[a:b] for a, b in splits(len(numbers))], type=pa.float64())
    assert chunked.num_chunks > 1
    assert count_values(NUMERIC, chunked) == one_shot
    assert count_values(NUMERIC, pa.chunked_array([], type=pa.float64())) == Histogram.empty(NUMERIC)


def test_a_generator_may_mix_container_kinds(numbers: list[float | None]) -> None:
    makers = list(NUMERIC_CONTAINERS.values())
    chunks = (makers[i % 4 * 2](numbers[a:b]) for i, (a, b) in enumerate(splits(len(numbers))))
    assert count_values(NUMERIC, chunks).counts.tolist() == expected_numeric(numbers)


def test_decimals_and_numpy_scalars_count_as_numbers() -> None:
    values = [decimal.Decimal("0.25"), np.float32(1.5), np.int64(-4), 3, True, None]
    assert count_values(NUMERIC, values).counts.tolist() == [1, 0, 1, 2, 1, 1]
    decimals = pa.array([decimal.Decimal("0.25"), None])
    assert count_values(NUMERIC, decimals).counts.tolist() == [0, 0, 1, 0, 0, 1]


@pytest.mark.parametrize(
    "make",
    [list, lambda v: np.array(v, dtype=object), lambda v: pd.Series(v, dtype=object)],
    ids=["list", "numpy", "pandas"],
)
def test_integers_past_the_float_range_land_in_the_outer_bins(make: Callable[[list[object]], Any]) -> None:
    values = make(
        [10**400, -(10**400), 1, decimal.Decimal("1e500"), decimal.Decimal("sNaN"), decimal.Decimal("NaN")]
    )
    assert count_values(NUMERIC, values).counts.tolist() == [1, 0, 0, 1, 2, 2]


@given(
    st.lists(st.one_of(st.floats(), st.none(), st.integers(-(10**400), 10**400)), max_size=200),
    st.lists(st.integers(0, 200), max_size=5),
)
def test_counts_sum_to_the_number_of_values(values: list[float | int | None], cuts: list[int]) -> None:
    bounds = sorted({0, len(values), *(c for c in cuts if c <= len(values))})
    chunks = [values[a:b] for a, b in pairwise(bounds)]
    one_shot = count_values(NUMERIC, values)
    assert one_shot.n == len(values)
    assert count_values(NUMERIC, iter(chunks)) == one_shot
    missing = sum(v is None or (isinstance(v, float) and math.isnan(v)) for v in values)
    assert one_shot.counts[NUMERIC.missing_index] == missing


# --- strings in a numeric column -------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "row", "shown"),
    [
        (np.array(["1.5", "2"]), 3, "'1.5' (str)"),
        (["n/a"], 3, "'n/a' (str)"),
        (pd.Series([1.0, None, "x"], dtype=object), 5, "'x' (str)"),
        (pd.Series(["1", "2"], dtype="str"), 3, "'1' (str)"),
        (pa.array([None, "oops"]), 4, "'oops' (str)"),
        (pd.Series(pd.to_datetime(["2024-01-01"])), 3, "Timestamp('2024-01-01 00:00:00') (Timestamp)"),
        ([b"bytes"], 3, "b'bytes' (bytes)"),
    ],
    ids=["numpy str", "list", "pandas object", "pandas str", "pyarrow string", "timestamp", "bytes"],
)
def test_a_non_number_in_a_numeric_column_names_column_and_row(values: object, row: int, shown: str) -> None:
    # Three good rows come first, so the row number counts across chunks.
    chunks = iter([np.array([0.0, 1.0, 2.0]), values])
    message = re.escape(f"column 'price': non-numeric value {shown} at row {row}; a numeric column may hold")
    with pytest.raises(NonNumericValueError, match=message) as info:
        count_values(NUMERIC, chunks, column="price")
    assert (info.value.column, info.value.row) == ("price", row)


def test_without_a_column_name_the_error_still_says_where() -> None:
    with pytest.raises(NonNumericValueError, match=r"numeric values: non-numeric value 'x' \(str\) at row 1"):
        count_values(NUMERIC, [1.0, "x"])


@pytest.mark.parametrize(
    ("values", "error", "message"),
    [
        (np.zeros((2, 2)), ValueError, r"one-dimensional, got shape \(2, 2\)"),
        ("1.0, 2.0", TypeError, "values must be an array, a pandas Series, a pyarrow array, a list"),
        (5, TypeError, "got int"),
        (
            iter([np.zeros(2), 3.0]),
            TypeError,
            "each chunk must be an array, Series, pyarrow .* or list; got float",
        ),
    ],
)
def test_unusable_containers_are_refused(values: object, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        count_values(NUMERIC, values)


# --- histograms ----------------------------------------------------------------------------------


def test_histograms_over_one_spec_add_up_to_the_whole(numbers: list[float | None]) -> None:
    hourly = [count_values(NUMERIC, numbers[i : i + 100]) for i in range(0, len(numbers), 100)]
    daily = count_values(NUMERIC, numbers)
    assert Histogram.sum(hourly) == daily
    assert hourly[0] + hourly[1] == count_values(NUMERIC, numbers[:200])
    assert daily + Histogram.empty(NUMERIC) == daily


def test_histograms_over_different_specs_do_not_add() -> None:
    with pytest.raises(CountsError, match="different bin specs"):
        _ = Histogram.empty(NUMERIC) + Histogram.empty(NumericBins((0.0,)))
    with pytest.raises(CountsError, match="cannot sum an empty list"):
        Histogram.sum([])
    assert Histogram.empty(NUMERIC).__add__(3) is NotImplemented


@pytest.mark.parametrize(
    ("counts", "message"),
    [
        ([1, 2, 3], r"counts have 3 bins but the numeric bin spec has 6 bins"),
        ([[1, 2, 3, 4, 5, 6]], r"shape \(1, 6\)"),
        ([1, 2, 3, 4, 5, -6], "counts must be non-negative; bin 5 has -6"),
        ([1, 2, 3, 4, 5, 0.5], "counts must be whole numbers, got dtype float64"),
        ([1, 2, 3, 4, 5, math.nan], "counts must be whole numbers"),
        (["1", "2", "3", "4", "5", "6"], "counts must be whole numbers"),
    ],
)
def test_bad_histogram_counts_are_refused(counts: list[Any], message: str) -> None:
    with pytest.raises(CountsError, match=message):
        Histogram(NUMERIC, np.array(counts))


@pytest.mark.parametrize(
    "counts",
    [
        np.array([2**63, 0, 0, 0, 0, 0], dtype=np.uint64),
        np.array([0, 0, 2.0**63, 0, 0, 0]),
        np.array([1e300] * 6),
    ],
    ids=["uint64", "float 2**63", "float 1e300"],
)
def test_counts_beyond_int64_are_refused_not_wrapped(counts: np.ndarray) -> None:
    with pytest.raises(CountsError, match=r"counts must fit in int64; bin [02] has"):
        Histogram(NUMERIC, counts)


def test_histogram_counts_are_int64_and_read_only() -> None:
    h = Histogram(NUMERIC, np.array([1.0, 2.0, 0.0, 0.0, 0.0, 3.0]))
    assert h.counts.dtype == np.int64
    assert h.n == 6
    assert h.labels == NUMERIC.labels
    with pytest.raises(ValueError, match="read-only"):
        h.counts[0] = 5
    with pytest.raises(TypeError, match="unhashable"):
        hash(h)


def test_counting_streams_without_holding_earlier_chunks() -> None:
    alive: list[weakref.ref[np.ndarray]] = []

    def chunks() -> Iterator[np.ndarray]:
        for i in range(6):
            gc.collect()
            # While chunk i is made, the counter may still hold chunk i - 1, never older ones.
            assert all(ref() is None for ref in alive[: max(i - 1, 0)]), f"an old chunk is alive at {i}"
            chunk = np.full(10_000, float(i))
            alive.append(weakref.ref(chunk))
            yield chunk
            del chunk

    assert count_values(NUMERIC, chunks()).n == 60_000
    assert count_values(CATEGORICAL, chunks()).n == 60_000


def test_a_generator_may_yield_pyarrow_chunked_arrays(numbers: list[float | None]) -> None:
    # e.g. one column of each Parquet file: every file's column is a ChunkedArray.
    files = (pa.chunked_array([numbers[a:b]], type=pa.float64()) for a, b in splits(len(numbers)))
    assert count_values(NUMERIC, files).counts.tolist() == expected_numeric(numbers)
    words = (pa.chunked_array([["a", None], ["zz"]]) for _ in range(3))
    assert count_values(CATEGORICAL, words).counts.tolist() == [3, 0, 0, 3, 3]


@pytest.mark.parametrize(
    "values",
    [
        pd.DataFrame({"price": [1.0, 2.0]}),
        pa.table({"price": [1.0, 2.0]}),
        pa.record_batch({"price": [1.0, 2.0]}),
    ],
    ids=["DataFrame", "pyarrow Table", "pyarrow RecordBatch"],
)
@pytest.mark.parametrize("spec", [NUMERIC, CATEGORICAL], ids=["numeric", "categorical"])
def test_a_table_is_refused_one_column_is_expected(
    values: object, spec: NumericBins | CategoricalBins
) -> None:
    with pytest.raises(TypeError, match=r"values must be one column, got a \w+ with columns \['price'\]"):
        count_values(spec, values)
    with pytest.raises(TypeError, match=r"values must be one column, got a \w+"):
        count_values(spec, iter([values]))


# --- columns longer than one counting block ---------------------------------------------------


def long_integers() -> np.ndarray:
    """150,000 integers around the edges: more than two counting blocks of 65,536 rows."""
    return np.random.default_rng(5).integers(-3, 4, size=150_000)


@pytest.mark.parametrize(
    "make",
    [
        lambda x: x,
        lambda x: x.astype(np.int8),
        lambda x: pd.Series(x),
        lambda x: pd.Series(x, dtype="Int64"),
        lambda x: x > 0,
        lambda x: pa.array(x),
        lambda x: pa.chunked_array([pa.array(x[:70_000]), pa.array(x[70_000:])]),
    ],
    ids=["numpy int64", "numpy int8", "pandas int64", "pandas Int64", "bool", "pyarrow", "pyarrow chunked"],
)
def test_long_columns_convert_block_by_block_with_the_same_counts(make: Callable[[np.ndarray], Any]) -> None:
    x = long_integers()
    values = make(x)
    booleans = isinstance(values, np.ndarray) and values.dtype == bool
    as_floats = np.asarray(x > 0 if booleans else x, dtype=float)
    edges = np.asarray(NUMERIC.edges)
    expected = np.bincount(np.searchsorted(edges, as_floats, side="right"), minlength=edges.size + 1)
    assert count_values(NUMERIC, values).counts.tolist() == [*expected.tolist(), 0]


def test_long_columns_keep_nulls_and_row_numbers_across_blocks() -> None:
    x = long_integers().astype(float)
    mask = np.zeros(x.size, dtype=bool)
    mask[[0, 65_535, 65_536, 149_999]] = True
    with_nulls = pa.array(x, mask=mask)
    counts = count_values(NUMERIC, with_nulls).counts
    assert counts[-1] == 4
    assert counts.sum() == x.size
    # Missing values (nulls) are fine in a numeric column; the first string is the error, and its
    # row counts the earlier chunk and the earlier blocks.
    message = r"column 'n': non-numeric value 'x' \(str\) at row 70003;"
    for words in (
        pa.array([None] * 70_000 + ["x"] + [None] * 10, type=pa.string()),
        pd.Series([None] * 70_000 + ["x"] + [None] * 10, dtype=object),
    ):
        with pytest.raises(NonNumericValueError, match=message):
            count_values(NUMERIC, iter([np.zeros(3), words]), column="n")
