"""A table, Spark SQL query or path read by Spark; windows and baselines are computed inside Spark.

A window is ONE aggregate job over all columns (see spark_plan): the timestamp filter is part of
the scan, so Spark prunes partitions and pushes it into Parquet, Delta or Iceberg; only counts
come back to driftmon. Columns of types that cannot be compared in place (dates, timestamps,
nested) each take a GROUP BY job of their own.

A reference is fitted inside Spark too (see spark_fit): one aggregate job gives its row count
and what the edges need; a reference of at most `sample_size` rows (200 000 by default) is then
collected and fitted and counted by driftmon's own code, exactly as every source does, while a
larger one gets approximate quantile edges (percentile_approx, `accuracy`) and exact category
and bin counts from Spark.

Timestamps: a timestamp without a zone (TIMESTAMP_NTZ) and the session time zone are UTC unless
the source's `conf` sets `spark.sql.session.timeZone`; a date is midnight. A source opened
without a timestamp column (a training set as the reference) reads every row. The monitor's
timeout interrupts the source's Spark jobs.
"""

from __future__ import annotations

import functools
import threading
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from driftmon.config import ColumnSettings, SparkSourceConfig
from driftmon.config.sources import secret_conf_key
from driftmon.core import BinSpec, CategoricalBins
from driftmon.core.sampling import Sampling
from driftmon.core.types import TypeChange
from driftmon.errors import (
    ColumnError,
    ColumnReadError,
    ColumnTypeError,
    MissingColumnError,
    SourceError,
    SourceFileNotFoundError,
    SourceQueryError,
    SourceSchemaError,
    SourceTimeoutError,
    SourceUnreachableError,
)
from driftmon.sources.base import CHECK_ROWS, ColumnKinds, ReferenceColumn, ReferenceSample, SourceCounts
from driftmon.sources.checks import check_arrow_columns
from driftmon.sources.columns import arrow_to_numpy
from driftmon.sources.reference import ReferenceFit, fit_sample
from driftmon.sources.spark_fit import fit_plan, spec_of
from driftmon.sources.spark_plan import column_ref, numeric_type, plan_column, type_kind
from driftmon.sources.spark_session import error_condition, first_line, spark_session
from driftmon.sources.sql_results import add_distinct, decode_aggregates
from driftmon.windows import Span

T = TypeVar("T")
_TIME_TYPES = {"timestamp", "timestamp_ntz", "date"}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_UNREACHABLE = ("Py4JNetworkError", "SparkConnectGrpcException", "RetriesExceeded")


