"""Parquet and CSV files, streamed in record batches with the time filter pushed into the scan.

`path` is one file, a glob (`data/*.parquet`, `data/**/*.csv`) or a directory holding a
Parquet dataset (hive partitions such as `date=2024-05-01/` are understood and pruned).
Files are scanned one at a time so a corrupt file is named in the error; within a file pyarrow
decodes in parallel and skips row groups whose timestamp statistics fall outside the window.
Memory is bounded by the batch size (`batch_rows`), not by the window.

Bad files: only the files that may hold the span's rows are opened (hidden files are skipped and
date partitions outside the span pruned, see file_list). A file among them that cannot be read
(corrupt, truncated, still being written) fails the whole read with CorruptFileError naming it:
the window fails and is retried later; other windows are unaffected. Counting the other files
alone would store a window short of rows as if it were complete.

Text: string values that are not UTF-8 (Parquet) and CSV fields that are not UTF-8 fail their
column alone (InvalidTextError names the column, file and value). Categorical values whose type
differs from the baseline's categories are counted by text or not at all (see arrow_types).

The timestamp column must be a timestamp (or date) type. A timestamp without a zone is read
as UTC, matching the rest of driftmon. A source opened without a timestamp column (a training
set used as the reference) reads every row and needs none. In CSV files, columns declared
numeric are parsed as text and converted batch by batch, so one stray string fails that column
only.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from driftmon.config import ColumnKind, FileSourceConfig
from driftmon.core import BinSpec, Histogram, NonNumericValueError
from driftmon.core.sampling import RowSampler, Sampling
from driftmon.core.types import TypeChange
from driftmon.errors import (
    ColumnError,
    ColumnTypeChangedError,
    CorruptFileError,
    InvalidTextError,
    MissingColumnError,
    NonNumericColumnError,
    SourceSchemaError,
)
from driftmon.sources.arrow_counts import IntArray, count_arrow
from driftmon.sources.arrow_types import InvalidText, as_text, categorical_plan, checked_text
from driftmon.sources.base import CHECK_ROWS, ColumnKinds, ReferenceColumn, ReferenceSample, SourceCounts
from driftmon.sources.checks import check_arrow_columns, non_numeric_reason
from driftmon.sources.columns import arrow_kind, arrow_to_numpy, arrow_values
from driftmon.sources.file_list import FileList, list_files
from driftmon.sources.first_row import earliest_timestamp
from driftmon.windows import Span

if TYPE_CHECKING:
    import pyarrow.dataset as ds

_COUNT_THREADS = max(2, os.cpu_count() or 1)
# Batches decoded ahead of the counting threads: enough to keep both busy, few enough to bound memory.
_READAHEAD_BATCHES = 2


class FileSource:
    """Count or sample columns of Parquet or CSV files over a time span."""

    def __init__(self, config: FileSourceConfig, timestamp_column: str | None) -> None:
        self.config = config
        self.timestamp_column = timestamp_column

    @property
    def description(self) -> str:
        return self.config.description

    @property
    def _text(self) -> bool:
        # CSV numeric columns are read as text (see _format) and parsed here.
        return self.config.file_format == "csv"

    def __enter__(self) -> FileSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Nothing to release: files are opened per read."""

    def _files(self, span: Span | None) -> FileList:
        # Without a timestamp column every row is read: no partition can be pruned.
        return list_files(self.description, self.config.path, span if self.timestamp_column else None)

    def ping(self) -> None:
        """Raise SourceFileNotFoundError unless the path matches at least one file."""
        self._files(None)

    def _format(self, kinds: ColumnKinds) -> ds.FileFormat:
        # pyarrow.dataset (and the pandas it loads) is imported at the first read: half a second
        # that `driftmon serve` would otherwise spend before it answers its first request.
        import pyarrow.csv as pcsv
        import pyarrow.dataset as ds

        if self.config.file_format == "parquet":
            # Categorical text is counted on dictionary indices (see arrow_counts), not strings.
            categorical = [name for name, kind in kinds.items() if kind == "categorical"]
            return ds.ParquetFileFormat(
                read_options={"dictionary_columns": categorical},
                # Pre-buffering fetches whole row groups ahead: fast on object stores, but on
                # local files it only adds a row group of compressed bytes to peak memory.
                default_fragment_scan_options=ds.ParquetFragmentScanOptions(pre_buffer=False),
            )
        # Numeric columns come in as bytes, checked to be UTF-8 and parsed batch by batch, so a
        # stray string or byte fails that column, not the scan.
        types = {name: pa.binary() for name, kind in kinds.items() if kind == "numeric"}
        convert = pcsv.ConvertOptions(column_types=types, strings_can_be_null=True)
        return ds.CsvFileFormat(convert_options=convert)

    def _dataset(self, kinds: ColumnKinds, span: Span | None) -> ds.Dataset | None:
        """Open the files that may hold the span's rows as one dataset (None: there are none)."""
        import pyarrow.dataset as ds

        listed = self._files(span)
        if not listed.files:
            return None
        files = list(listed.files)
        fmt = self._format(kinds)
        options: dict[str, Any] = {"format": fmt, "partitioning": "hive", "partition_base_dir": listed.base}
        try:
            dataset = ds.dataset(files, **options)
            text = [
                n
                for n in kinds
                if self._text
                and n in dataset.schema.names
                and pa.types.is_string(dataset.schema.field(n).type)
            ]
            if text:
                # CSV text columns are read as bytes too: one field that is not UTF-8 would
                # otherwise fail the whole file (or turn the column binary in the first one).
                schema = dataset.schema
                for name in text:
                    schema = schema.set(schema.get_field_index(name), pa.field(name, pa.binary()))
                dataset = ds.dataset(files, schema=schema, **options)
            return dataset
        except (pa.ArrowInvalid, pa.ArrowTypeError, OSError) as exc:
            raise CorruptFileError(self.description, _culprit(files, fmt) or files[0], _reason(exc)) from None

    def _filter(self, schema: pa.Schema, span: Span | None) -> ds.Expression | None:
        if self.timestamp_column is None:  # every row: a training set needs no event time
            if span is not None:
                raise SourceSchemaError(self.description, f"no timestamp column to select {span}")
            return None
        if self.timestamp_column not in schema.names:
            raise SourceSchemaError(
                self.description,
                f"timestamp column {self.timestamp_column!r} not found; "
                f"the files have {', '.join(schema.names)}",
            )
        ts_type = schema.field(self.timestamp_column).type
        if not (pa.types.is_timestamp(ts_type) or pa.types.is_date(ts_type)):
            raise SourceSchemaError(
                self.description,
                f"timestamp column {self.timestamp_column!r} has type {ts_type}; "
                "expected a timestamp or date",
            )
        if span is None:
            return None
        import pyarrow.dataset as ds

        field = ds.field(self.timestamp_column)
        if pa.types.is_date(ts_type):
            field = field.cast(pa.timestamp("us"))
            ts_type = pa.timestamp("us")
        tz = getattr(ts_type, "tz", None)

        def scalar(moment: datetime) -> pa.Scalar:
            value = moment if tz else moment.replace(tzinfo=None)  # moments are aware UTC
            return pa.scalar(value, type=pa.timestamp("us", tz="UTC" if tz else None))

        conditions = []
        if span.start is not None:
            conditions.append(field >= scalar(span.start))
        if span.end is not None:
            conditions.append(field < scalar(span.end))
        if not conditions:
            return None
        expr = conditions[0]
        for extra in conditions[1:]:
            expr = expr & extra
        return expr

    def _batches(
        self, dataset: ds.Dataset, columns: list[str], span: Span | None
    ) -> Iterator[tuple[str, pa.RecordBatch]]:
        """Yield (file, batch) for the rows of the span, file after file."""
        expr = self._filter(dataset.schema, span)
        for fragment in dataset.get_fragments(filter=expr):
            try:
                for piece in _row_groups(fragment, expr):
                    for batch in piece.to_batches(
                        schema=dataset.schema,
                        columns=columns,
                        filter=expr,
                        batch_size=self.config.batch_rows,
                        batch_readahead=_READAHEAD_BATCHES,
                        fragment_readahead=1,
                        use_threads=True,
                    ):
                        yield fragment.path, batch
            except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, OSError) as exc:
                raise CorruptFileError(self.description, fragment.path, _reason(exc)) from None

    def first_timestamp(self, span: Span | None) -> datetime | None:
        """Return the earliest event time inside the span (None: no row), from statistics if possible."""
        if self.timestamp_column is None:
            raise SourceSchemaError(self.description, "no timestamp column to find the first row by")
        dataset = self._dataset({}, span)
        if dataset is None:
            return None
        expr = self._filter(dataset.schema, span)
        best: datetime | None = None
        for fragment in dataset.get_fragments(filter=expr):
            try:
                pieces = _row_groups(fragment, expr)
                best = earliest_timestamp(pieces, dataset.schema, self.timestamp_column, expr, span, best)
            except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, OSError) as exc:
                raise CorruptFileError(self.description, fragment.path, _reason(exc)) from None
        return best

    def check_columns(self, columns: ColumnKinds) -> dict[str, ColumnError]:
        """Check the timestamp column, then each column's presence, type and first rows."""
        dataset = self._dataset(columns, None)
        assert dataset is not None  # without a span, list_files finds a file or raises
        self._filter(dataset.schema, None)
        errors: dict[str, ColumnError] = {}
        active = self._present(dataset, list(columns), errors)
        if not active:
            return errors
        try:
            head = dataset.head(CHECK_ROWS, columns=active)
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, OSError) as exc:
            raise CorruptFileError(self.description, self.config.path, _reason(exc)) from None
        checked = {}
        for name in active:
            try:
                checked[name] = checked_text(head.column(name), csv=self._text)
            except InvalidText as exc:
                errors[name] = InvalidTextError(name, self.config.path, exc.value)
        errors.update(check_arrow_columns(dataset.schema, pa.table(checked), columns, parse_text=self._text))
        return errors

    def _present(self, dataset: ds.Dataset, names: list[str], errors: dict[str, ColumnError]) -> list[str]:
        available = [n for n in dataset.schema.names if n != self.timestamp_column]
        present = []
        for name in names:
            if name in dataset.schema.names:
                present.append(name)
            else:
                errors[name] = MissingColumnError(name, f"the files at {self.config.path}", available)
        return present

    def count(self, specs: Mapping[str, BinSpec], span: Span | None) -> SourceCounts:
        """Count each column over its bins, batch by batch, for rows in the span."""
        kinds: dict[str, ColumnKind | None] = {name: spec.kind for name, spec in specs.items()}
        dataset = self._dataset(kinds, span)
        if dataset is None:  # no file may hold a row of the span
            return SourceCounts({name: Histogram.empty(spec) for name, spec in specs.items()})
        errors: dict[str, ColumnError] = {}
        active = self._present(dataset, list(specs), errors)
        plans = {
            name: categorical_plan(specs[name], dataset.schema.field(name).type, csv=self._text)
            for name in active
        }
        changes: dict[str, TypeChange] = {}
        for name, plan in plans.items():
            if plan.change is not None and not plan.change.compared:
                errors[name] = ColumnTypeChangedError(name, plan.change.describe())
            elif plan.change is not None:
                changes[name] = plan.change
        counts = {name: np.zeros(specs[name].n_bins, dtype=np.int64) for name in active if name not in errors}
        rows = 0

        def count_column(batch: pa.RecordBatch, name: str, offset: int) -> IntArray:
            plan = plans[name]
            column = checked_text(batch.column(name), csv=self._text)
            values = arrow_values(
                as_text(column) if plan.as_text else column, plan.spec.kind, name, offset, self._text
            )
            return count_arrow(plan.spec, values, name)

        # numpy releases the GIL while comparing, so columns are counted on every core while
        # pyarrow's own threads decode the next batches.
        with ThreadPoolExecutor(max_workers=_COUNT_THREADS) as pool:
            for file, batch in self._batches(dataset, active, span):
                futures = {name: pool.submit(count_column, batch, name, rows) for name in counts}
                rows += batch.num_rows
                for name, future in futures.items():
                    try:
                        counts[name] += future.result()
                    except NonNumericValueError as exc:
                        errors[name] = NonNumericColumnError(name, non_numeric_reason(exc))
                        del counts[name]
                    except InvalidText as exc:
                        errors[name] = InvalidTextError(name, file, exc.value)
                        del counts[name]
        return SourceCounts.of(specs, counts, errors, rows, changes)

    def read_reference(self, columns: ColumnKinds, span: Span | None, sampling: Sampling) -> ReferenceSample:
        """Sample up to `sampling.size` rows of the span (all of them when there are fewer)."""
        dataset = self._dataset(columns, span)
        if dataset is None:  # no file may hold a row of the span: an empty reference
            empty = {
                n: ReferenceColumn(n, k or "categorical", _empty(k or "categorical"))
                for n, k in columns.items()
            }
            return ReferenceSample(empty, {}, 0, False)
        errors: dict[str, ColumnError] = {}
        active = self._present(dataset, list(columns), errors)
        kinds = {n: columns[n] or arrow_kind(dataset.schema.field(n).type) for n in active}
        sampler = RowSampler(sampling.size, sampling.seed)
        for file, batch in self._batches(dataset, active, span):
            chosen = pa.array(sampler.offer(batch.num_rows))
            taken: dict[str, Any] = {}
            for name in [n for n in active if n not in errors]:
                try:
                    # Every value is checked, not only the sampled ones: the counts read them all.
                    column = checked_text(batch.column(name), csv=self._text)
                    taken[name] = arrow_to_numpy(column.take(chosen), kinds[name], name, self._text)
                except NonNumericValueError as exc:
                    errors[name] = NonNumericColumnError(name, non_numeric_reason(exc))
                    sampler.drop(name)
                except InvalidText as exc:
                    errors[name] = InvalidTextError(name, file, exc.value)
                    sampler.drop(name)
            sampler.add(taken)
        values = sampler.result()
        out = {
            name: ReferenceColumn(name, kinds[name], values.get(name, _empty(kinds[name])))
            for name in active
            if name not in errors
        }
        return ReferenceSample(out, errors, sampler.rows, sampler.sampled)


def _row_groups(fragment: ds.Fragment, expr: ds.Expression | None) -> list[ds.Fragment]:
    """Split a Parquet fragment into its row groups (dropping those whose statistics miss `expr`).

    Scanned one after the other, only one decoded row group is in memory at a time, instead
    of several decoded in parallel; other formats are scanned whole.
    """
    import pyarrow.dataset as ds

    if not isinstance(fragment, ds.ParquetFileFragment):
        return [fragment]
    return list(fragment.split_by_row_group(expr))


def _empty(kind: ColumnKind) -> np.ndarray[Any, Any]:
    return np.empty(0, dtype=np.float64 if kind == "numeric" else object)


def _reason(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def _culprit(files: list[str], fmt: ds.FileFormat) -> str | None:
    """Return the first file that cannot be opened on its own."""
    import pyarrow.dataset as ds

    for file in files if len(files) > 1 else []:
        try:
            ds.dataset(file, format=fmt)
        except (pa.ArrowInvalid, pa.ArrowTypeError, OSError):
            return file
    return None
