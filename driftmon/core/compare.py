"""compare(): every statistic, its per-bin explanation and its no-drift calibration at once."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from driftmon.core.calibration import (
    DEFAULT_NULL_QUANTILE,
    DEFAULT_SIMULATIONS,
    STATISTICS,
    CalibrationMethod,
    NullLevel,
    calibrate,
    statistics_matrix,
)
from driftmon.core.divergence import hellinger_terms, js_terms, kl_terms, psi_terms
from driftmon.core.errors import CountsError
from driftmon.core.histogram import Histogram, as_counts
from driftmon.core.smoothing import DEFAULT_ALPHA, smooth

# Below this many live (or reference) values a window is `insufficient_data`: with 10 bins the
# no-drift KL bias alone is about (B - 1) / (2 n) = 0.045 nats, larger than most real shifts.
DEFAULT_MIN_SAMPLES = 20
PRIMARY_STATISTIC = "js_divergence"
Status = Literal["ok", "insufficient_data"]
IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


def finite(value: float | None) -> float | None:
    """Return the value as a float, or None when it is missing, NaN or infinite (JSON has neither)."""
    return None if value is None or not math.isfinite(value) else float(value)


@dataclass(frozen=True)
class BinContribution:
    """One bin's part in the drift: raw shares on each side and its JS contribution (bits)."""

    index: int
    label: str
    reference_share: float
    live_share: float
    contribution: float

    def to_dict(self) -> dict[str, Any]:
        """Return the bin as JSON-ready data: a non-finite share or contribution (alpha = 0) is None."""
        return {
            "bin": self.label,
            "index": self.index,
            "reference_share": finite(self.reference_share),
            "live_share": finite(self.live_share),
            "contribution": finite(self.contribution),
        }

    @classmethod
    def from_dict(cls, entry: Mapping[str, Any]) -> BinContribution:
        """Return a bin from its to_dict() form (as stored); a missing number is NaN."""

        def number(key: str) -> float:
            value = entry.get(key)
            return float(value) if isinstance(value, int | float) else math.nan

        return cls(
            index=int(entry.get("index") or 0),
            label=str(entry.get("bin", "")),
            reference_share=number("reference_share"),
            live_share=number("live_share"),
            contribution=number("contribution"),
        )


