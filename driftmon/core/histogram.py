"""Histograms: a bin spec plus int64 counts. Counting streams chunk by chunk."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from driftmon.core.bins import BinSpec, CategoricalBins, NumericBins
from driftmon.core.errors import CountsError
from driftmon.core.values import missing_and_category_counts, numeric_blocks

IntArray = npt.NDArray[np.int64]

# Inner block size: a block and its temporaries stay in L2 cache across the per-edge passes.
_BLOCK = 1 << 16
# Up to this many edges one comparison pass per edge is fastest; beyond, a lookup grid is.
_MAX_COMPARE_EDGES = 16
# Fine enough that skewed edges (lognormal quantiles) rarely share a cell with many values; the
# one-byte lookup table (up to 254 edges) still fits in L2 cache.
_GRID_CELLS = 1 << 16
_MAX_FLOAT = float(np.finfo(np.float64).max)
_INT64_MAX = int(np.iinfo(np.int64).max)


def as_counts(values: object, name: str) -> IntArray:
    """Return `values` as a fresh 1-D int64 count vector, or raise CountsError naming `name`."""
    counts = np.asarray(values)
    if counts.ndim != 1 or counts.size == 0:
        raise CountsError(f"{name} counts must be a non-empty 1-D array, got shape {counts.shape}")
    if counts.dtype.kind not in "iu" and not (
        counts.dtype.kind == "f" and np.all(np.isfinite(counts)) and np.all(counts == np.round(counts))
    ):
        raise CountsError(f"{name} counts must be whole numbers, got dtype {counts.dtype}")
    if np.any(counts < 0):
        bad = int(np.flatnonzero(counts < 0)[0])
        raise CountsError(f"{name} counts must be non-negative; bin {bad} has {counts[bad]}")
    # uint64 and float counts past int64 would wrap to negative numbers in the cast below.
    too_big = counts >= 2.0**63 if counts.dtype.kind == "f" else counts > _INT64_MAX
    if np.any(too_big):
        bad = int(np.flatnonzero(too_big)[0])
        raise CountsError(f"{name} counts must fit in int64; bin {bad} has {counts[bad]}")
    return counts.astype(np.int64)


@dataclass(frozen=True, eq=False)
class Histogram:
    """Counts of values over the bins of `spec` (the last bin is `missing`)."""

    spec: BinSpec
    counts: IntArray = field(repr=False)

    def __post_init__(self) -> None:
        counts = as_counts(self.counts, "histogram")
        if counts.shape[0] != self.spec.n_bins:
            raise CountsError(
                f"counts have {counts.shape[0]} bins but the {self.spec.kind} bin spec has "
                f"{self.spec.n_bins} bins"
            )
        counts.setflags(write=False)
        object.__setattr__(self, "counts", counts)

    @classmethod
    def empty(cls, spec: BinSpec) -> Histogram:
        return cls(spec, np.zeros(spec.n_bins, dtype=np.int64))

    @property
    def n(self) -> int:
        """Total count, missing included."""
        return int(self.counts.sum())

    @property
    def labels(self) -> tuple[str, ...]:
        return self.spec.labels

    def __add__(self, other: object) -> Histogram:
        if not isinstance(other, Histogram):
            return NotImplemented
        if other.spec != self.spec:
            raise CountsError("histograms over different bin specs cannot be added")
        return Histogram(self.spec, self.counts + other.counts)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Histogram):
            return NotImplemented
        return self.spec == other.spec and bool(np.array_equal(self.counts, other.counts))

    __hash__ = None  # type: ignore[assignment]

    @staticmethod
    def sum(histograms: Sequence[Histogram]) -> Histogram:
        """Add histograms over one spec (hourly windows roll up to daily exactly)."""
        if not histograms:
            raise CountsError("cannot sum an empty list of histograms")
        total = histograms[0]
        for h in histograms[1:]:
            total = total + h
        return total


def _count_block_compare(
    block: npt.NDArray[np.float64], edges: npt.NDArray[np.float64], out: IntArray
) -> None:
    # count(x >= e_i) for each edge; bin i holds the difference of neighbours. NaN compares False.
    n_nan = int(np.count_nonzero(np.isnan(block)))
    n_valid = block.shape[0] - n_nan
    ge = np.fromiter((np.count_nonzero(block >= e) for e in edges), dtype=np.int64, count=edges.shape[0])
    upper = np.concatenate(([n_valid], ge))
    lower = np.concatenate((ge, [0]))
    out[:-1] += upper - lower
    out[-1] += n_nan


class _Grid:
    """A uniform lookup grid over [e1, ek]: cells without an edge map straight to their bin.

    x -> cell is monotone (subtract, scale, clip), so a cell that holds no edge holds values
    strictly between two consecutive edges; only cells that hold an edge need a binary search.
    """

    def __init__(self, edges: npt.NDArray[np.float64]) -> None:
        self.edges = edges
        self.lo = float(edges[0])
        # The cell map must stay monotone and NaN-free for every float, which a finite positive
        # scale guarantees (inf * 0 and 0 * inf are the NaN cases). Halving keeps the span finite
        # for edges near +-1e308; a subnormal span would overflow the scale, so cap it.
        half_span = float(edges[-1]) * 0.5 - self.lo * 0.5
        scale = 0.5 * _GRID_CELLS / half_span if half_span > 0 else 1.0
        self.scale = min(scale, _MAX_FLOAT)
        self.top = float(_GRID_CELLS + 3)
        edge_cells = self._cells(edges)
        self.ambiguous = edges.shape[0] + 1  # a sentinel bin index
        # lut[c] = how many edges lie in cells below c (the bin of every value in an edgeless c).
        per_cell = np.bincount(edge_cells, minlength=_GRID_CELLS + 4)
        lut = np.zeros(_GRID_CELLS + 4, dtype=np.int64)
        np.cumsum(per_cell[:-1], out=lut[1:])
        lut[edge_cells] = self.ambiguous
        # Narrow tables and cell indices move less memory per value than intp would.
        self.lut = lut.astype(np.uint8 if self.ambiguous <= np.iinfo(np.uint8).max else np.int32)

    def _cells(self, x: npt.NDArray[np.float64]) -> npt.NDArray[np.int32]:
        # Far-out values overflow to +-inf, which the clip then maps to the outer cells.
        with np.errstate(over="ignore"):
            t = x - self.lo
            t *= self.scale
        np.clip(t, -2.0, self.top - 2.0, out=t)
        t += 2.0
        return t.astype(np.int32)

    def count(self, block: npt.NDArray[np.float64], out: IntArray) -> None:
        nan = np.isnan(block)
        n_nan = int(np.count_nonzero(nan))
        if n_nan:
            block = block[~nan]
        bins = np.take(self.lut, self._cells(block), mode="clip")
        counts = np.bincount(bins, minlength=self.ambiguous + 1)
        if counts[self.ambiguous]:
            hard = block[bins == self.ambiguous]
            counts[: self.ambiguous] += np.bincount(
                np.searchsorted(self.edges, hard, side="right"), minlength=self.ambiguous
            )
        out[:-1] += counts[: self.ambiguous]
        out[-1] += n_nan


def _count_numeric(spec: NumericBins, values: object, column: str | None) -> IntArray:
    out = np.zeros(spec.n_bins, dtype=np.int64)
    edges = np.asarray(spec.edges, dtype=np.float64)
    grid = _Grid(edges) if edges.shape[0] > _MAX_COMPARE_EDGES else None
    for block in numeric_blocks(values, column, _BLOCK):
        if grid is None:
            _count_block_compare(block, edges, out)
        else:
            grid.count(block, out)
    return out


def _count_categorical(spec: CategoricalBins, values: object) -> IntArray:
    out = np.zeros(spec.n_bins, dtype=np.int64)
    index = spec.index()
    missing, counts = missing_and_category_counts(values)
    for value, n in counts.items():
        out[index.get(value, spec.other_index)] += n
    out[spec.missing_index] += missing
    return out


def count_values(spec: BinSpec, values: object, column: str | None = None) -> Histogram:
    """Count `values` (array, Series, pyarrow array, or an iterable of chunks) over `spec`."""
    if isinstance(spec, NumericBins):
        return Histogram(spec, _count_numeric(spec, values, column))
    return Histogram(spec, _count_categorical(spec, values))
