"""Bin specifications fitted on a reference sample, frozen and serialisable to plain JSON."""

from __future__ import annotations

import hashlib
import itertools
import json
import math
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import numpy as np
import numpy.typing as npt

from driftmon.core.errors import BinSpecError
from driftmon.core.values import (
    CategoryValue,
    category_counts,
    finite_numeric,
    peek_kind,
)

FloatArray = npt.NDArray[np.float64]

DEFAULT_NUMERIC_BINS = 10
# Categorical bins keep the fewest most frequent reference categories that cover
# DEFAULT_COVERAGE of its non-missing rows, and never more than DEFAULT_TOP_K: a fixed K of 20
# put a third of a real 85-value reference into `other`, where its drift cannot be seen, while
# a cap keeps a high-cardinality column (ids, free text) from making hundreds of bins.
DEFAULT_TOP_K = 100
DEFAULT_COVERAGE = 0.99
MISSING_LABEL = "missing"
OTHER_LABEL = "other"


def _edge_texts(edges: tuple[float, ...]) -> list[str]:
    # The fewest significant digits (at least 4) that keep every edge distinct: labels stay
    # readable in alerts and dashboards yet never merge two bins.
    for digits in range(4, 18):
        texts = [format(e, f".{digits}g") for e in edges]
        if len(set(texts)) == len(texts):
            return texts
    return [repr(e) for e in edges]


def _edge_float(i: int, edge: object) -> float:
    try:
        # + 0.0 turns -0.0 into 0.0: the two bin alike and compare equal, so they must also
        # serialise, label and fingerprint alike.
        return float(edge) + 0.0  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError) as exc:
        shown = repr(edge)
        shown = shown if len(shown) <= 40 else shown[:37] + "..."
        raise BinSpecError(f"numeric bin edge {i} is {shown}, not a number ({exc})") from None


class _Bins(ABC):
    """What both kinds of bin spec share: `missing` last, JSON and fingerprint from `to_dict()`."""

    @property
    @abstractmethod
    def n_bins(self) -> int: ...

    @abstractmethod
    def to_dict(self) -> dict[str, Any]: ...

    @property
    def missing_index(self) -> int:
        return self.n_bins - 1

    def to_json(self) -> str:
        return _canonical_json(self.to_dict())

    def fingerprint(self) -> str:
        """Return a SHA-256 of the canonical JSON, identical for identical specs."""
        return hashlib.sha256(self.to_json().encode()).hexdigest()


@dataclass(frozen=True)
class NumericBins(_Bins):
    """Half-open bins [lo, hi) between `edges`, open outer bins, and a `missing` bucket.

    With edges e1 < ... < ek the value bins are (-inf, e1), [e1, e2), ..., [ek, +inf);
    the last bin index is `missing` (None/NaN). -inf lands in the first bin, +inf in the last
    value bin. No edges at all (an all-missing reference) means one value bin (-inf, +inf).
    """

    edges: tuple[float, ...]
    kind: ClassVar[Literal["numeric"]] = "numeric"

    def __post_init__(self) -> None:
        edges = tuple(_edge_float(i, e) for i, e in enumerate(self.edges))
        for i, e in enumerate(edges):
            if not math.isfinite(e):
                raise BinSpecError(f"numeric bin edges must be finite; edge {i} is {e!r}")
        for i in range(1, len(edges)):
            if not edges[i - 1] < edges[i]:
                raise BinSpecError(
                    "numeric bin edges must be strictly increasing; "
                    f"edge {i - 1} = {edges[i - 1]!r} is not below edge {i} = {edges[i]!r}"
                )
        object.__setattr__(self, "edges", edges)

    @property
    def n_bins(self) -> int:
        """Number of bins including `missing`."""
        return len(self.edges) + 2

    @property
    def labels(self) -> tuple[str, ...]:
        bounds = ["-inf", *_edge_texts(self.edges), "+inf"]
        value_labels = [
            f"({lo}, {hi})" if i == 0 else f"[{lo}, {hi})"
            for i, (lo, hi) in enumerate(itertools.pairwise(bounds))
        ]
        return (*value_labels, MISSING_LABEL)

    def to_dict(self) -> dict[str, Any]:
        return {"kind": "numeric", "edges": list(self.edges)}


