"""Counting categorical values: every container and value type, chunked equals one-shot."""

from __future__ import annotations

import math
from collections.abc import Callable
from itertools import pairwise
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from driftmon.core import CategoricalBins, Histogram, count_values

CATEGORICAL = CategoricalBins(("a", "b", 3))


def splits(n: int) -> list[tuple[int, int]]:
    cuts = [0, 1, 1, 7, 100, 101, n // 2, n - 1, n]
    return list(pairwise(sorted(cuts)))


WORDS: list[object] = ["a", "b", "b", None, "zz", 3, "a", math.nan, "b", "3", 3.0, "a"] * 20


CategoricalContainer = Callable[[list[object]], Any]

CATEGORICAL_CONTAINERS: dict[str, CategoricalContainer] = {
    "list": lambda v: list(v),
    "numpy object": lambda v: np.array(v, dtype=object),
    "pandas object": lambda v: pd.Series(v, dtype=object),
}


@pytest.mark.parametrize("make", CATEGORICAL_CONTAINERS.values(), ids=CATEGORICAL_CONTAINERS.keys())
def test_categorical_chunked_counting_equals_one_shot(make: CategoricalContainer) -> None:
    one_shot = count_values(CATEGORICAL, make(WORDS))
    assert one_shot.counts.tolist() == [60, 60, 40, 40, 40]
    chunks = [make(WORDS[a:b]) for a, b in splits(len(WORDS))]
    assert count_values(CATEGORICAL, iter(chunks)) == one_shot
    assert Histogram.sum([count_values(CATEGORICAL, c) for c in chunks]) == one_shot


def test_categorical_strings_in_pyarrow_and_pandas_string_dtypes() -> None:
    words: list[str | None] = ["a", "b", None, "zz", "a", "a"] * 50
    expected = [150, 50, 0, 50, 50]
    containers = {
        "pyarrow": pa.array(words),
        "pyarrow large_string": pa.array(words, type=pa.large_string()),
        "pyarrow chunked": pa.chunked_array([words[:7], words[7:]]),
        "pyarrow dictionary": pa.array(words).dictionary_encode(),
        "pandas str": pd.Series(words, dtype="str"),
        "pandas string": pd.Series(words, dtype="string"),
        "pandas category": pd.Series(words, dtype="category"),
        "numpy U with None as text": np.array([w or "None" for w in words]),
    }
    for name, values in containers.items():
        counts = count_values(CATEGORICAL, values).counts.tolist()
        if name.startswith("numpy"):
            assert counts == [150, 50, 0, 100, 0], name  # "None" is just a string there
        else:
            assert counts == expected, name
    generator = (pa.array(words[i : i + 13]) for i in range(0, len(words), 13))
    assert count_values(CATEGORICAL, generator).counts.tolist() == expected


def test_categorical_integers_and_bools() -> None:
    spec = CategoricalBins((0, 1, 2))
    ints = np.random.default_rng(5).integers(-1, 5, size=10_000)
    expected = [int((ints == k).sum()) for k in (0, 1, 2)]
    expected += [ints.size - sum(expected), 0]
    assert count_values(spec, ints).counts.tolist() == expected
    assert count_values(spec, iter(np.array_split(ints, 7))).counts.tolist() == expected
    assert count_values(spec, pa.array(ints)).counts.tolist() == expected
    assert count_values(spec, pd.Series(ints, dtype="Int64")).counts.tolist() == expected
    with_missing = pd.Series([0, None, 9], dtype="Int64")
    assert count_values(spec, with_missing).counts.tolist() == [1, 0, 0, 1, 1]
    bools = CategoricalBins((True, False))
    assert count_values(bools, np.array([True, True, False])).counts.tolist() == [2, 1, 0, 0]
    assert count_values(bools, pa.array([True, None, False])).counts.tolist() == [1, 1, 0, 1]
    assert count_values(bools, pd.Series([True, None], dtype="boolean")).counts.tolist() == [1, 0, 0, 1]


@settings(max_examples=50, deadline=None)
@given(st.lists(st.sampled_from(["a", "b", "c", None, 3, 3.0, True, math.nan]), max_size=300))
def test_categorical_counts_sum_to_the_number_of_values(values: list[object]) -> None:
    h = count_values(CATEGORICAL, values)
    assert h.n == len(values)
    assert h.counts[CATEGORICAL.missing_index] == sum(v is None or v != v for v in values)


INT_DTYPES = ["int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64"]


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_categorical_integers_of_every_dtype_and_range(data: st.DataObject) -> None:
    dtype = data.draw(st.sampled_from(INT_DTYPES), label="dtype")
    info = np.iinfo(dtype)
    lo = data.draw(st.integers(int(info.min), int(info.max)), label="lo")
    hi = min(int(info.max), lo + data.draw(st.sampled_from([0, 1, 100, 2**16, 2**20, 2**40, 2**64])))
    values = np.array(data.draw(st.lists(st.integers(lo, hi), min_size=1, max_size=300)), dtype=dtype)
    distinct = sorted({int(v) for v in values})
    spec = CategoricalBins(tuple(distinct[: max(1, len(distinct) // 2)]))
    expected = np.zeros(spec.n_bins, dtype=np.int64)
    for v in values.tolist():
        expected[spec.index().get(v, spec.other_index)] += 1
    assert count_values(spec, values).counts.tolist() == expected.tolist()
    assert count_values(spec, iter(np.array_split(values, 3))).counts.tolist() == expected.tolist()


@pytest.mark.parametrize(
    "make",
    [
        lambda v: pd.array(v, dtype="string"),
        lambda v: pd.array(v, dtype="str"),
        lambda v: pd.Categorical(v),
        lambda v: pd.Index(v, dtype=object),
        lambda v: pd.array(v, dtype=object),
    ],
    ids=["StringArray", "str array", "Categorical", "Index", "NumpyExtensionArray"],
)
def test_pandas_arrays_and_indexes_count_like_series(make: Callable[[list[object]], Any]) -> None:
    words: list[object] = ["a", None, "zz", "b", "a"]
    assert count_values(CATEGORICAL, make(words)).counts.tolist() == [2, 1, 0, 1, 1]
    assert count_values(CATEGORICAL, iter([make(words[:2]), make(words[2:])])).counts.tolist() == [
        2,
        1,
        0,
        1,
        1,
    ]
    assert count_values(CategoricalBins((3,)), pd.array([3, None, 4], dtype="Int64")).counts.tolist() == [
        1,
        1,
        1,
    ]
