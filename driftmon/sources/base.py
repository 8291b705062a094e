"""The Source protocol and what sources return: bin counts per column, or a reference sample.

A source reads one relation (a table, a query, or a set of files) with an event-time column.
Only bin counts leave it for live windows (`count`); the reference is read once per baseline
fit (`read_reference`) as a bounded, seeded row sample for fitting bin edges, and then counted
exactly with the fitted specs (see driftmon.sources.fit_reference).

A source also finds its first row in a span (where catch-up begins) and checks its columns
from the schema and a few rows (`check-config --connect`).

Errors: a source that cannot be read at all raises a SourceError (unreachable database, missing
or corrupt file, missing table or timestamp column). A problem confined to one column (missing
from the data, not numeric, rejected by the database) is reported in `errors[column]` and the
other columns are still counted.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, TypeAlias, runtime_checkable

import numpy as np
import numpy.typing as npt

from driftmon.config import ColumnKind
from driftmon.core import BinSpec, Histogram
from driftmon.core.sampling import Sampling
from driftmon.core.types import TypeChange
from driftmon.errors import ColumnError
from driftmon.windows import Span

# Rows read to check that columns fit their kinds (`check-config --connect`): a look, not a scan.
CHECK_ROWS = 100

# The columns to read, by name, each with its configured kind (None: inferred from the data).
ColumnKinds: TypeAlias = Mapping[str, ColumnKind | None]


@dataclass(frozen=True)
class SourceCounts:
    """Bin counts of one read: a histogram per counted column, an error per failed column.

    `type_changes` names the counted columns whose live values changed type and were counted by
    their text (core.types); a change that cannot be compared is an error of its column
    (ColumnTypeChangedError) instead.
    """

    histograms: Mapping[str, Histogram]
    errors: Mapping[str, ColumnError] = field(default_factory=dict)
    rows: int = 0
    type_changes: Mapping[str, TypeChange] = field(default_factory=dict)

    @classmethod
    def of(
        cls,
        specs: Mapping[str, BinSpec],
        counts: Mapping[str, npt.NDArray[np.int64]],
        errors: Mapping[str, ColumnError],
        rows: int,
        changes: Mapping[str, TypeChange],
    ) -> SourceCounts:
        """Return the counts of the columns that did not fail, with the type changes among them."""
        histograms = {n: Histogram(specs[n], c) for n, c in counts.items() if n not in errors}
        return cls(histograms, errors, rows, {n: c for n, c in changes.items() if n in histograms})


@dataclass(frozen=True)
class ReferenceColumn:
    """A reference column's sampled values: float64 (NaN = missing) if numeric, else objects."""

    name: str
    kind: ColumnKind
    values: npt.NDArray[Any] = field(repr=False)

    def __post_init__(self) -> None:
        if self.kind == "numeric" and self.values.dtype != np.float64:
            raise ValueError(f"numeric reference column {self.name!r} must hold float64 values")


@dataclass(frozen=True)
class ReferenceSample:
    """Rows sampled from a reference, column by column; `rows` counts every reference row.

    When `sampled` is False the sample holds every row (missing values included), so counting
    it gives the exact reference histogram without a second read.
    """

    columns: Mapping[str, ReferenceColumn]
    errors: Mapping[str, ColumnError]
    rows: int
    sampled: bool


@runtime_checkable
class Source(Protocol):
    """A relation with an event-time column that counts values over bins in a time span."""

    @property
    def description(self) -> str:
        """Name the source for messages and logs (secrets hidden)."""
        ...

    def ping(self) -> None:
        """Raise a SourceError unless the source can be reached now."""
        ...

    def count(self, specs: Mapping[str, BinSpec], span: Span | None) -> SourceCounts:
        """Count each column's values over its bins for rows with span.start <= ts < span.end."""
        ...

    def read_reference(self, columns: ColumnKinds, span: Span | None, sampling: Sampling) -> ReferenceSample:
        """Sample up to `sampling.size` rows of the span; a None kind is inferred from the data."""
        ...

    def first_timestamp(self, span: Span | None) -> datetime | None:
        """Return the earliest event time of the rows in the span; None when it has no row."""
        ...

    def check_columns(self, columns: ColumnKinds) -> dict[str, ColumnError]:
        """Return each column that is missing or does not fit its kind, from the schema and first rows.

        A problem with the whole source (unreachable, no such file or table, no timestamp
        column where one is needed) raises its SourceError.
        """
        ...

    def close(self) -> None:
        """Release connections and file handles."""
        ...
