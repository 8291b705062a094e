"""driftmon.core: bins, histograms, smoothing, divergences and calibration (pure numpy/scipy).

No I/O, no logging, no clock: everything here is a function of its arguments.
"""

from __future__ import annotations

from driftmon.core.bins import (
    DEFAULT_COVERAGE,
    DEFAULT_NUMERIC_BINS,
    DEFAULT_TOP_K,
    BinSpec,
    CategoricalBins,
    NumericBins,
    bin_spec_from_dict,
    fit_bins,
    fit_categorical_bins,
    fit_numeric_bins,
)
from driftmon.core.calibration import STATISTICS, NullLevel
from driftmon.core.compare import (
    DEFAULT_MIN_SAMPLES,
    PRIMARY_STATISTIC,
    BinContribution,
    Comparison,
    compare,
    finite,
)
from driftmon.core.divergence import (
    hellinger,
    hellinger_terms,
    js_distance,
    js_divergence,
    js_terms,
    kl_divergence,
    kl_terms,
    psi,
    psi_terms,
)
from driftmon.core.errors import (
    BinSpecError,
    CountsError,
    InvalidDistributionError,
    NonNumericValueError,
)
from driftmon.core.histogram import Histogram, count_values
from driftmon.core.smoothing import DEFAULT_ALPHA, smooth

__all__ = [
    "DEFAULT_ALPHA",
    "DEFAULT_COVERAGE",
    "DEFAULT_MIN_SAMPLES",
    "DEFAULT_NUMERIC_BINS",
    "DEFAULT_TOP_K",
    "PRIMARY_STATISTIC",
    "STATISTICS",
    "BinContribution",
    "BinSpec",
    "BinSpecError",
    "CategoricalBins",
    "Comparison",
    "CountsError",
    "Histogram",
    "InvalidDistributionError",
    "NonNumericValueError",
    "NullLevel",
    "NumericBins",
    "bin_spec_from_dict",
    "compare",
    "count_values",
    "finite",
    "fit_bins",
    "fit_categorical_bins",
    "fit_numeric_bins",
    "hellinger",
    "hellinger_terms",
    "js_distance",
    "js_divergence",
    "js_terms",
    "kl_divergence",
    "kl_terms",
    "psi",
    "psi_terms",
    "smooth",
]
