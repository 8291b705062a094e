"""SQL built with SQLAlchemy Core that bins values inside the database; only counts come back.

Every table and column name is a quoted identifier (sa.table / sa.column), every edge, category
and time bound a bound parameter, and a `query` source is wrapped as a subquery. Per column:

- numeric: a CASE that maps each value to its bin index, half-open [lo, hi) like the core
  (`width_bucket(x, ARRAY[edges])` on PostgreSQL, which agrees exactly); NULL (and NaN on
  PostgreSQL) to the missing bin; on SQLite a value that is not a number to -1, an error;
- categorical: a CASE over the reference categories (index, `other`, `missing`) when the
  categories and the column are both text, integers or booleans; otherwise GROUP BY the raw
  value and map it in Python with the core's rules (numbers, dates, mixed types).

The binned columns come from one subquery over the window; PostgreSQL groups them with
GROUPING SETS (one scan), other databases with UNION ALL of one GROUP BY per column; both are
a single round trip, and an empty grouping set counts the rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.selectable import FromClause, Select

from driftmon.config import SqlSourceConfig
from driftmon.core import BinSpec, CategoricalBins, NumericBins
from driftmon.windows import Span

__all__ = [
    "NON_NUMERIC_CODE",
    "PG_NUMERIC_TYPES",
    "ColumnPlan",
    "counts_statement",
    "pg_rows",
    "plan_column",
    "probe_statement",
    "relation",
    "time_conditions",
]

NON_NUMERIC_CODE = -1
PG_NUMERIC_TYPES = {20, 21, 23, 26, 700, 701, 1700}  # int8 int2 int4 oid float4 float8 numeric
_PG_TEXT_TYPES = {18, 19, 25, 1042, 1043}
_PG_INT_TYPES = {20, 21, 23}
_PG_BOOL = 16
_SQLITE_TIME = "%Y-%m-%d %H:%M:%f"
_PARAM_TYPES: dict[type, Any] = {str: sa.String(), int: sa.BigInteger(), bool: sa.Boolean()}


def relation(config: SqlSourceConfig, columns: Sequence[str]) -> FromClause:
    """Return the table, or the user's query as a subquery, exposing `columns`."""
    cols: list[sa.ColumnClause[Any]] = [sa.column(name) for name in dict.fromkeys(columns)]
    if config.table is not None:
        return sa.table(config.table, *cols, schema=config.table_schema)
    assert config.query is not None
    # Colons are escaped so text() does not read `'a:b'` as a bind parameter.
    text = sa.text(config.query.replace(":", r"\:"))
    return text.columns(*cols).subquery("driftmon_source")


def probe_statement(config: SqlSourceConfig) -> Select[Any]:
    """Return SELECT * over the relation matching no row: its result names the columns and types."""
    if config.table is not None:
        source: FromClause = sa.table(config.table, schema=config.table_schema)
    else:
        assert config.query is not None
        source = sa.text(config.query.replace(":", r"\:")).columns().subquery("driftmon_source")
    return sa.select(sa.literal_column("*")).select_from(source).where(sa.false())


def _sqlite_time(expr: ColumnElement[Any]) -> ColumnElement[Any]:
    # SQLite keeps timestamps as ISO text (any offset, 'T' or space) or Unix seconds; both are
    # normalised to UTC 'YYYY-MM-DD HH:MM:SS.SSS', which compares correctly as text.
    return sa.case(
        (sa.func.typeof(expr) == "text", sa.func.strftime(_SQLITE_TIME, expr)),
        else_=sa.func.strftime(_SQLITE_TIME, expr, "unixepoch"),
    )


