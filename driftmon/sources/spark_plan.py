"""Spark column expressions that bin values inside Spark, planned as the SQL source's columns are.

The same design as the SQL source (see sql_query; the counts come back decoded by
sql_results.decode_aggregates): per numeric column `count(x)`,
`count_if(isnan(x))` and `count_if(x >= e)` per edge, all in ONE aggregate over the window, so
bin i is the difference of neighbouring counts. That reproduces driftmon's half-open bins
[lo, hi) exactly: Spark sorts NaN above +inf (NaN >= e is true, hence counted apart and
subtracted), -0.0 equals 0.0, -inf falls below the first edge and +inf in the last value bin,
NULL and NaN are `missing`. Values are compared as DOUBLE, as driftmon compares float64.

Categorical columns compare with each reference category by Python's equality rules (1, 1.0
and True are one category; the text "1" is not the number 1): a category that cannot equal
any value of the column's type is counted zero and its rows land in `other`. Columns of other
types (dates, timestamps, binary, nested) are grouped by value in a job of their own and mapped
with the core's rules in Python.
"""

from __future__ import annotations

from typing import Any, Literal

from driftmon.core import BinSpec, NumericBins
from driftmon.core.values import CategoryValue
from driftmon.sources.sql_query import ColumnPlan

Family = Literal["string", "integral", "boolean", "floating", "other"]

_INTEGRAL = {"byte", "short", "integer", "long"}
_FLOATING = {"float", "double", "decimal"}
_STRING = {"string", "varchar", "char"}
_INT64 = (-(2**63), 2**63 - 1)


def family(data_type: Any) -> Family:
    """Return how a Spark type's values compare with categories (decimal compares as a float)."""
    name = data_type.typeName()
    if name in _STRING:
        return "string"
    if name in _INTEGRAL:
        return "integral"
    if name == "boolean":
        return "boolean"
    if name in _FLOATING:
        return "floating"
    return "other"


def numeric_type(data_type: Any) -> bool:
    """True for types driftmon counts as numbers (booleans as 0 and 1, as elsewhere)."""
    return family(data_type) in ("integral", "boolean", "floating")


def type_kind(data_type: Any) -> Literal["numeric", "categorical"]:
    """Infer a column's kind from its Spark type: numbers (not booleans) are numeric."""
    return "numeric" if family(data_type) in ("integral", "floating") else "categorical"


def column_ref(name: str) -> Any:
    """Return the column `name` taken literally (dots and backticks in it are not syntax)."""
    from pyspark.sql import functions as F

    return F.col("`" + name.replace("`", "``") + "`")


def _literal(category: CategoryValue, fam: Family) -> object | None:
    """Return the value of the column's type equal to `category` in Python, None if there is none."""
    if fam == "string":
        return category if isinstance(category, str) else None
    if isinstance(category, str):
        return None
    if fam == "floating":
        return float(category)
    if isinstance(category, float) and not category.is_integer():
        return None
    whole = int(category)
    if fam == "boolean":
        return bool(whole) if whole in (0, 1) else None
    return whole if _INT64[0] <= whole <= _INT64[1] else None


def plan_column(name: str, spec: BinSpec, data_type: Any) -> ColumnPlan:
    """Return how column `name` of Spark type `data_type` is counted over `spec`."""
    from pyspark.sql import functions as F

    fam = family(data_type)
    x = column_ref(name)
    if isinstance(spec, NumericBins):
        v = x.cast("double")
        aggregates = [F.count(v), F.count_if(F.isnan(v))]
        aggregates += [F.count_if(v >= F.lit(float(edge))) for edge in spec.edges]
        return ColumnPlan(name, spec, "numeric", tuple(aggregates), counts_nan=True)
    if fam == "other":
        return ColumnPlan(name, spec, "distinct")
    v = x.cast("double") if fam == "floating" else x
    aggregates = [F.count(v)]
    if fam == "floating":
        aggregates.append(F.count_if(F.isnan(v)))
    matches: list[int | None] = []
    for category in spec.categories:
        value = _literal(category, fam)
        if value is None:
            matches.append(None)
        else:
            matches.append(len(aggregates))
            aggregates.append(F.count_if(v == F.lit(value)))
    return ColumnPlan(
        name, spec, "mapped", tuple(aggregates), counts_nan=fam == "floating", matches=tuple(matches)
    )
