"""Turn what a database returns into bin counts and reference samples."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from driftmon.config import ColumnKind
from driftmon.core import CategoricalBins, NonNumericValueError
from driftmon.core.values import is_missing, to_category
from driftmon.errors import ColumnError, NonNumericColumnError
from driftmon.sources.columns import plain_value, python_to_numpy
from driftmon.sources.sampling import RowSampler
from driftmon.sources.sql_query import NON_NUMERIC_CODE, PG_NUMERIC_TYPES, ColumnPlan

__all__ = ["PG_TYPE_NAMES", "pg_kind", "take_sample", "tally"]

PG_TYPE_NAMES = {
    16: "boolean",
    17: "bytea",
    25: "text",
    114: "json",
    1042: "character",
    1043: "character varying",
    1082: "date",
    1083: "time",
    1114: "timestamp",
    1184: "timestamp with time zone",
    2950: "uuid",
    3802: "jsonb",
}


def take_sample(
    rows: list[Any],
    names: list[str],
    kinds: Mapping[str, ColumnKind | None],
    errors: dict[str, ColumnError],
    sampler: RowSampler,
) -> dict[str, np.ndarray[Any, Any]]:
    """Convert the chosen rows column by column; a column that fails is dropped and noted."""
    taken: dict[str, np.ndarray[Any, Any]] = {}
    for j, name in enumerate(names):
        if name in errors:
            continue
        values = [row[j] for row in rows]
        try:
            taken[name] = python_to_numpy(values, kinds[name] or "categorical", name)
        except NonNumericValueError as exc:
            errors[name] = NonNumericColumnError(name, f"non-numeric value {exc.value!r} in the reference")
            sampler.drop(name)
    return taken


def pg_kind(dialect: str, code: object) -> ColumnKind | None:
    """Infer a kind from a PostgreSQL type OID (None elsewhere: infer from the values)."""
    if dialect != "postgresql" or not isinstance(code, int):
        return None
    return "numeric" if code in PG_NUMERIC_TYPES else "categorical"


def tally(
    plans: Sequence[ColumnPlan], rows: Sequence[tuple[Any, ...]]
) -> tuple[int, dict[str, np.ndarray[Any, Any]], dict[str, ColumnError]]:
    """Add up (column, code, value, count) rows into per-column bin counts, rows and errors."""
    counts = {p.name: np.zeros(p.spec.n_bins, dtype=np.int64) for p in plans}
    errors: dict[str, ColumnError] = {}
    total = 0
    index = [p.spec.index() if isinstance(p.spec, CategoricalBins) else None for p in plans]
    for col, code, value, n in rows:
        col, n = int(col), int(n)
        if col < 0:
            total += n
            continue
        plan = plans[col]
        out = counts[plan.name]
        if plan.strategy != "distinct":
            if int(code) == NON_NUMERIC_CODE:
                errors[plan.name] = NonNumericColumnError(
                    plan.name,
                    f"{n} values in the window are not numbers (text or blob); a numeric column may hold "
                    "numbers and NULL only: clean the source or declare the column categorical",
                )
            else:
                out[int(code)] += n
            continue
        spec = plan.spec
        assert isinstance(spec, CategoricalBins)
        plain = plain_value(value)
        if int(code) == 1 or is_missing(plain):
            out[spec.missing_index] += n
        else:
            lookup = index[col]
            assert lookup is not None
            out[lookup.get(to_category(plain), spec.other_index)] += n
    return total, counts, errors
