"""Fit a baseline from a reference: bin edges from a bounded sample, counts over every row."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from driftmon.config import ColumnSettings
from driftmon.core import BinSpec, Histogram, count_values, fit_bins
from driftmon.errors import ColumnError, ColumnReadError, EmptyReferenceError
from driftmon.sources.base import ReferenceSample, Source
from driftmon.windows import Span


@dataclass(frozen=True)
class ReferenceFit:
    """Reference histograms over freshly fitted bins, per column, and the columns that failed."""

    histograms: dict[str, Histogram]
    errors: dict[str, ColumnError]
    rows: int
    sampled: bool


def fit_sample(
    source: Source, columns: Sequence[ColumnSettings], sample: ReferenceSample, span: Span | None
) -> ReferenceFit:
    """Fit bins on a reference sample; count the whole reference unless the sample is all of it."""
    settings = {c.name: c for c in columns}
    errors: dict[str, ColumnError] = dict(sample.errors)
    if sample.rows == 0:
        where = f"{source.description} in {span}" if span is not None else source.description
        for name in sample.columns:
            errors[name] = EmptyReferenceError(name, where)
        return ReferenceFit({}, errors, 0, False)
    specs: dict[str, BinSpec] = {}
    for name, column in sample.columns.items():
        options = settings[name].fit_options()
        options["kind"] = column.kind
        try:
            specs[name] = fit_bins(column.values, **options)
        except ValueError as exc:
            errors[name] = ColumnReadError(name, f"cannot fit bins on the reference: {exc}")
    if not sample.sampled:
        histograms = {
            name: count_values(spec, sample.columns[name].values, name) for name, spec in specs.items()
        }
        return ReferenceFit(histograms, errors, sample.rows, False)
    counted = source.count(specs, span)
    errors.update(counted.errors)
    return ReferenceFit(dict(counted.histograms), errors, counted.rows, True)
