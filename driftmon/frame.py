"""driftmon.check(): compare two DataFrames column by column, with the service's core and defaults.

For notebooks and pipelines: bins are fitted on the reference exactly as a baseline fit does,
both frames are counted over them, and every statistic comes with its no-drift noise level
for these sample sizes. Accepts pandas DataFrames and pyarrow Tables.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import pandas as pd

from driftmon.config import ColumnKind
from driftmon.core import (
    DEFAULT_ALPHA,
    DEFAULT_COVERAGE,
    DEFAULT_MIN_SAMPLES,
    DEFAULT_NUMERIC_BINS,
    DEFAULT_TOP_K,
    STATISTICS,
    BinSpecError,
    Comparison,
    CountsError,
    NonNumericValueError,
    compare,
    count_values,
    fit_bins,
)
from driftmon.errors import MissingColumnError

__all__ = ["RESULT_COLUMNS", "check"]

RESULT_COLUMNS = (
    "column",
    "kind",
    "status",
    "n_reference",
    "n_live",
    "n_bins",
    *STATISTICS,
    "p_value",
    *(f"{name}_noise" for name in STATISTICS),
    "calibration",
    "top_bins",
    "error",
)

BinsOption = int | Mapping[str, int | Sequence[float]]


def _names(frame: Any) -> list[str]:
    if isinstance(frame, pd.DataFrame):
        return [str(c) for c in frame.columns]
    if hasattr(frame, "column_names"):  # pyarrow.Table
        return list(frame.column_names)
    raise TypeError(f"expected a pandas DataFrame or a pyarrow Table, got {type(frame).__name__}")


def _column(frame: Any, name: str) -> Any:
    return frame[name] if isinstance(frame, pd.DataFrame) else frame.column(name)


def _bin_options(name: str, bins: BinsOption) -> dict[str, Any]:
    choice = bins if isinstance(bins, int) else bins.get(name, DEFAULT_NUMERIC_BINS)
    if isinstance(choice, int) and not isinstance(choice, bool):
        return {"n_bins": choice}
    if isinstance(choice, Sequence) and not isinstance(choice, str):
        return {"edges": tuple(float(e) for e in choice)}
    raise TypeError(f"bins for column {name!r} must be a number of bins or a list of edges, got {choice!r}")


def _row(name: str, kind: str | None, result: Comparison | None, error: str | None) -> dict[str, Any]:
    nan = math.nan
    row: dict[str, Any] = dict.fromkeys(RESULT_COLUMNS, nan)
    row.update(column=name, kind=kind, error=error, top_bins=[], calibration=None)
    if result is None:
        row.update(status="failed", n_reference=None, n_live=None, n_bins=None)
        return row
    row.update(
        status=result.status,
        n_reference=result.n_reference,
        n_live=result.n_live,
        n_bins=len(result.labels),
        p_value=result.p_value,
        calibration=result.calibration_method,
        top_bins=[b.to_dict() for b in result.top_bins],
    )
    row.update(result.statistics())
    for stat, level in result.null.items():
        row[f"{stat}_noise"] = level.quantile
    return row


def check(
    reference: Any,
    live: Any,
    columns: Sequence[str] | None = None,
    *,
    kinds: Mapping[str, ColumnKind] | None = None,
    bins: BinsOption = DEFAULT_NUMERIC_BINS,
    method: Literal["quantile", "uniform"] = "quantile",
    top_k: int = DEFAULT_TOP_K,
    coverage: float = DEFAULT_COVERAGE,
    alpha: float = DEFAULT_ALPHA,
    min_samples: int = DEFAULT_MIN_SAMPLES,
    top_bins: int = 5,
    seed: int | None = None,
) -> pd.DataFrame:
    """Compare `live` with `reference` column by column; return one result row per column.

    `columns` defaults to every column of the reference. `kinds` fixes a column's kind (else it
    is inferred from the reference's dtype). `bins` is the number of numeric bins for every
    column, or a mapping from column to a number of bins or a list of explicit edges. A column
    absent from `live`, or holding non-numbers where numbers are expected, gets status
    `failed` and an `error`; the other columns are still compared. Units: kl_* and
    js_divergence in bits, psi in nats; `<statistic>_noise` is the 99% no-drift level for
    these sample sizes and `p_value` that of js_divergence.
    """
    ref_names, live_names = _names(reference), set(_names(live))
    chosen = list(ref_names if columns is None else columns)
    absent = [c for c in chosen if c not in ref_names]
    if absent:
        raise MissingColumnError(absent[0], "the reference DataFrame", ref_names)
    kinds = kinds or {}
    rows = []
    for name in chosen:
        kind = kinds.get(name)
        if name not in live_names:
            error = MissingColumnError(name, "the live DataFrame", sorted(live_names))
            rows.append(_row(name, kind, None, str(error)))
            continue
        try:
            options = _bin_options(name, bins)
            spec = fit_bins(
                _column(reference, name),
                kind=kind,
                method=method,
                top_k=top_k,
                coverage=coverage,
                column=name,
                **options,
            )
            result = compare(
                count_values(spec, _column(reference, name), name),
                count_values(spec, _column(live, name), name),
                alpha=alpha,
                min_samples=min_samples,
                seed=seed,
                top_k=top_bins,
            )
        except (NonNumericValueError, BinSpecError, CountsError) as exc:
            rows.append(_row(name, kind, None, str(exc)))
            continue
        rows.append(_row(name, spec.kind, result, None))
    frame = pd.DataFrame(rows, columns=list(RESULT_COLUMNS))
    return frame.astype({"n_reference": "Int64", "n_live": "Int64", "n_bins": "Int64"})
