"""Bin specs: validation, labels, fingerprints, and lossless JSON round trips."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from driftmon.core import (
    BinSpec,
    BinSpecError,
    CategoricalBins,
    NumericBins,
    bin_spec_from_dict,
)


def same_values(a: tuple[Any, ...], b: tuple[Any, ...]) -> bool:
    """Equal element by element in type and value, with float signs and bits compared too."""
    return len(a) == len(b) and all(
        type(x) is type(y) and (x == y if not isinstance(x, float) else x.hex() == y.hex())
        for x, y in zip(a, b, strict=True)
    )


def assert_round_trips(spec: BinSpec) -> None:
    text = spec.to_json()
    back = bin_spec_from_dict(json.loads(text))
    assert back == spec
    assert back.fingerprint() == spec.fingerprint()
    assert back.to_json() == text
    if isinstance(spec, NumericBins):
        assert isinstance(back, NumericBins)
        assert same_values(back.edges, spec.edges)
    else:
        assert isinstance(back, CategoricalBins)
        assert same_values(back.categories, spec.categories)
        assert back.labels == spec.labels


@pytest.mark.parametrize(
    "spec",
    [
        NumericBins(()),
        NumericBins((0.1 + 0.2,)),
        NumericBins((-1e308, -1e-300, 0.0, 5e-324, 1e-300, 1.7976931348623157e308)),
        NumericBins((-0.0, 1.0)),
        NumericBins((1, 2, 3)),
        CategoricalBins(()),
        CategoricalBins(("a", 7, True, 0.1 + 0.2, 1e-300, -0.5, 'ünïcødé "quoted"', 2**70)),
        CategoricalBins((False, 0.5, "")),
    ],
    ids=repr,
)
def test_examples_round_trip_through_json(spec: BinSpec) -> None:
    assert_round_trips(spec)


finite_floats = st.floats(allow_nan=False, allow_infinity=False, allow_subnormal=True)
category_values = st.one_of(st.text(max_size=20), st.integers(), st.booleans(), finite_floats)


@given(st.lists(finite_floats, max_size=30, unique=True))
def test_numeric_specs_round_trip(values: list[float]) -> None:
    assert_round_trips(NumericBins(tuple(sorted(set(values)))))


@given(st.lists(category_values, max_size=30, unique=True))
def test_categorical_specs_round_trip(values: list[Any]) -> None:
    # unique=True uses Python equality, the same rule CategoricalBins applies (1 == 1.0 == True).
    assert_round_trips(CategoricalBins(tuple(values)))


def test_fingerprints_tell_specs_apart() -> None:
    prints = {
        NumericBins((1.0,)).fingerprint(),
        NumericBins((1.0, 2.0)).fingerprint(),
        NumericBins((math.nextafter(1.0, 2.0),)).fingerprint(),
        CategoricalBins(("1",)).fingerprint(),
        CategoricalBins((1,)).fingerprint(),
        CategoricalBins((1.0,)).fingerprint(),
        CategoricalBins((True,)).fingerprint(),
    }
    assert len(prints) == 7
    assert NumericBins((1,)).fingerprint() == NumericBins((1.0,)).fingerprint()
    assert len(NumericBins(()).fingerprint()) == 64


def test_numeric_labels_name_half_open_bins() -> None:
    spec = NumericBins((0.0, 0.25, 1e6))
    assert spec.labels == ("(-inf, 0)", "[0, 0.25)", "[0.25, 1e+06)", "[1e+06, +inf)", "missing")
    assert spec.missing_index == 4


def test_categorical_labels_and_indices() -> None:
    spec = CategoricalBins(("x", 2, False))
    assert spec.labels == ("x", "2", "False", "other", "missing")
    assert (spec.other_index, spec.missing_index, spec.n_bins) == (3, 4, 5)
    assert spec.index() == {"x": 0, 2: 1, False: 2}


@pytest.mark.parametrize(
    ("categories", "message"),
    [
        (("a", math.nan), "category 1 is nan"),
        ((math.inf,), "category 0 is inf"),
        ((None,), "category 0 is None"),
        ((("tuple",),), r"category 0 is \('tuple',\)"),
        (("a", "b", "a"), "category 'a' appears twice \\(positions 0 and 2\\)"),
        ((1, True), "category True appears twice \\(positions 0 and 1\\)"),
    ],
)
def test_bad_categories_are_refused(categories: tuple[Any, ...], message: str) -> None:
    with pytest.raises(BinSpecError, match=message):
        CategoricalBins(categories)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([1.0], "must be a JSON object, got list"),
        ({"kind": "ordinal"}, "kind must be 'numeric' or 'categorical', got 'ordinal'"),
        ({"edges": [1.0]}, "kind must be 'numeric' or 'categorical', got None"),
        ({"kind": "numeric", "edges": [1.0], "extra": 1}, r"exactly 'kind' and a list 'edges'"),
        ({"kind": "numeric", "edges": "1.0"}, r"exactly 'kind' and a list 'edges'"),
        ({"kind": "numeric", "edges": [1.0, "2"]}, "edge 1 is '2', not a number"),
        ({"kind": "numeric", "edges": [True]}, "edge 0 is True, not a number"),
        ({"kind": "numeric", "edges": [2.0, 1.0]}, "strictly increasing"),
        ({"kind": "categorical", "categories": {"a": 1}}, r"exactly 'kind' and a list 'categories'"),
        ({"kind": "categorical", "categories": [["a"]]}, r"category 0 is \['a'\]"),
    ],
)
def test_bad_spec_documents_are_refused(data: Any, message: str) -> None:
    with pytest.raises(BinSpecError, match=message):
        bin_spec_from_dict(data)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"kind": "numeric", "edges": [NaN]}', "edge 0 is nan"),
        ('{"kind": "numeric", "edges": [1e400]}', "edge 0 is inf"),
    ],
)
def test_bad_spec_json_is_refused(text: str, message: str) -> None:
    with pytest.raises(BinSpecError, match=message):
        bin_spec_from_dict(json.loads(text))


@pytest.mark.parametrize(
    ("edges", "message"),
    [
        ((10**400,), r"edge 0 is 1000+\.\.\., not a number \(int too large to convert to float\)"),
        ((1.0, "abc"), "edge 1 is 'abc', not a number"),
        ((None,), "edge 0 is None, not a number"),
        ((1.0, [2.0]), r"edge 1 is \[2.0\], not a number"),
    ],
)
def test_edges_that_are_not_numbers_are_a_bin_spec_error(edges: tuple[Any, ...], message: str) -> None:
    with pytest.raises(BinSpecError, match=message):
        NumericBins(edges)


def test_an_integer_edge_too_large_for_a_float_is_a_bin_spec_error() -> None:
    with pytest.raises(BinSpecError, match=r"edge 0 is 1000+\.\.\., not a number"):
        bin_spec_from_dict(json.loads('{"kind": "numeric", "edges": [1' + "0" * 400 + "]}"))


def test_a_negative_zero_edge_is_the_zero_edge() -> None:
    negative, positive = NumericBins((-0.0, 1.0)), NumericBins((0.0, 1.0))
    assert negative == positive
    assert negative.fingerprint() == positive.fingerprint()
    assert negative.labels == positive.labels


@given(
    st.lists(st.sampled_from([-0.0, 0.0, -1.0, 1.0, 5e-324, -5e-324]), min_size=1, max_size=4, unique=True),
    st.lists(st.sampled_from([-0.0, 0.0, -1.0, 1.0, 5e-324, -5e-324]), min_size=1, max_size=4, unique=True),
)
def test_numeric_specs_are_equal_exactly_when_their_fingerprints_are(a: list[float], b: list[float]) -> None:
    spec_a, spec_b = NumericBins(tuple(sorted(a))), NumericBins(tuple(sorted(b)))
    assert (spec_a == spec_b) == (spec_a.fingerprint() == spec_b.fingerprint())


def test_numpy_scalar_categories_become_plain_python_values() -> None:
    spec = CategoricalBins((*np.unique(np.array([7, 3])), np.bool_(True), np.float64(1.5), np.str_("x")))
    assert same_values(spec.categories, (3, 7, True, 1.5, "x"))
    assert spec == CategoricalBins((3, 7, True, 1.5, "x"))
    assert spec.fingerprint() == CategoricalBins((3, 7, True, 1.5, "x")).fingerprint()
    assert_round_trips(spec)
