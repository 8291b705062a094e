"""Value types of categorical columns: tell when live values changed type, and when text compares them.

A categorical baseline keeps its categories as plain values (strings, integers, floats, booleans),
so its type is the set of those values' types. Live values are matched to categories by Python
equality, which silently puts every value of another type in `other`: the integers 0..4 match
none of the strings "0".."4". The rules here say what to do instead:

- `same`: the live type is one the categories have (integers and floats count as one type:
  they are matched by numeric value, 1 == 1.0, as always). No change, count as usual.
- `text`: strings on one side, integers on the other. An integer's text is its canonical
  decimal (`str(3)` == "3", `str(-12)` == "-12"), so the values are matched by text: live 3
  matches category "3", live "3" matches category 3; "03", "3.0" or " 3" match nothing (their
  text differs) and count as `other`. The column is reported as a type change and still scored.
- None: any other pair (floats against strings, booleans against anything else, bytes against
  text) cannot be matched safely: "1.0" against 1.0, "True" against 1, b"a" against "a" are
  guesses. The column is reported as a type change and not scored.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

import numpy as np

from driftmon.core.bins import CategoricalBins
from driftmon.core.errors import BinSpecError

ValueType = Literal["string", "integer", "float", "boolean", "binary"]
TypeMatch = Literal["same", "text"]

_NUMBERS: frozenset[ValueType] = frozenset({"integer", "float"})
_TEXT_SAFE: frozenset[ValueType] = frozenset({"string", "integer"})


def value_type(value: object) -> ValueType:
    """Return the type family of one non-missing value (anything not listed is matched as text)."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "float"
    if isinstance(value, bytes | bytearray | memoryview):
        return "binary"
    # Dates, times, decimals, UUIDs... become their text as categories (core.values.to_category).
    return "string"


def _bytes_text(category: str) -> bool:
    # A baseline fitted on a binary column holds each value's Python text, b'...' or b"...".
    return len(category) >= 3 and category[0] == "b" and category[1] in "'\"" and category[-1] == category[1]


def category_types(spec: CategoricalBins) -> frozenset[ValueType]:
    """Return the type families of a baseline's categories (empty when it has none)."""
    out: set[ValueType] = set()
    for category in spec.categories:
        kind = value_type(category)
        out.add("binary" if kind == "string" and _bytes_text(str(category)) else kind)
    return frozenset(out)


def _numbers_as_one(types: Iterable[ValueType]) -> frozenset[str]:
    return frozenset("number" if t in _NUMBERS else t for t in types)


def type_match(reference: frozenset[ValueType], live: frozenset[ValueType]) -> TypeMatch | None:
    """Return how live values of types `live` are matched to categories of types `reference`.

    `same` when nothing changed (or either side has no value to tell), `text` when the values
    are compared by their text (strings against integers), None when they cannot be compared.
    """
    if not reference or not live or _numbers_as_one(live) <= _numbers_as_one(reference):
        return "same"
    if reference | live <= _TEXT_SAFE:
        return "text"
    return None


def text_bins(spec: CategoricalBins) -> CategoricalBins:
    """Return the bins with each category replaced by its text, in the same order (same bins).

    Raises BinSpecError when two categories have the same text (1 and "1"): text cannot tell
    them apart, so such a baseline is not compared by text.
    """
    return CategoricalBins(tuple(str(c) for c in spec.categories))


def describe_types(types: Iterable[ValueType]) -> str:
    """Return type families for a message: 'string', 'integer and string'."""
    names = sorted(set(types))
    if not names:
        return "no values"
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


@dataclass(frozen=True)
class TypeChange:
    """A categorical column whose live values are of another type than its baseline's categories."""

    reference: frozenset[ValueType]
    live: frozenset[ValueType]
    match: TypeMatch | None

    @classmethod
    def between(cls, spec: CategoricalBins, live: frozenset[ValueType]) -> TypeChange | None:
        """Return the change from `spec`'s categories to `live` types, or None when there is none."""
        reference = category_types(spec)
        match = type_match(reference, live)
        if match == "text":
            try:
                text_bins(spec)
            except BinSpecError:  # 1 and "1" in one baseline: text cannot tell them apart
                match = None
        if match == "same":
            return None
        return cls(reference, live, match)

    @property
    def compared(self) -> bool:
        """Whether the values can still be compared (by their text)."""
        return self.match == "text"

    def describe(self) -> str:
        """Say what changed and what was done about it, for a column's stored error text."""
        head = (
            f"type changed: the baseline's categories are {describe_types(self.reference)}, "
            f"the live values {describe_types(self.live)}"
        )
        if self.compared:
            return f"{head}; compared by text (an integer's text is its decimal digits)"
        return (
            f"{head}; not compared: values of these types cannot be matched safely "
            "(cast the column back to its reference type, or refit the baseline)"
        )
