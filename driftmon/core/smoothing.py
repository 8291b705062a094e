"""Additive (Lidstone) smoothing with renormalisation over the shared bins.

p_i = (c_i + alpha) / (n + alpha * B). Both sides are smoothed over the same B bins, so every
probability is positive and KL is finite, and the result is a proper distribution (unlike
flooring zeros at 1e-4 without renormalising, which inflates KL).

The default alpha = 0.5 is the Jeffreys / Krichevsky-Trofimov choice: the prior that makes the
add-alpha estimate near-minimax for KL (log-loss) risk. It is small enough that a window of a
few hundred rows is barely flattened and negligible for large windows, and large enough that a
bin empty in the reference but present live gives a large, finite contribution.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from driftmon.core.errors import CountsError

DEFAULT_ALPHA = 0.5


def smooth(counts: npt.ArrayLike, alpha: float = DEFAULT_ALPHA) -> npt.NDArray[np.float64]:
    """Return (c + alpha) / (n + alpha * B); works row-wise on a 2-D array of counts."""
    if not np.isfinite(alpha) or alpha < 0:
        raise CountsError(f"smoothing alpha must be a finite number >= 0, got {alpha!r}")
    c = np.asarray(counts, dtype=np.float64)
    if c.size == 0:
        raise CountsError("cannot smooth an empty count vector")
    if np.any(c < 0) or not np.all(np.isfinite(c)):
        raise CountsError("counts must be finite and non-negative")
    total = c.sum(axis=-1, keepdims=True) + alpha * c.shape[-1]
    if np.any(total == 0):
        raise CountsError("cannot turn all-zero counts into probabilities with alpha = 0")
    out: npt.NDArray[np.float64] = (c + alpha) / total
    return out