def _sqlite_bound(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S") + f".{moment.microsecond // 1000:03d}"


def time_conditions(dialect: str, ts: ColumnElement[Any], span: Span | None) -> list[ColumnElement[bool]]:
    """Return `ts >= :start AND ts < :end` for the span's bounds, as bound parameters."""
    if span is None:
        return []
    out: list[ColumnElement[bool]] = []
    if dialect == "sqlite":
        value = _sqlite_time(ts)
        if span.start is not None:
            out.append(value >= sa.bindparam("window_start", _sqlite_bound(span.start), sa.String))
        if span.end is not None:
            out.append(value < sa.bindparam("window_end", _sqlite_bound(span.end), sa.String))
        return out
    kind = sa.DateTime(timezone=True)
    if span.start is not None:
        out.append(ts >= sa.bindparam("window_start", span.start, kind))
    if span.end is not None:
        out.append(ts < sa.bindparam("window_end", span.end, kind))
    return out


@dataclass(frozen=True)
class ColumnPlan:
    """How one column is binned: `code` maps rows to bin indices, or `value` is grouped raw."""

    name: str
    spec: BinSpec
    strategy: Literal["numeric", "mapped", "distinct"]
    code: ColumnElement[Any] | None = None
    missing: ColumnElement[Any] | None = None
    value: ColumnElement[Any] | None = None


def _numeric_code(dialect: str, x: ColumnElement[Any], spec: NumericBins, i: int) -> ColumnElement[Any]:
    missing = spec.missing_index
    edges = list(spec.edges)
    if dialect == "postgresql":
        nan = sa.cast(sa.literal("NaN"), sa.Float)
        when: list[tuple[ColumnElement[bool], Any]] = [(sa.or_(x.is_(None), x == nan), missing)]
        if not edges:
            return sa.case(*when, else_=0)
        array = sa.bindparam(f"edges_{i}", edges, postgresql.ARRAY(sa.Float))
        return sa.case(*when, else_=sa.func.width_bucket(x, array))
    when = [(x.is_(None), missing)]
    if dialect == "sqlite":
        when.append((sa.func.typeof(x).not_in(["integer", "real"]), NON_NUMERIC_CODE))
    for j, edge in enumerate(edges):
        when.append((x < sa.bindparam(f"edge_{i}_{j}", edge, sa.Float), j))
    return sa.case(*when, else_=len(edges))


def _category_family(values: Sequence[object]) -> type | None:
    for family in (bool, int, str):
        if values and all(type(v) is family for v in values):
            return family
    return None


def _can_map(dialect: str, spec: CategoricalBins, type_code: object) -> bool:
    family = _category_family(spec.categories)
    if family is None:
        return not spec.categories  # no categories: everything is `other` or `missing`
    if dialect != "postgresql" or not isinstance(type_code, int):
        return True
    allowed = {str: _PG_TEXT_TYPES, int: _PG_INT_TYPES, bool: {_PG_BOOL}}[family]
    return type_code in allowed


def plan_column(
    dialect: str, rel: FromClause, name: str, spec: BinSpec, i: int, type_code: object = None
) -> ColumnPlan:
    """Return the binning plan of column `name` (the i-th column of the statement)."""
    x = rel.c[name]
    if isinstance(spec, NumericBins):
        return ColumnPlan(name, spec, "numeric", code=_numeric_code(dialect, x, spec, i))
    if _can_map(dialect, spec, type_code):
        when: list[tuple[ColumnElement[bool], Any]] = [(x.is_(None), spec.missing_index)]
        for j, category in enumerate(spec.categories):
            kind = _PARAM_TYPES[type(category)]
            when.append((x == sa.bindparam(f"category_{i}_{j}", category, kind), j))
        return ColumnPlan(name, spec, "mapped", code=sa.case(*when, else_=spec.other_index))
    return ColumnPlan(name, spec, "distinct", missing=sa.case((x.is_(None), 1), else_=0), value=x)


def counts_statement(
    dialect: str, rel: FromClause, conditions: Sequence[ColumnElement[bool]], plans: Sequence[ColumnPlan]
) -> sa.Executable:
    """Return one statement that counts every plan's bins and the rows in the window.

    Result rows are (column index, bin code, raw value, count); column index -1 is the row total.
    """
    parts: list[Any] = []
    for i, plan in enumerate(plans):
        if plan.strategy == "distinct":
            assert plan.missing is not None
            assert plan.value is not None
            parts += [plan.missing.label(f"m{i}"), plan.value.label(f"v{i}")]
        else:
            assert plan.code is not None
            parts.append(plan.code.label(f"b{i}"))
    if not parts:  # rows only: a constant keeps the subquery valid
        parts.append(sa.literal(1).label("one"))
    inner = sa.select(*parts).select_from(rel)
    if conditions:
        inner = inner.where(*conditions)
    binned = inner.subquery("binned")
    if dialect == "postgresql":
        return _grouping_sets(binned, plans)
    return _union_all(binned, plans)


def _grouping_sets(binned: FromClause, plans: Sequence[ColumnPlan]) -> Select[Any]:
    sets: list[Any] = []
    for i, plan in enumerate(plans):
        if plan.strategy == "distinct":
            sets.append(sa.tuple_(binned.c[f"m{i}"], binned.c[f"v{i}"]))
        else:
            sets.append(sa.tuple_(binned.c[f"b{i}"]))
    sets.append(sa.text("()"))
    columns = [c for c in binned.c if c.name != "one"]
    counted = sa.select(*columns, sa.func.count().label("n")).select_from(binned)
    return counted.group_by(sa.func.grouping_sets(*sets))


def _union_all(binned: FromClause, plans: Sequence[ColumnPlan]) -> sa.CompoundSelect[Any]:
    null = sa.null()
    total: Any = sa.select(
        sa.literal(-1).label("col"), sa.literal(0).label("code"), null.label("value"), sa.func.count()
    )
    branches = [total]
    for i, plan in enumerate(plans):
        if plan.strategy == "distinct":
            m, v = binned.c[f"m{i}"], binned.c[f"v{i}"]
            branches.append(sa.select(sa.literal(i), m, v, sa.func.count()).group_by(m, v))
        else:
            b = binned.c[f"b{i}"]
            branches.append(sa.select(sa.literal(i), b, null, sa.func.count()).group_by(b))
    branches = [b.select_from(binned) for b in branches]
    return sa.union_all(*branches)


def pg_rows(rows: Sequence[Any], plans: Sequence[ColumnPlan]) -> list[tuple[int, Any, Any, int]]:
    """Turn GROUPING SETS rows (b0, m1, v1, ..., one, n) into (column, code, value, count)."""
    out: list[tuple[int, Any, Any, int]] = []
    for row in rows:
        values = list(row)
        n = int(values[-1])
        pos, which = 0, None
        for i, plan in enumerate(plans):
            width = 2 if plan.strategy == "distinct" else 1
            if values[pos] is not None:
                which = (i, values[pos], values[pos + 1] if width == 2 else None)
                break
            pos += width
        out.append((*which, n) if which else (-1, 0, None, n))
    return out
