"""driftmon.check(): compare two DataFrames column by column, with the service's core and defaults.

For notebooks and pipelines: bins are fitted on the reference as a baseline fit does (numeric
edges on a seeded sample of at most DEFAULT_REFERENCE_SAMPLE rows, the sample a source draws),
both frames are counted over them exactly, on every row, and every statistic comes with its
no-drift noise level for these sample sizes. Accepts pandas and polars DataFrames and pyarrow
Tables, read one column at a time (never converted whole); columns are compared one after the
other unless `workers` asks for threads.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa

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
from driftmon.core.sampling import DEFAULT_REFERENCE_SAMPLE, RowSampler
from driftmon.core.values import infer_kind
from driftmon.errors import MissingColumnError

__all__ = ["RESULT_COLUMNS", "SAMPLE_SEED", "check"]

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

# The seed of the reference sample, the one a baseline fit uses: same rows, same edges.
SAMPLE_SEED = 0
# Rows given a sampling key at a time: the keys of a block stay a few MB however long the frame.
_SAMPLE_BLOCK = 1 << 20

BinsOption = int | Mapping[str, int | Sequence[float]]
IndexArray = npt.NDArray[np.intp]


class _Frame:
    """One column at a time of a pandas or polars DataFrame or a pyarrow Table, never converted whole."""

    def __init__(self, frame: Any, role: str) -> None:
        module = type(frame).__module__.split(".", 1)[0]
        self.frame = frame
        if isinstance(frame, pd.DataFrame):
            self.names = [str(c) for c in frame.columns]
            self.rows = len(frame)
            self._get: Callable[[str], Any] = frame.__getitem__
        elif isinstance(frame, pa.Table):
            self.names = list(frame.column_names)
            self.rows = frame.num_rows
            self._get = frame.column
        elif module == "polars" and hasattr(frame, "get_column"):
            self.names = list(frame.columns)
            self.rows = frame.height
            self._get = self._polars_column
        elif module == "polars" and hasattr(frame, "collect"):
            raise TypeError(f"the {role} frame is a polars LazyFrame: collect() it first")
        else:
            raise TypeError(
                f"the {role} frame must be a pandas DataFrame, a pyarrow Table or a polars DataFrame, "
                f"got {type(frame).__name__}"
            )

    def _polars_column(self, name: str) -> Any:
        # Each chunk's Arrow array is the polars buffer itself (zero copy); to_arrow() on a
        # column of several chunks would first join them into a copy.
        series = self.frame.get_column(name)
        if series.n_chunks() == 1:
            return series.to_arrow()
        return pa.chunked_array([chunk.to_arrow() for chunk in series.get_chunks()])

    def column(self, name: str) -> Any:
        return self._get(name)


def sample_rows(n_rows: int, size: int, seed: int = SAMPLE_SEED) -> IndexArray | None:
    """Return the rows (in order) of the seeded uniform sample a source would draw, or None for all.

    The sources' bottom-k sampler, offered the rows in blocks: every row gets a uniform key from
    one seeded stream and the `size` smallest keys win, so the sample does not depend on how the
    rows are split into chunks, and a frame gets the rows a file source reading it would pick.
    """
    if n_rows <= size:
        return None
    sampler = RowSampler(size, seed)
    # Once the sample is full, a block keeps only the rows whose keys beat its size-th smallest.
    for start in range(0, n_rows, _SAMPLE_BLOCK):
        chosen = sampler.offer(min(_SAMPLE_BLOCK, n_rows - start))
        sampler.add({"row": chosen + start})
    return sampler.result()["row"]


def _take(column: Any, rows: IndexArray) -> Any:
    """The values of `rows` (sorted positions) of one column, as the same kind of container."""
    if isinstance(column, pd.Series):
        if isinstance(column.dtype, np.dtype):  # numpy-backed: gather straight from its array
            return column.to_numpy()[rows]
        return column.take(rows)
    chunks = column.chunks if isinstance(column, pa.ChunkedArray) else [column]
    # One take per chunk: a take on the whole chunked array may first join its chunks (a copy).
    taken: list[Any] = []
    start = 0
    for chunk in chunks:
        lo, hi = np.searchsorted(rows, [start, start + len(chunk)])
        if hi > lo or not taken:
            taken.append(chunk.take(pa.array(rows[lo:hi] - start)))
        start += len(chunk)
    return pa.chunked_array(taken, type=column.type)


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


def _workers(workers: int | None, n_columns: int) -> int:
    if workers is None:
        available = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
        return max(1, min(n_columns, available or 1))
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ValueError(f"workers must be a number of threads (at least 1) or None, got {workers!r}")
    return workers


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
    sample: int | None = DEFAULT_REFERENCE_SAMPLE,
    workers: int | None = 1,
) -> pd.DataFrame:
    """Compare `live` with `reference` column by column; return one result row per column.

    Both frames may be pandas DataFrames, pyarrow Tables or polars DataFrames (not necessarily
    of one type). `columns` defaults to every column of the reference. `kinds` fixes a column's
    kind (else it is inferred from the reference's dtype). `bins` is the number of numeric bins
    for every column, or a mapping from column to a number of bins or a list of explicit edges.
    Numeric edges are fitted on a seeded uniform sample of `sample` reference rows (every row
    when the reference has no more; `sample=None` always fits on every row, for exact quantile
    edges); categorical bins on every row; counts are always exact over every row of both
    frames. `workers` threads compare columns side by side (default 1; `None` is one per CPU):
    the counting makes many short numpy calls, so threads cost up to a third more CPU time and
    gain wall time only on an otherwise idle machine. A column absent from `live`, or holding
    non-numbers where numbers are expected, gets status `failed` and an `error`; the other
    columns are still compared. Units: kl_* and js_divergence in bits, psi in nats;
    `<statistic>_noise` is the 99% no-drift level for these sample sizes and `p_value` that of
    js_divergence.
    """
    if sample is not None and (isinstance(sample, bool) or not isinstance(sample, int) or sample < 1):
        raise ValueError(f"sample must be a number of rows (at least 1) or None, got {sample!r}")
    ref, cur = _Frame(reference, "reference"), _Frame(live, "live")
    live_names = set(cur.names)
    chosen = list(ref.names if columns is None else columns)
    absent = [c for c in chosen if c not in ref.names]
    if absent:
        raise MissingColumnError(absent[0], "the reference DataFrame", ref.names)
    kinds = kinds or {}
    options = {name: _bin_options(name, bins) for name in chosen}
    rows = sample_rows(ref.rows, sample) if sample is not None else None

    def one(name: str) -> dict[str, Any]:
        kind = kinds.get(name)
        if name not in live_names:
            error = MissingColumnError(name, "the live DataFrame", sorted(live_names))
            return _row(name, kind, None, str(error))
        reference_values = ref.column(name)
        try:
            resolved = kind or ("numeric" if "edges" in options[name] else infer_kind(reference_values))
            sampled = rows is not None and resolved == "numeric" and "edges" not in options[name]
            spec = fit_bins(
                _take(reference_values, rows) if sampled and rows is not None else reference_values,
                kind=resolved,
                method=method,
                top_k=top_k,
                coverage=coverage,
                column=name,
                **options[name],
            )
            result = compare(
                count_values(spec, reference_values, name),
                count_values(spec, cur.column(name), name),
                alpha=alpha,
                min_samples=min_samples,
                seed=seed,
                top_k=top_bins,
            )
        except (NonNumericValueError, BinSpecError, CountsError) as exc:
            return _row(name, kind, None, str(exc))
        return _row(name, spec.kind, result, None)

    n_threads = _workers(workers, len(chosen))
    if n_threads == 1:
        results = [one(name) for name in chosen]
    else:
        with ThreadPoolExecutor(max_workers=n_threads, thread_name_prefix="driftmon-check") as pool:
            results = list(pool.map(one, chosen))
    frame = pd.DataFrame(results, columns=list(RESULT_COLUMNS))
    return frame.astype({"n_reference": "Int64", "n_live": "Int64", "n_bins": "Int64"})
