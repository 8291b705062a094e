"""A table or query in any SQLAlchemy database, counted inside the database (see sql_query).

Timestamps: a naive timestamp column is read as UTC (PostgreSQL sessions run with
TimeZone=UTC, so `timestamp` and `timestamptz` columns agree); on SQLite the column may hold
ISO-8601 text (any offset) or Unix seconds, compared at millisecond precision. A source opened
without a timestamp column (a training table or query used as the reference) reads every row.

If the one statement for all columns fails, each column is retried alone so the failing one is
named (ColumnReadError) and the others are still counted.

Read only: a source's `query` is trusted input (it is run as written, by the source's database
user), but every statement runs in a read-only transaction where the database has one:
PostgreSQL transactions begin with SET TRANSACTION READ ONLY, so a query that writes (directly
or through a function it calls) fails with a clear error and changes nothing; SQLite
connections of a source run with PRAGMA query_only. Other databases get no such guard: give
the source a database user that may only read.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.sql.selectable import FromClause

from driftmon.config import SqlSourceConfig
from driftmon.core import BinSpec, CategoricalBins
from driftmon.core.sampling import RowSampler, Sampling
from driftmon.core.types import TypeChange
from driftmon.core.values import infer_kind
from driftmon.errors import (
    ColumnError,
    ColumnReadError,
    ColumnTypeError,
    MissingColumnError,
    SourceError,
    SourceQueryError,
    SourceSchemaError,
    SourceTimeoutError,
    SourceUnreachableError,
)
from driftmon.sources.base import CHECK_ROWS, ColumnKinds, ReferenceColumn, ReferenceSample, SourceCounts
from driftmon.sources.checks import check_python_columns
from driftmon.sources.columns import python_to_numpy
from driftmon.sources.first_row import moment_utc
from driftmon.sources.sql_engine import create_source_engine, first_line, sqlstate
from driftmon.sources.sql_query import (
    PG_NUMERIC_TYPES,
    PG_TIME_TYPES,
    ColumnPlan,
    aggregate_statement,
    distinct_statement,
    first_time_statement,
    plan_column,
    probe_statement,
    relation,
    time_conditions,
)
from driftmon.sources.sql_results import (
    PG_TYPE_NAMES,
    IntArray,
    add_distinct,
    decode_aggregates,
    pg_kind,
    take_sample,
)
from driftmon.windows import Span

_FETCH_ROWS = 20_000


class _Rejected(SourceQueryError):
    """The database rejected a statement, maybe for one column's sake: counts retry each column alone."""


