"""Turn what a database returns into bin counts and reference samples."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from driftmon.config import ColumnKind
from driftmon.core import CategoricalBins, NonNumericValueError
from driftmon.core.sampling import RowSampler
from driftmon.core.types import TypeChange, text_bins, value_type
from driftmon.core.values import is_missing, to_category
from driftmon.errors import ColumnError, ColumnTypeChangedError, NonNumericColumnError
from driftmon.sources.columns import plain_value, python_to_numpy
from driftmon.sources.sql_query import PG_NUMERIC_TYPES, ColumnPlan

IntArray = npt.NDArray[np.int64]

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


def decode_aggregates(
    plans: Sequence[ColumnPlan], row: Sequence[Any]
) -> tuple[int, dict[str, IntArray], dict[str, ColumnError]]:
    """Turn the aggregate row (rows, then each plan's aggregates) into bin counts per column.

    The SQL and Spark sources' rows alike: both plan their columns as sql_query.ColumnPlan.
    """
    values = [int(v or 0) for v in row]
    rows, pos = values[0], 1
    counts: dict[str, IntArray] = {}
    errors: dict[str, ColumnError] = {}
    for plan in plans:
        part = values[pos : pos + len(plan.aggregates)]
        pos += len(plan.aggregates)
        if plan.strategy == "numeric":
            error = _numeric(plan, rows, part, counts)
            if error is not None:
                errors[plan.name] = error
        else:
            _mapped(plan, rows, part, counts)
    return rows, counts, errors


def _numeric(plan: ColumnPlan, rows: int, part: list[int], counts: dict[str, IntArray]) -> ColumnError | None:
    non_null, k = part[0], 1
    nan = bad = 0
    if plan.counts_nan:
        nan, k = part[k], k + 1
    if plan.counts_non_numeric:
        bad, k = part[k], k + 1
    if bad:
        return NonNumericColumnError(
            plan.name,
            f"{bad} values in the window are not numbers (text or blob); a numeric column may hold "
            "numbers and NULL only: clean the source or declare the column categorical",
        )
    valid = non_null - nan
    at_least = [valid] + [g - nan for g in part[k:]]  # rows >= each edge; NaN compares above all
    out = np.zeros(plan.spec.n_bins, dtype=np.int64)
    out[:-1] = np.array(at_least) - np.array([*at_least[1:], 0])
    out[-1] = rows - valid
    counts[plan.name] = out
    return None


def _mapped(plan: ColumnPlan, rows: int, part: list[int], counts: dict[str, IntArray]) -> None:
    spec = plan.spec
    assert isinstance(spec, CategoricalBins)
    present = part[0] - (part[1] if plan.counts_nan else 0)
    out = np.zeros(spec.n_bins, dtype=np.int64)
    for i, at in enumerate(plan.matches):
        out[i] = part[at] if at is not None else 0
    out[spec.other_index] = present - int(out[: spec.other_index].sum())
    out[spec.missing_index] = rows - present
    counts[plan.name] = out


def add_distinct(
    name: str,
    spec: CategoricalBins,
    rows: Sequence[Any],
    counts: dict[str, IntArray],
    errors: dict[str, ColumnError],
    changes: dict[str, TypeChange],
) -> None:
    """Count column `name` from its (is_null, value, count) rows into `counts`, with the core's rules.

    When the values' types differ from the categories' (core.types), they are matched by text
    and the change goes into `changes`, or, if they cannot be compared, the column fails in `errors`.
    """
    values = [(bool(int(null)), plain_value(value), int(n)) for null, value, n in rows]
    live = frozenset(value_type(v) for null, v, _ in values if not null and not is_missing(v))
    change = TypeChange.between(spec, live)
    if change is not None and not change.compared:
        errors[name] = ColumnTypeChangedError(name, change.describe())
        return
    by_text = change is not None
    index = (text_bins(spec) if by_text else spec).index()
    out = np.zeros(spec.n_bins, dtype=np.int64)
    for null, plain, n in values:
        if null or is_missing(plain):
            out[spec.missing_index] += n
        else:
            key = str(to_category(plain)) if by_text else to_category(plain)
            out[index.get(key, spec.other_index)] += n
    counts[name] = out
    if change is not None:
        changes[name] = change
