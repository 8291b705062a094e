"""Errors raised by the numeric core; each is a ValueError whose message names what and where."""

from __future__ import annotations

__all__ = [
    "BinSpecError",
    "CountsError",
    "InvalidDistributionError",
    "NonNumericValueError",
]


class InvalidDistributionError(ValueError):
    """A probability vector is not a valid distribution (negative, NaN, wrong length, bad sum)."""

    def __init__(self, name: str, problem: str) -> None:
        self.name = name
        self.problem = problem
        super().__init__(f"{name}: {problem}")


class NonNumericValueError(ValueError):
    """A numeric column holds a value that is not a number."""

    def __init__(self, column: str | None, value: object, row: int) -> None:
        self.column = column
        self.value = value
        self.row = row
        where = f"column {column!r}" if column else "numeric values"
        super().__init__(
            f"{where}: non-numeric value {value!r} ({type(value).__name__}) at row {row}; "
            "a numeric column may hold numbers, None or NaN only: clean the source or "
            "declare the column categorical"
        )


class BinSpecError(ValueError):
    """A bin specification (fitted, explicit or deserialised) is invalid."""


class CountsError(ValueError):
    """Bin counts do not fit their bin specification or each other."""