@dataclass(frozen=True)
class CategoricalBins(_Bins):
    """One bin per reference category, then `other` (rare and unseen), then `missing`."""

    categories: tuple[CategoryValue, ...]
    kind: ClassVar[Literal["categorical"]] = "categorical"

    def __post_init__(self) -> None:
        # numpy scalars (from np.unique, say) become the plain values JSON and labels expect.
        categories = tuple(c.item() if isinstance(c, np.generic) else c for c in self.categories)
        seen: dict[CategoryValue, int] = {}
        for i, c in enumerate(categories):
            if not isinstance(c, str | int | float) or (isinstance(c, float) and not math.isfinite(c)):
                raise BinSpecError(
                    f"category {i} is {c!r}: categories must be strings, integers, booleans or finite floats"
                )
            if c in seen:
                raise BinSpecError(f"category {c!r} appears twice (positions {seen[c]} and {i})")
            seen[c] = i
        object.__setattr__(self, "categories", categories)

    @property
    def n_bins(self) -> int:
        """Number of bins including `other` and `missing`."""
        return len(self.categories) + 2

    @property
    def other_index(self) -> int:
        return len(self.categories)

    @property
    def labels(self) -> tuple[str, ...]:
        return (*(str(c) for c in self.categories), OTHER_LABEL, MISSING_LABEL)

    def index(self) -> dict[CategoryValue, int]:
        """Return the category-to-bin map (Python equality: 1, 1.0 and True are one key)."""
        return {c: i for i, c in enumerate(self.categories)}

    def to_dict(self) -> dict[str, Any]:
        return {"kind": "categorical", "categories": list(self.categories)}


BinSpec = NumericBins | CategoricalBins


def _canonical_json(data: dict[str, Any]) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), allow_nan=False)


def bin_spec_from_dict(data: dict[str, Any]) -> BinSpec:
    """Rebuild a bin spec from `to_dict()` output."""
    if not isinstance(data, dict):
        raise BinSpecError(f"a bin spec must be a JSON object, got {type(data).__name__}")
    kind = data.get("kind")
    keys = set(data)
    if kind == "numeric":
        if keys != {"kind", "edges"} or not isinstance(data["edges"], list):
            raise BinSpecError(
                f"numeric bin spec needs exactly 'kind' and a list 'edges'; got keys {sorted(keys)}"
            )
        for i, e in enumerate(data["edges"]):
            if isinstance(e, bool) or not isinstance(e, int | float):
                raise BinSpecError(f"numeric bin spec: edge {i} is {e!r}, not a number")
        return NumericBins(tuple(data["edges"]))
    if kind == "categorical":
        if keys != {"kind", "categories"} or not isinstance(data["categories"], list):
            raise BinSpecError(
                f"categorical bin spec needs exactly 'kind' and a list 'categories'; got keys {sorted(keys)}"
            )
        return CategoricalBins(tuple(data["categories"]))
    raise BinSpecError(f"bin spec kind must be 'numeric' or 'categorical', got {kind!r}")


def fit_numeric_bins(
    values: object,
    *,
    method: Literal["quantile", "uniform"] = "quantile",
    n_bins: int = DEFAULT_NUMERIC_BINS,
    edges: Sequence[float] | None = None,
    column: str | None = None,
) -> NumericBins:
    """Fit numeric bins on a reference sample (explicit `edges` win over `method`).

    Quantile edges that coincide (heavy ties, constant columns) collapse to one, so a constant
    column yields the single edge c: bins (-inf, c) and [c, +inf).
    """
    if edges is not None:
        return NumericBins(tuple(edges))
    if n_bins < 1:
        raise BinSpecError(f"n_bins must be at least 1, got {n_bins}")
    finite = finite_numeric(values, column)
    if finite.size == 0:
        return NumericBins(())
    lo, hi = float(finite.min()), float(finite.max())
    # Interpolating between values near +-1.8e308 overflows (hi - lo is inf); on halved values it
    # does not, and halving and doubling back are exact at those magnitudes.
    scale = 1.0 if math.isfinite(hi - lo) else 2.0
    data = finite / scale if scale != 1.0 else finite
    # `data` is a fresh array (finite_numeric copies), so it may be sorted in place: a vectorised
    # sort, then the quantiles read by index, gives np.quantile's values in about a fifth of the
    # time np.quantile takes on unsorted data (a third if np.quantile reads the sorted array).
    if method == "quantile":
        data.sort()
        raw = sorted_quantiles(data, np.linspace(0.0, 1.0, n_bins + 1)[1:-1])
    elif method == "uniform":
        raw = np.linspace(lo / scale, hi / scale, n_bins + 1)[1:-1] if hi > lo else np.array([lo / scale])
    else:
        raise BinSpecError(f"numeric binning method must be 'quantile' or 'uniform', got {method!r}")
    if raw.size == 0:  # n_bins == 1: one edge at the median keeps the spec informative
        raw = np.quantile(data, [0.5], overwrite_input=True)  # sorted or not, the same median
    return NumericBins(tuple(float(e) * scale for e in np.unique(raw)))


