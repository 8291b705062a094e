"""core.types: when a categorical column's live values changed type, and when text compares them."""

from __future__ import annotations

import pytest

from driftmon.core import CategoricalBins, count_values
from driftmon.core.types import TypeChange, category_types, text_bins, type_match, value_type


@pytest.mark.parametrize(
    ("value", "expected"),
    [("a", "string"), (3, "integer"), (True, "boolean"), (2.5, "float"), (b"x", "binary")],
)
def test_value_types(value: object, expected: str) -> None:
    assert value_type(value) == expected


def test_category_types_recognise_a_binary_baseline() -> None:
    assert category_types(CategoricalBins(("0", "1"))) == {"string"}
    assert category_types(CategoricalBins(("b'\\x00'", 'b"q"'))) == {"binary"}
    assert category_types(CategoricalBins((1, "b", 2.5, False))) == {"integer", "string", "float", "boolean"}
    assert category_types(CategoricalBins(())) == frozenset()


@pytest.mark.parametrize(
    ("reference", "live", "expected"),
    [
        ({"string"}, {"string"}, "same"),
        ({"integer"}, {"float"}, "same"),  # 1 == 1.0: matched by value, as always
        ({"float"}, {"integer"}, "same"),
        ({"string"}, set(), "same"),  # only missing values: nothing to tell
        ({"string"}, {"integer"}, "text"),
        ({"integer"}, {"string"}, "text"),
        ({"integer", "string"}, {"string"}, "same"),
        ({"string"}, {"float"}, None),  # never floats against text
        ({"float"}, {"string"}, None),
        ({"integer"}, {"boolean"}, None),
        ({"string"}, {"binary"}, None),
        ({"binary"}, {"string"}, None),
        ({"boolean"}, {"string"}, None),
    ],
)
def test_type_match(reference: set[str], live: set[str], expected: str | None) -> None:
    assert type_match(frozenset(reference), frozenset(live)) == expected  # type: ignore[arg-type]


def test_compared_by_text_keeps_the_bins_and_their_order() -> None:
    spec = CategoricalBins((3, 1, 2))
    text = text_bins(spec)
    assert text.categories == ("3", "1", "2")
    assert text.n_bins == spec.n_bins
    counts = count_values(text, ["1", "1", "3", "03", "2.0", None]).counts.tolist()
    assert counts == [1, 2, 0, 2, 1]  # "03" and "2.0" are other text: `other`


def test_a_change_is_described_and_ambiguous_text_is_not_compared() -> None:
    change = TypeChange.between(CategoricalBins(("0", "1")), frozenset({"integer"}))
    assert change is not None
    assert change.compared
    assert change.describe() == (
        "type changed: the baseline's categories are string, the live values integer; "
        "compared by text (an integer's text is its decimal digits)"
    )
    assert TypeChange.between(CategoricalBins(("0", "1")), frozenset({"string"})) is None
    clash = TypeChange.between(CategoricalBins((1, "1")), frozenset({"integer"}))
    assert clash is None  # integer is one of its types: nothing changed
    ambiguous = TypeChange.between(CategoricalBins((1, "1", "a")), frozenset({"boolean"}))
    assert ambiguous is not None
    assert not ambiguous.compared
    assert "not compared" in ambiguous.describe()
