"""Fit bin specs of a large reference inside Spark: quantile edges, value ranges, top categories.

Used when the reference has more rows than the reference sample (smaller references are
collected and fitted by driftmon's own code, exactly as for every other source):

- quantile edges are `percentile_approx(x, q, accuracy)` over the finite values: each edge is
  a value of the column whose rank is within rows / accuracy of the exact quantile's
  (accuracy 10000 by default: within 0.01% of the rows). Like the core, equal edges collapse
  to one and a constant column gets one edge;
- uniform edges need only the finite minimum and maximum, so they are exactly the core's;
- categories are counted exactly (GROUP BY in Spark, the most frequent `top_k` come back) and
  kept by the core's rule: the fewest most frequent categories covering `coverage` of the
  non-missing rows, at most `top_k`, ties broken by the value's text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from driftmon.config import ColumnSettings
from driftmon.core import BinSpec, CategoricalBins, NumericBins, fit_numeric_bins
from driftmon.core.values import to_category
from driftmon.sources.columns import plain_value
from driftmon.sources.spark_plan import column_ref, family


@dataclass(frozen=True)
class FitPlan:
    """The aggregates one column's fit needs from the shared reference job."""

    name: str
    kind: str
    settings: ColumnSettings
    aggregates: tuple[Any, ...]
    floating: bool = False


def _finite(name: str) -> Any:
    from pyspark.sql import functions as F

    v = column_ref(name).cast("double")
    return F.when(~F.isnan(v) & (F.abs(v) != F.lit(float("inf"))), v)


def quantiles(n_bins: int) -> list[float]:
    """Return the interior quantiles of `n_bins` equal-frequency bins (the median for one bin)."""
    inner = np.linspace(0.0, 1.0, n_bins + 1)[1:-1]
    return [float(q) for q in inner] if inner.size else [0.5]


def fit_plan(settings: ColumnSettings, kind: str, data_type: Any, accuracy: int) -> FitPlan:
    """Return the aggregates that fit `settings`' bins for a column of kind `kind`."""
    from pyspark.sql import functions as F

    name = settings.name
    if kind == "numeric":
        if settings.edges is not None:
            return FitPlan(name, kind, settings, ())
        fx = _finite(name)
        if settings.method == "uniform":
            return FitPlan(name, kind, settings, (F.count(fx), F.min(fx), F.max(fx)))
        qs = quantiles(settings.n_bins)
        return FitPlan(name, kind, settings, (F.count(fx), F.percentile_approx(fx, qs, accuracy)))
    floating = family(data_type) == "floating"
    v = column_ref(name).cast("double") if floating else column_ref(name)
    aggregates = (F.count(v), F.count_if(F.isnan(v))) if floating else (F.count(v),)
    return FitPlan(name, kind, settings, aggregates, floating)


def numeric_spec(plan: FitPlan, values: Sequence[Any]) -> NumericBins:
    """Return the numeric bins from the plan's aggregate values."""
    settings = plan.settings
    if settings.edges is not None:
        return NumericBins(tuple(settings.edges))
    if not values[0]:  # no finite value at all
        return NumericBins(())
    if settings.method == "uniform":
        lo, hi = float(values[1]), float(values[2])
        # The core's uniform edges depend on the finite minimum and maximum alone.
        return fit_numeric_bins(np.array([lo, hi]), method="uniform", n_bins=settings.n_bins)
    raw = np.asarray(values[1], dtype=np.float64)
    return NumericBins(tuple(float(e) for e in np.unique(raw)))


def present_rows(plan: FitPlan, values: Sequence[Any]) -> int:
    """Return the non-missing rows of a categorical column from its aggregate values."""
    return int(values[0] or 0) - (int(values[1] or 0) if plan.floating else 0)


def top_categories(frame: Any, plan: FitPlan) -> list[tuple[Any, int]]:
    """Return the `top_k` most frequent non-missing values and their counts, most frequent first."""
    from pyspark.sql import functions as F

    v = column_ref(plan.name).cast("double") if plan.floating else column_ref(plan.name)
    kept = v.isNotNull() & ~F.isnan(v) if plan.floating else v.isNotNull()
    grouped = frame.where(kept).groupBy(v.alias("value")).count()
    ranked = grouped.orderBy(F.desc("count"), F.col("value").cast("string")).limit(plan.settings.top_k)
    return [(row[0], int(row[1])) for row in ranked.collect()]


def categorical_spec(plan: FitPlan, top: Sequence[tuple[Any, int]], present: int) -> CategoricalBins:
    """Keep the categories the core keeps: fewest covering `coverage` of `present` rows, at most top_k."""
    settings = plan.settings
    ranked = [(to_category(plain_value(value)), n) for value, n in top]
    ranked.sort(key=lambda kv: (-kv[1], type(kv[0]).__name__, str(kv[0])))
    if not ranked:
        return CategoricalBins(())
    covered = np.cumsum([n for _, n in ranked], dtype=np.int64)
    needed = int(np.searchsorted(covered, settings.coverage * present * (1 - 1e-12))) + 1
    return CategoricalBins(tuple(value for value, _ in ranked[: min(settings.top_k, needed)]))


def spec_of(plan: FitPlan, values: Sequence[Any], frame: Any) -> BinSpec:
    """Return the column's bins: numeric from its aggregates, categorical from a top-k job."""
    if plan.kind == "numeric":
        return numeric_spec(plan, values)
    return categorical_spec(plan, top_categories(frame, plan), present_rows(plan, values))