class SqlSource:
    """Count or sample columns of a table or query over a time span, inside the database."""

    def __init__(
        self, config: SqlSourceConfig, timestamp_column: str | None, *, timeout: float | None = None
    ) -> None:
        self.config = config
        self.timestamp_column = timestamp_column
        self.timeout = timeout
        self._engine: Engine | None = None
        self._url = config.url.get_secret_value()
        self._password = make_url(self._url).password

    @property
    def description(self) -> str:
        return self.config.description

    def _reason(self, exc: BaseException) -> str:
        text = first_line(exc)
        return text.replace(str(self._password), "***") if self._password else text

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            self._engine = create_source_engine(self._url, self.description)
        return self._engine

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def __enter__(self) -> SqlSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close pooled connections."""
        if self._engine is not None:
            self._engine.dispose()

    @contextmanager
    def _connect(self) -> Iterator[Connection]:
        try:
            conn = self.engine.connect()
        except sa.exc.DBAPIError as exc:
            raise SourceUnreachableError(self.description, self._reason(exc)) from None
        except sa.exc.ArgumentError as exc:
            raise SourceUnreachableError(self.description, f"cannot use this URL: {exc}") from None
        try:
            yield conn
        finally:
            conn.close()

    def ping(self) -> None:
        """Run SELECT 1; raise SourceUnreachableError if the database does not answer."""
        with self._connect() as conn:
            try:
                conn.execute(sa.text("SELECT 1"))
            except sa.exc.DBAPIError as exc:
                raise SourceUnreachableError(self.description, self._reason(exc)) from None

    def _fail(self, exc: sa.exc.DBAPIError) -> SourceError:
        if exc.connection_invalidated or isinstance(exc, sa.exc.InterfaceError):
            return SourceUnreachableError(self.description, self._reason(exc))
        if sqlstate(exc) == "57014" and self.timeout is not None:
            return SourceTimeoutError(self.description, self.timeout)
        if sqlstate(exc) == "25006":  # read_only_sql_transaction: no column is to blame, none is retried
            return SourceQueryError(
                self.description,
                f"the query tried to write, and sources are read only: {self._reason(exc)}; "
                "nothing was changed (a source query may only read)",
            )
        return _Rejected(self.description, f"the database rejected the query: {self._reason(exc)}")

    def _begin(self, conn: Connection) -> None:
        if self.dialect != "postgresql":
            return  # SQLite source connections are query_only (sql_engine)
        conn.exec_driver_sql("SET TRANSACTION READ ONLY")
        if self.timeout is not None:
            conn.exec_driver_sql(f"SET LOCAL statement_timeout = {max(1, int(self.timeout * 1000))}")

    def _probe(self, conn: Connection) -> dict[str, object]:
        """Return the relation's columns and their type codes (PostgreSQL type OIDs, else None)."""
        try:
            with conn.begin():
                self._begin(conn)
                result = conn.execute(probe_statement(self.config))
                description = result.cursor.description if result.cursor is not None else None
                names = list(result.keys())
        except sa.exc.DBAPIError as exc:
            missing = sqlstate(exc) == "42P01" or "no such table" in str(exc.orig)
            if missing and self.config.table is not None:
                raise SourceSchemaError(
                    self.description, f"table {self.config.qualified_table!r} does not exist"
                ) from None
            raise self._fail(exc) from None
        codes = [d[1] for d in description] if description else [None] * len(names)
        info = dict(zip(names, codes, strict=True))
        if self.timestamp_column is not None and self.timestamp_column not in info:
            raise SourceSchemaError(
                self.description,
                f"timestamp column {self.timestamp_column!r} not found; it has {', '.join(names)}",
            )
        return info

    def _usable(
        self,
        info: Mapping[str, object],
        kinds: ColumnKinds,
        errors: dict[str, ColumnError],
    ) -> list[str]:
        available = [n for n in info if n != self.timestamp_column]
        usable = []
        for name, kind in kinds.items():
            code = info.get(name)
            if name not in info:
                errors[name] = MissingColumnError(name, self.description, available)
            elif kind == "numeric" and self.dialect == "postgresql" and isinstance(code, int):
                if code in PG_NUMERIC_TYPES:
                    usable.append(name)
                else:
                    errors[name] = ColumnTypeError(
                        name, PG_TYPE_NAMES.get(code, f"PostgreSQL type oid {code}")
                    )
            else:
                usable.append(name)
        return usable

    def _relation(self, names: list[str], span: Span | None) -> tuple[FromClause, list[Any]]:
        """Return the relation exposing `names` (and the timestamp) and the span's conditions on it."""
        ts = self.timestamp_column
        rel = relation(self.config, [ts, *names] if ts is not None else names)
        if ts is None:  # every row: a training set needs no event time
            if span is not None:
                raise SourceSchemaError(self.description, f"no timestamp column to select {span}")
            return rel, []
        return rel, time_conditions(self.dialect, rel.c[ts], span)

    def _execute(self, conn: Connection, statement: sa.Executable) -> list[Any]:
        """Run one statement in its own transaction; a statement the database rejects raises _Rejected."""
        try:
            with conn.begin():
                self._begin(conn)
                return list(conn.execute(statement).all())
        except sa.exc.DBAPIError as exc:
            raise self._fail(exc) from None

    def _aggregate(
        self, conn: Connection, rel: FromClause, conditions: list[Any], plans: list[ColumnPlan]
    ) -> tuple[int, dict[str, IntArray], dict[str, ColumnError]]:
        try:
            (row,) = self._execute(conn, aggregate_statement(rel, conditions, plans))
            return decode_aggregates(plans, row)
        except _Rejected:
            if not plans:
                raise
        # One of the columns may be to blame: count each alone so only that one fails.
        rows, counts, errors = self._aggregate(conn, rel, conditions, [])
        for plan in plans:
            try:
                (row,) = self._execute(conn, aggregate_statement(rel, conditions, [plan]))
            except _Rejected as exc:
                errors[plan.name] = ColumnReadError(plan.name, f"the database rejected it: {exc.reason}")
                continue
            _, one, one_errors = decode_aggregates([plan], row)
            counts.update(one)
            errors.update(one_errors)
        return rows, counts, errors

    def count(self, specs: Mapping[str, BinSpec], span: Span | None) -> SourceCounts:
        """Count every column's bins in the database: one aggregate query, per column if it fails."""
        errors: dict[str, ColumnError] = {}
        changes: dict[str, TypeChange] = {}
        with self._connect() as conn:
            info = self._probe(conn)
            names = self._usable(info, {n: s.kind for n, s in specs.items()}, errors)
            rel, conditions = self._relation(names, span)
            plans = [plan_column(self.dialect, rel, n, specs[n], i, info.get(n)) for i, n in enumerate(names)]
            shared = [p for p in plans if p.strategy != "distinct"]
            rows, counts, failed = self._aggregate(conn, rel, conditions, shared)
            errors.update(failed)
            for plan in plans:
                if plan.strategy != "distinct":
                    continue
                assert isinstance(plan.spec, CategoricalBins)
                try:
                    grouped = self._execute(conn, distinct_statement(rel, conditions, plan.name))
                except _Rejected as exc:
                    errors[plan.name] = ColumnReadError(plan.name, f"the database rejected it: {exc.reason}")
                    continue
                add_distinct(plan.name, plan.spec, grouped, counts, errors, changes)
        return SourceCounts.of(specs, counts, errors, rows, changes)

    def first_timestamp(self, span: Span | None) -> datetime | None:
        """Return the earliest event time inside the span (None: no row), as MIN() in the database."""
        ts = self.timestamp_column
        if ts is None:
            raise SourceSchemaError(self.description, "no timestamp column to find the first row by")
        with self._connect() as conn:
            self._probe(conn)
            rel, conditions = self._relation([], span)
            statement = first_time_statement(self.dialect, rel.c[ts], conditions).select_from(rel)
            ((value,),) = self._execute(conn, statement)
        return moment_utc(datetime.fromisoformat(value) if isinstance(value, str) else value)

    def check_columns(self, columns: ColumnKinds) -> dict[str, ColumnError]:
        """Check the relation and its timestamp column, then each column's type and first rows."""
        errors: dict[str, ColumnError] = {}
        with self._connect() as conn:
            info = self._probe(conn)
            code = info.get(self.timestamp_column) if self.timestamp_column is not None else None
            if self.dialect == "postgresql" and isinstance(code, int) and code not in PG_TIME_TYPES:
                raise SourceSchemaError(
                    self.description,
                    f"timestamp column {self.timestamp_column!r} has type "
                    f"{PG_TYPE_NAMES.get(code, f'oid {code}')}; expected a timestamp or date",
                )
            names = self._usable(info, columns, errors)
            if names:
                rel, _ = self._relation(names, None)
                statement = sa.select(*[rel.c[n] for n in names]).select_from(rel).limit(CHECK_ROWS)
                head = self._execute(conn, statement)
                errors.update(check_python_columns(head, columns, names))
        return errors

    def read_reference(self, columns: ColumnKinds, span: Span | None, sampling: Sampling) -> ReferenceSample:
        """Stream the reference rows and keep a uniform sample of at most `sampling.size` rows."""
        errors: dict[str, ColumnError] = {}
        sampler = RowSampler(sampling.size, sampling.seed)
        with self._connect() as conn:
            info = self._probe(conn)
            names = self._usable(info, columns, errors)
            kinds = {n: columns[n] or pg_kind(self.dialect, info.get(n)) for n in names}
            rel, conditions = self._relation(names, span)
            selected = [rel.c[n] for n in names] or [sa.literal(1)]
            statement = sa.select(*selected).select_from(rel).where(*conditions)
            try:
                with conn.begin():
                    self._begin(conn)
                    result = conn.execution_options(stream_results=True, yield_per=_FETCH_ROWS).execute(
                        statement
                    )
                    for part in result.partitions():
                        chosen = [part[i] for i in sampler.offer(len(part))]
                        sampler.add(take_sample(chosen, names, kinds, errors, sampler))
            except sa.exc.DBAPIError as exc:
                raise self._fail(exc) from None
        values = sampler.result()
        out: dict[str, ReferenceColumn] = {}
        for name in names:
            if name in errors:
                continue
            sample = values.get(name, np.empty(0, dtype=object))
            kind = kinds[name] or infer_kind(sample)
            if kind == "numeric" and sample.dtype != np.float64:
                sample = python_to_numpy(sample.tolist(), "numeric", name)
            out[name] = ReferenceColumn(name, kind, sample)
        return ReferenceSample(out, errors, sampler.rows, sampler.sampled)