def sorted_quantiles(data: npt.NDArray[np.float64], quantiles: npt.NDArray[np.float64]) -> FloatArray:
    """Return np.quantile(data, quantiles) for a sorted, non-empty, NaN-free `data`, read by index.

    np.quantile partitions its input even when it is already sorted; this reads the two
    neighbours of each quantile's position instead. The definition is numpy's default
    ('linear', Hyndman and Fan's 7th): position (n - 1) * q between data[floor] and the next
    value, and the interpolation is written as numpy writes it, so the values are the same floats.
    """
    n = data.shape[0]
    position = (n - 1) * np.asarray(quantiles, dtype=np.float64)
    below = np.floor(position)
    weight = position - below
    lower_index = below.astype(np.intp)
    lower = data[lower_index]
    upper = data[np.minimum(lower_index + 1, n - 1)]
    step = upper - lower
    # From the lower neighbour below the midpoint, from the upper one from it on (as numpy does).
    result: FloatArray = np.where(weight >= 0.5, upper - step * (1 - weight), lower + step * weight)
    return result


def fit_categorical_bins(
    values: object,
    *,
    top_k: int = DEFAULT_TOP_K,
    coverage: float = DEFAULT_COVERAGE,
    column: str | None = None,
) -> CategoricalBins:
    """Keep the fewest most frequent categories covering `coverage` of the reference, at most `top_k`.

    Ties are broken by value text; `coverage=1` keeps every category up to `top_k`.
    """
    if top_k < 1:
        raise BinSpecError(f"top_k must be at least 1, got {top_k}")
    if not 0.0 < coverage <= 1.0:
        raise BinSpecError(f"coverage must be within (0, 1], got {coverage!r}")
    counts = category_counts(values, column)
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], type(kv[0]).__name__, str(kv[0])))
    covered = np.cumsum([n for _, n in ranked], dtype=np.int64)
    # The first k whose cumulative count reaches the share (all of them when none falls short).
    needed = int(np.searchsorted(covered, coverage * covered[-1] * (1 - 1e-12))) + 1 if ranked else 0
    return CategoricalBins(tuple(value for value, _ in ranked[: min(top_k, needed)]))


def fit_bins(
    values: object,
    *,
    kind: Literal["numeric", "categorical"] | None = None,
    method: Literal["quantile", "uniform"] = "quantile",
    n_bins: int = DEFAULT_NUMERIC_BINS,
    edges: Sequence[float] | None = None,
    top_k: int = DEFAULT_TOP_K,
    coverage: float = DEFAULT_COVERAGE,
    column: str | None = None,
) -> BinSpec:
    """Fit bins of the given kind, or of the kind inferred from the values' type."""
    resolved: str
    if kind is not None:
        resolved = kind
    elif edges is not None:
        resolved = "numeric"
    else:
        # A generator's first chunk, read to infer the kind, must still be fitted.
        values, resolved = peek_kind(values)
    if resolved == "numeric":
        return fit_numeric_bins(values, method=method, n_bins=n_bins, edges=edges, column=column)
    if resolved == "categorical":
        return fit_categorical_bins(values, top_k=top_k, coverage=coverage, column=column)
    raise BinSpecError(f"column kind must be 'numeric' or 'categorical', got {resolved!r}")
