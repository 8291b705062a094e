"""Errors raised by the numeric core; each is a ValueError whose message names what and where.

DriftmonError, the base of every error driftmon raises, is defined here because the core is
the one layer every other may import and it imports none of them; driftmon.errors re-exports
it, and that is where the rest of the package takes it from.
"""

from __future__ import annotations


class DriftmonError(Exception):
    """The base of every error driftmon raises: catching it catches any of driftmon's own failures.

    Each subclass also derives from the built-in a caller would expect (ValueError, LookupError,
    OSError, ...), so code that catches those keeps working.
    """


class InvalidDistributionError(DriftmonError, ValueError):
    """A probability vector is not a valid distribution (negative, NaN, wrong length, bad sum)."""

    def __init__(self, name: str, problem: str) -> None:
        self.name = name
        self.problem = problem
        super().__init__(f"{name}: {problem}")


class NonNumericValueError(DriftmonError, ValueError):
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


class BinSpecError(DriftmonError, ValueError):
    """A bin specification (fitted, explicit or deserialised) is invalid."""


class CountsError(DriftmonError, ValueError):
    """Bin counts do not fit their bin specification or each other."""
