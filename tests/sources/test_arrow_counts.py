"""The Arrow fast paths count exactly what core.count_values counts."""

from __future__ import annotations

import math

import numpy as np
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from driftmon.core import CategoricalBins, NumericBins, count_values
from driftmon.sources.arrow_counts import count_arrow

floats = st.one_of(
    st.none(), st.sampled_from([0.0, 1.0, -1.0, 2.5, math.inf, -math.inf, math.nan]), st.floats()
)
edges = st.lists(st.sampled_from([-1.0, 0.0, 0.5, 1.0, 2.5]), max_size=4, unique=True).map(sorted)


@settings(max_examples=200)
@given(values=st.lists(floats, max_size=60), cut=st.integers(0, 10), edge_list=edges)
def test_float64_buffers_with_nulls_and_offsets(
    values: list[float | None], cut: int, edge_list: list[float]
) -> None:
    spec = NumericBins(tuple(edge_list))
    array = pa.array(values, pa.float64())
    sliced = array.slice(min(cut, len(values)))
    for arr in (array, sliced, pa.chunked_array([array, sliced], pa.float64())):
        expected = count_values(spec, arr).counts
        assert count_arrow(spec, arr, "x").tolist() == expected.tolist()


@settings(max_examples=200)
@given(
    values=st.lists(st.one_of(st.none(), st.sampled_from(["a", "b", "c", "é", ""])), max_size=60),
    categories=st.lists(st.sampled_from(["a", "b", "zz", ""]), max_size=3, unique=True),
    cut=st.integers(0, 10),
)
def test_dictionary_arrays(values: list[str | None], categories: list[str], cut: int) -> None:
    spec = CategoricalBins(tuple(categories))
    encoded = pa.array(values, pa.string()).dictionary_encode()
    for arr in (encoded, encoded.slice(min(cut, len(values)))):
        expected = count_values(spec, arr.dictionary_decode()).counts
        assert count_arrow(spec, arr, "c").tolist() == expected.tolist()


def test_other_types_fall_back_to_the_core() -> None:
    ints = pa.array([1, None, 3, 5], pa.int64())
    assert count_arrow(NumericBins((2.0,)), ints, "i").tolist() == [1, 2, 1]
    numbers_as_dictionary = pa.array([1.5, None, 1.5]).dictionary_encode()
    assert count_arrow(CategoricalBins((1.5,)), numbers_as_dictionary, "f").tolist() == [2, 0, 1]
    nan_in_dictionary = pa.DictionaryArray.from_arrays(
        pa.array([0, 1, None], pa.int8()), pa.array([1.5, np.nan])
    )
    assert count_arrow(CategoricalBins((1.5,)), nan_in_dictionary, "f").tolist() == [1, 0, 2]
