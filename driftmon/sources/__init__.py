"""driftmon.sources: read live windows and references from SQL databases, files and Spark.

`open_source(config, timestamp_column)` returns a Source (see base.Source); `fit_reference`
turns a reference into per-column baseline histograms.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from driftmon.config import ColumnSettings, FileSourceConfig, MonitorConfig, SourceConfig, SparkSourceConfig
from driftmon.core.sampling import DEFAULT_REFERENCE_SAMPLE, Sampling
from driftmon.sources.base import ReferenceSample, Source, SourceCounts
from driftmon.sources.files import FileSource
from driftmon.sources.reference import ReferenceFit, fit_sample
from driftmon.sources.spark import SparkSource
from driftmon.sources.sql import SqlSource
from driftmon.windows import Span

__all__ = [
    "DEFAULT_REFERENCE_SAMPLE",
    "FileSource",
    "ReferenceFit",
    "ReferenceSample",
    "Sampling",
    "Source",
    "SourceCounts",
    "SparkSource",
    "SqlSource",
    "fit_reference",
    "monitor_reader",
    "monitor_source",
    "open_source",
]


def open_source(
    config: SourceConfig, timestamp_column: str | None, *, timeout: float | None = None
) -> Source:
    """Return the source for `config` (a SQL engine or Spark session is created on first use, not here).

    Without a timestamp column the source reads every row and refuses a time span.
    """
    if isinstance(config, FileSourceConfig):
        return FileSource(config, timestamp_column)
    if isinstance(config, SparkSourceConfig):
        return SparkSource(config, timestamp_column, timeout=timeout)
    return SqlSource(config, timestamp_column, timeout=timeout)


def monitor_source(monitor: MonitorConfig, *, reference: bool = False) -> Source:
    """Return the monitor's live source, or with `reference=True` the one its reference is read from."""
    if reference:
        config, timestamp = monitor.reference_source(), monitor.reference_timestamp_column
    else:
        config, timestamp = monitor.source, monitor.timestamp_column
    return open_source(config, timestamp, timeout=monitor.timeout.total_seconds())


@contextmanager
def monitor_reader(
    monitor: MonitorConfig, source: Source | None, *, reference: bool = False
) -> Iterator[Source]:
    """Yield `source` when given (the caller's: left open), else the monitor's own, closed on exit."""
    if source is not None:
        yield source
        return
    opened = monitor_source(monitor, reference=reference)
    try:
        yield opened
    finally:
        opened.close()


def fit_reference(
    source: Source,
    columns: Sequence[ColumnSettings],
    span: Span | None,
    *,
    sample_size: int = DEFAULT_REFERENCE_SAMPLE,
) -> ReferenceFit:
    """Read the reference once, fit each column's bins and count the reference over them.

    Edges come from a uniform sample of at most `sample_size` rows (kinds not configured are
    inferred from the data); the counts are exact. When the reference has no more rows than the
    sample, the sample is the reference and no second read is needed; otherwise the source counts
    the whole reference over the fitted bins (pushed down like a live window). Spark fits the
    bins of a larger reference where the data is (see sources.spark).
    """
    sampling = Sampling(sample_size)
    if isinstance(source, SparkSource):
        return source.fit_reference(columns, span, sampling)
    sample = source.read_reference({c.name: c.resolved_kind for c in columns}, span, sampling)
    return fit_sample(source, columns, sample, span)
