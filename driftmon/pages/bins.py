"""The overlay's rows: each bin's reference and live shares and its part in the divergence.

Numeric bins keep their edge order (`(-inf, e1)`, `[e1, e2)`, ..., `[ek, +inf)`), categories
are ordered by their reference share (largest first), and `other` and `missing` always come
last, shown even when empty, so a new category or a rise in nulls is visible.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from driftmon.core import finite, hellinger_terms, js_terms, kl_terms, psi_terms, smooth

BinKind = Literal["value", "category", "other", "missing"]
Terms = Callable[[npt.ArrayLike, npt.ArrayLike], npt.NDArray[np.float64]]

# Per-bin terms of each statistic, as core.compare computes them (live first): they sum to the
# statistic, except js_distance (the square root of the JS sum) and hellinger (its square).
_TERMS: dict[str, tuple[Terms, Literal["live_ref", "ref_live"]]] = {
    "kl_live_ref": (kl_terms, "live_ref"),
    "kl_ref_live": (kl_terms, "ref_live"),
    "js_divergence": (js_terms, "live_ref"),
    "js_distance": (js_terms, "live_ref"),
    "psi": (psi_terms, "live_ref"),
    "hellinger": (hellinger_terms, "live_ref"),
}
CONTRIBUTION_UNITS = {
    "kl_live_ref": "bits; they sum to kl_live_ref",
    "kl_ref_live": "bits; they sum to kl_ref_live",
    "js_divergence": "bits; they sum to js_divergence",
    "js_distance": "bits of js_divergence; js_distance is the square root of their sum",
    "psi": "nats; they sum to psi",
    "hellinger": "they sum to hellinger squared",
}


@dataclass(frozen=True)
class BinRow:
    """One bin of the baseline in one window: raw counts and shares on each side, and its term."""

    index: int  # position in the baseline's bins (the stored counts' order)
    label: str
    kind: BinKind
    reference_count: int
    live_count: int
    reference_share: float
    live_share: float
    contribution: float | None  # this bin's term of the statistic (smoothed as scored); None: not scored


def _kinds(column_kind: str | None, labels: Sequence[str]) -> list[BinKind]:
    n = len(labels)
    if column_kind == "categorical":
        categories: list[BinKind] = ["category"] * (n - 2)
        return [*categories, "other", "missing"]
    values: list[BinKind] = ["value"] * (n - 1)
    return [*values, "missing"]


def distribution_rows(
    column_kind: str | None,
    labels: Sequence[str],
    reference_counts: Sequence[int],
    live_counts: Sequence[int],
    *,
    alpha: float | None,
    statistic: str,
) -> list[BinRow]:
    """Return one row per baseline bin in display order, with each bin's term of `statistic`.

    Raises ValueError when the labels and counts do not describe the same bins.
    """
    n = len(labels)
    if len(reference_counts) != n or len(live_counts) != n or n < 2:
        raise ValueError(
            f"{n} bin labels but {len(reference_counts)} reference and {len(live_counts)} live counts"
        )
    ref = np.asarray(reference_counts, dtype=np.int64)
    live = np.asarray(live_counts, dtype=np.int64)
    n_ref, n_live = int(ref.sum()), int(live.sum())
    terms: list[float | None] = [None] * n
    if statistic in _TERMS and alpha is not None and n_ref > 0 and n_live > 0:
        function, direction = _TERMS[statistic]
        p_ref, p_live = smooth(ref, alpha), smooth(live, alpha)
        values = function(p_live, p_ref) if direction == "live_ref" else function(p_ref, p_live)
        terms = [finite(v) for v in values]
    kinds = _kinds(column_kind, labels)
    rows = [
        BinRow(
            index=i,
            label=labels[i],
            kind=kinds[i],
            reference_count=int(ref[i]),
            live_count=int(live[i]),
            reference_share=int(ref[i]) / n_ref if n_ref else 0.0,
            live_share=int(live[i]) / n_live if n_live else 0.0,
            contribution=terms[i],
        )
        for i in range(n)
    ]
    if column_kind != "categorical":
        return rows  # edge order, missing last
    categories = sorted(rows[:-2], key=lambda r: (-r.reference_count, r.index))
    return [*categories, *rows[-2:]]