class SparkSource:
    """Count or fit columns of a Spark table, query or path over a time span, inside Spark."""

    def __init__(
        self, config: SparkSourceConfig, timestamp_column: str | None, *, timeout: float | None = None
    ) -> None:
        self.config = config
        self.timestamp_column = timestamp_column
        self.timeout = timeout
        self._spark: Any = None
        token = config.master.partition(";token=")[2].split(";")[0] if config.connect else ""
        self._secrets = [v for k, v in config.conf.items() if secret_conf_key(k) and len(v) >= 4]
        self._secrets += [token] if len(token) >= 4 else []

    @property
    def description(self) -> str:
        return self.config.description

    def __enter__(self) -> SparkSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Keep the session: the next window reuses it (a driver takes seconds to start)."""

    @property
    def spark(self) -> Any:
        if self._spark is None:
            self._spark = spark_session(self.config, self.description)
        return self._spark

    def _scrub(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text

    def _fail(self, exc: BaseException) -> SourceError:
        """Translate a Spark error into the SourceError a monitor's run records."""
        text = self._scrub(first_line(exc))
        condition = error_condition(exc, text)
        names = {c.__name__ for c in type(exc).__mro__}
        if condition == "TABLE_OR_VIEW_NOT_FOUND" and self.config.table is not None:
            return SourceSchemaError(self.description, f"table {self.config.table!r} does not exist ({text})")
        if condition == "PATH_NOT_FOUND" and self.config.path is not None:
            return SourceFileNotFoundError(self.description, self.config.path)
        if condition.startswith("DATA_SOURCE_NOT_FOUND"):
            return SourceQueryError(
                self.description,
                f"this Spark session cannot read format {self.config.format!r}: add its package "
                f"(e.g. conf spark.jars.packages) and catalog settings ({text})",
            )
        if names & set(_UNREACHABLE) or isinstance(exc, ConnectionError):
            return SourceUnreachableError(self.description, f"Spark does not answer: {text}")
        if "ParseException" in names:
            return SourceQueryError(self.description, f"Spark cannot parse the query: {text}")
        return SourceQueryError(self.description, f"Spark failed: {text}")

    def _run(self, action: Callable[[Any], T]) -> T:
        """Run Spark work on the session; the monitor's timeout cancels its jobs."""
        spark = self.spark
        group = f"driftmon-{uuid.uuid4().hex}"
        timer: threading.Timer | None = None
        fired, done = threading.Event(), threading.Event()
        if self.timeout is not None:
            # A classic driver cancels by job group (set for this thread), Spark Connect by tag.
            if self.config.connect:
                spark.addTag(group)
                cancel = functools.partial(spark.interruptTag, group)
            else:
                spark.sparkContext.setJobGroup(group, self.description, interruptOnCancel=True)
                cancel = functools.partial(spark.sparkContext.cancelJobGroup, group)

            def interrupt() -> None:
                # Cancelling reaches running jobs only: repeat until the action gives up, so a
                # job submitted just after the deadline is cancelled too.
                fired.set()
                while not done.is_set():
                    cancel()
                    done.wait(0.5)

            timer = threading.Timer(self.timeout, interrupt)
            timer.daemon = True
            timer.start()
        try:
            return action(spark)
        except SourceError:
            raise
        except Exception as exc:
            if fired.is_set():
                raise SourceTimeoutError(self.description, float(self.timeout or 0)) from None
            raise self._fail(exc) from None
        finally:
            done.set()
            if timer is not None:
                timer.cancel()
                if self.config.connect:
                    spark.removeTag(group)
                else:
                    for key in ("spark.jobGroup.id", "spark.job.description", "spark.job.interruptOnCancel"):
                        spark.sparkContext.setLocalProperty(key, None)

    def _frame(self, spark: Any) -> Any:
        if self.config.table is not None:
            return spark.table(self.config.table)
        if self.config.query is not None:
            return spark.sql(self.config.query)
        return spark.read.format(self.config.format).load(self.config.path)

    def _types(self, frame: Any) -> dict[str, Any]:
        types = {f.name: f.dataType for f in frame.schema.fields}
        ts = self.timestamp_column
        if ts is not None and ts not in types:
            raise SourceSchemaError(
                self.description, f"timestamp column {ts!r} not found; it has {', '.join(types)}"
            )
        if ts is not None and types[ts].typeName() not in _TIME_TYPES:
            raise SourceSchemaError(
                self.description,
                f"timestamp column {ts!r} has type {types[ts].simpleString()}; expected a timestamp or date",
            )
        return types

    def _time(self, types: Mapping[str, Any]) -> Any:
        assert self.timestamp_column is not None
        ts = column_ref(self.timestamp_column)
        return ts if types[self.timestamp_column].typeName() == "timestamp" else ts.cast("timestamp")

    def _window(self, frame: Any, types: Mapping[str, Any], span: Span | None) -> Any:
        """Return the frame's rows with span.start <= ts < span.end (a filter Spark pushes down)."""
        if self.timestamp_column is None:  # every row: a training set needs no event time
            if span is not None:
                raise SourceSchemaError(self.description, f"no timestamp column to select {span}")
            return frame
        if span is None:
            return frame
        from pyspark.sql import functions as F

        ts = self._time(types)
        if span.start is not None:
            frame = frame.where(ts >= F.lit(span.start))
        if span.end is not None:
            frame = frame.where(ts < F.lit(span.end))
        return frame

    def _usable(
        self, types: Mapping[str, Any], kinds: ColumnKinds, errors: dict[str, ColumnError]
    ) -> list[str]:
        available = [n for n in types if n != self.timestamp_column]
        usable = []
        for name, kind in kinds.items():
            if name not in types or name == self.timestamp_column:
                errors[name] = MissingColumnError(name, self.description, available)
            elif kind == "numeric" and not numeric_type(types[name]):
                errors[name] = ColumnTypeError(name, types[name].simpleString())
            else:
                usable.append(name)
        return usable

    def ping(self) -> None:
        """Raise a SourceError unless Spark answers and the relation can be resolved."""
        self._run(lambda spark: self._types(self._frame(spark)))

    def count(self, specs: Mapping[str, BinSpec], span: Span | None) -> SourceCounts:
        """Count every column's bins in ONE Spark aggregate job (GROUP BY jobs for dates and the like)."""
        return self._run(lambda spark: self._count(spark, specs, span))

    def _count(self, spark: Any, specs: Mapping[str, BinSpec], span: Span | None) -> SourceCounts:
        from pyspark.sql import functions as F

        errors: dict[str, ColumnError] = {}
        frame = self._frame(spark)
        types = self._types(frame)
        names = self._usable(types, {n: s.kind for n, s in specs.items()}, errors)
        window = self._window(frame, types, span)
        plans = [plan_column(n, specs[n], types[n]) for n in names]
        shared = [p for p in plans if p.strategy != "distinct"]
        aggregates = [a for plan in shared for a in plan.aggregates]
        (row,) = window.agg(F.count(F.lit(1)), *aggregates).collect()
        rows, counts, failed = decode_aggregates(shared, list(row))
        errors.update(failed)  # none: only SQLite counts values that are not numbers
        changes: dict[str, TypeChange] = {}
        for plan in plans:
            if plan.strategy == "distinct":
                assert isinstance(plan.spec, CategoricalBins)
                x = column_ref(plan.name)
                grouped = window.groupBy(x.isNull(), x).count().collect()
                add_distinct(plan.name, plan.spec, [tuple(g) for g in grouped], counts, errors, changes)
        return SourceCounts.of(specs, counts, errors, rows, changes)

    def first_timestamp(self, span: Span | None) -> datetime | None:
        """Return the earliest event time inside the span (None: no row), as MIN() in Spark."""
        if self.timestamp_column is None:
            raise SourceSchemaError(self.description, "no timestamp column to find the first row by")

        def first(spark: Any) -> Any:
            from pyspark.sql import functions as F

            frame = self._frame(spark)
            types = self._types(frame)
            window = self._window(frame, types, span)
            # Micros since the epoch, not a datetime: pyspark turns timestamps into local time.
            return window.agg(F.unix_micros(F.min(self._time(types)))).collect()[0][0]

        micros = self._run(first)
        return None if micros is None else _EPOCH + timedelta(microseconds=int(micros))

    def check_columns(self, columns: ColumnKinds) -> dict[str, ColumnError]:
        """Check the relation and its timestamp column, then each column's type and first rows."""

        def check(spark: Any) -> dict[str, ColumnError]:
            errors: dict[str, ColumnError] = {}
            frame = self._frame(spark)
            types = self._types(frame)
            names = self._usable(types, columns, errors)
            if names:
                head = frame.select(*[column_ref(n) for n in names]).limit(CHECK_ROWS).toArrow()
                errors.update(check_arrow_columns(head.schema, head, columns, parse_text=False))
            return errors

        return self._run(check)

    def read_reference(self, columns: ColumnKinds, span: Span | None, sampling: Sampling) -> ReferenceSample:
        """Collect the span's rows if there are at most `sampling.size`, else a seeded uniform sample."""

        def read(spark: Any) -> ReferenceSample:
            errors: dict[str, ColumnError] = {}
            frame = self._frame(spark)
            types = self._types(frame)
            names = self._usable(types, columns, errors)
            window = self._window(frame, types, span)
            rows = int(window.count())
            return self._collect(window, types, names, columns, errors, rows, sampling)

        return self._run(read)

    def _collect(
        self,
        window: Any,
        types: Mapping[str, Any],
        names: Sequence[str],
        columns: ColumnKinds,
        errors: dict[str, ColumnError],
        rows: int,
        sampling: Sampling,
    ) -> ReferenceSample:
        from pyspark.sql import functions as F

        chosen = window.select(*[column_ref(n) for n in names])
        sampled = rows > sampling.size
        if sampled:  # bottom-k of a seeded random key: a uniform sample without replacement
            chosen = chosen.orderBy(F.rand(sampling.seed)).limit(sampling.size)
        table = chosen.toArrow()
        out = {}
        for name in names:
            kind = columns[name] or type_kind(types[name])
            out[name] = ReferenceColumn(name, kind, arrow_to_numpy(table.column(name), kind, name))
        return ReferenceSample(out, errors, rows, sampled)

    def fit_reference(
        self, columns: Sequence[ColumnSettings], span: Span | None, sampling: Sampling
    ) -> ReferenceFit:
        """Fit every column's bins inside Spark, then count the reference over them (see module doc)."""
        return self._run(lambda spark: self._fit(spark, columns, span, sampling))

    def _fit(
        self, spark: Any, columns: Sequence[ColumnSettings], span: Span | None, sampling: Sampling
    ) -> ReferenceFit:
        from pyspark.sql import functions as F

        errors: dict[str, ColumnError] = {}
        frame = self._frame(spark)
        types = self._types(frame)
        kinds = {c.name: c.resolved_kind for c in columns}
        names = self._usable(types, kinds, errors)
        window = self._window(frame, types, span)
        settings = {c.name: c for c in columns}
        plans = [
            fit_plan(settings[n], kinds[n] or type_kind(types[n]), types[n], self.config.accuracy)
            for n in names
        ]
        aggregates = [a for plan in plans for a in plan.aggregates]
        (row,) = window.agg(F.count(F.lit(1)), *aggregates).collect()
        rows = int(row[0])
        if rows <= sampling.size:  # small enough to collect (or empty): fitted like every other source
            sample = self._collect(window, types, names, kinds, errors, rows, sampling)
            return fit_sample(self, columns, sample, span)
        specs: dict[str, BinSpec] = {}
        pos = 1
        for plan in plans:
            values = list(row[pos : pos + len(plan.aggregates)])
            pos += len(plan.aggregates)
            try:
                specs[plan.name] = spec_of(plan, values, window)
            except ValueError as exc:
                errors[plan.name] = ColumnReadError(plan.name, f"cannot fit bins on the reference: {exc}")
        counted = self._count(spark, specs, span)
        errors.update(counted.errors)
        return ReferenceFit(dict(counted.histograms), errors, counted.rows, True)