@dataclass(frozen=True, eq=False)
class Comparison:
    """The result of comparing one live histogram with its reference.

    Units: kl_* and js_divergence in bits; js_distance = sqrt(js_divergence); psi in nats;
    hellinger is a distance in [0, 1]. When n_live is 0 every statistic is NaN.
    `contributions[name]` holds per-bin terms that sum to that statistic (for "hellinger"
    they sum to hellinger squared). `null[name]` is its no-drift calibration.
    """

    n_reference: int
    n_live: int
    alpha: float
    labels: tuple[str, ...]
    reference_counts: IntArray = field(repr=False)
    live_counts: IntArray = field(repr=False)
    reference_probs: FloatArray = field(repr=False)
    live_probs: FloatArray = field(repr=False)
    kl_live_ref: float
    kl_ref_live: float
    js_divergence: float
    js_distance: float
    psi: float
    hellinger: float
    contributions: dict[str, FloatArray] = field(repr=False)
    null: dict[str, NullLevel] = field(repr=False)
    calibration_method: str
    primary: str
    status: Status
    top_bins: tuple[BinContribution, ...] = field(repr=False)

    @property
    def p_value(self) -> float:
        """The primary statistic's p-value (NaN when there is nothing to test)."""
        level = self.null.get(self.primary)
        return level.p_value if level else math.nan

    def statistics(self) -> dict[str, float]:
        return {name: float(getattr(self, name)) for name in STATISTICS}

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict (NaN becomes None)."""

        def num(x: float) -> float | None:
            return None if math.isnan(x) else x

        return {
            "n_reference": self.n_reference,
            "n_live": self.n_live,
            "alpha": self.alpha,
            **{name: num(value) for name, value in self.statistics().items()},
            "p_value": num(self.p_value),
            "status": self.status,
            "calibration_method": self.calibration_method,
            "null": {
                name: {"expected": lvl.expected, "quantile": lvl.quantile, "p_value": lvl.p_value}
                for name, lvl in self.null.items()
            },
            "bins": list(self.labels),
            "reference_counts": self.reference_counts.tolist(),
            "live_counts": self.live_counts.tolist(),
            "top_bins": [b.to_dict() for b in self.top_bins],
        }


def _as_counts(x: Histogram | npt.ArrayLike, name: str) -> tuple[IntArray, tuple[str, ...] | None]:
    if isinstance(x, Histogram):
        return x.counts, x.labels
    return as_counts(x, name), None


def _top_bins(
    labels: tuple[str, ...], ref: IntArray, live: IntArray, js: FloatArray, k: int
) -> tuple[BinContribution, ...]:
    n_ref, n_live = max(int(ref.sum()), 1), max(int(live.sum()), 1)
    order = sorted(range(len(labels)), key=lambda i: (-js[i], i))[:k]
    return tuple(
        BinContribution(i, labels[i], float(ref[i] / n_ref), float(live[i] / n_live), float(js[i]))
        for i in order
        if js[i] > 0
    )


def compare(
    reference: Histogram | npt.ArrayLike,
    live: Histogram | npt.ArrayLike,
    *,
    alpha: float = DEFAULT_ALPHA,
    labels: tuple[str, ...] | None = None,
    min_samples: int = DEFAULT_MIN_SAMPLES,
    calibration: CalibrationMethod = "auto",
    n_simulations: int = DEFAULT_SIMULATIONS,
    null_quantile: float = DEFAULT_NULL_QUANTILE,
    seed: int | None = None,
    top_k: int = 5,
    primary: str = PRIMARY_STATISTIC,
) -> Comparison:
    """Compare live counts with reference counts over the same bins (Histograms or arrays)."""
    if isinstance(reference, Histogram) and isinstance(live, Histogram) and reference.spec != live.spec:
        raise CountsError("reference and live histograms use different bin specs")
    ref, ref_labels = _as_counts(reference, "reference")
    cur, live_labels = _as_counts(live, "live")
    if ref.shape != cur.shape:
        raise CountsError(
            f"reference has {ref.shape[0]} bins and live has {cur.shape[0]}; both must use the same bins"
        )
    if primary not in STATISTICS:
        raise ValueError(f"primary statistic must be one of {', '.join(STATISTICS)}; got {primary!r}")
    names = labels or ref_labels or live_labels or tuple(f"bin {i}" for i in range(ref.shape[0]))
    if len(names) != ref.shape[0]:
        raise CountsError(f"{len(names)} labels given for {ref.shape[0]} bins")
    n_ref, n_live = int(ref.sum()), int(cur.sum())
    if n_ref == 0:
        raise CountsError("the reference is empty: fit the baseline on data that has rows")
    status: Status = "ok" if min(n_live, n_ref) >= min_samples else "insufficient_data"
    p_ref = smooth(ref, alpha)
    if n_live == 0:
        nan = math.nan
        empty = np.full(ref.shape[0], nan)
        return Comparison(
            n_ref,
            0,
            alpha,
            names,
            ref,
            cur,
            p_ref,
            empty,
            nan,
            nan,
            nan,
            nan,
            nan,
            nan,
            {},
            {},
            "none",
            primary,
            "insufficient_data",
            (),
        )
    p_live = smooth(cur, alpha)
    values = {k: float(v[0]) for k, v in statistics_matrix(p_ref[None, :], p_live[None, :]).items()}
    contributions = {
        "kl_live_ref": kl_terms(p_live, p_ref),
        "kl_ref_live": kl_terms(p_ref, p_live),
        "js_divergence": js_terms(p_live, p_ref),
        "psi": psi_terms(p_live, p_ref),
        "hellinger": hellinger_terms(p_live, p_ref),
    }
    null, method = calibrate(
        ref,
        cur,
        values,
        alpha=alpha,
        method=calibration,
        n_simulations=n_simulations,
        quantile=null_quantile,
        seed=seed,
    )
    return Comparison(
        n_reference=n_ref,
        n_live=n_live,
        alpha=alpha,
        labels=names,
        reference_counts=ref,
        live_counts=cur,
        reference_probs=p_ref,
        live_probs=p_live,
        **values,
        contributions=contributions,
        null=null,
        calibration_method=method,
        primary=primary,
        status=status,
        top_bins=_top_bins(names, ref, cur, contributions["js_divergence"], top_k),
    )
