"""No drift, the defaults: at most one alert per column per 1,000 windows, at any window size.

Live windows are resampled from real reference columns (tests/policy/realdata.py): counting a
sample of rows drawn with replacement from the reference is a multinomial draw over its bins'
shares, so the windows are drawn that way directly, 1,000 per size from 30 to 100,000 rows.
"""

from __future__ import annotations

import numpy as np
import pytest

from driftmon.core import count_values, fit_bins
from tests.policy.realdata import default_rule, randhie, replay_counts, seattle_weather

RULE = default_rule(min_samples=20)
SIZES = (30, 100, 1_000, 10_000, 100_000)
WINDOWS = 1_000


def _column(name: str) -> tuple[np.ndarray, str | None]:
    if name in ("temp_max", "weather"):
        return seattle_weather()[name].to_numpy(), "categorical" if name == "weather" else None
    return randhie()[name].to_numpy(), "categorical" if name == "female" else None


@pytest.mark.slow
@pytest.mark.parametrize("name", ["meddol", "xage", "female", "temp_max", "weather"])
def test_at_most_one_alert_per_1000_stationary_windows(name: str) -> None:
    values, kind = _column(name)
    spec = fit_bins(values, kind=kind)  # type: ignore[arg-type]
    reference = count_values(spec, values)
    share = reference.counts / reference.counts.sum()
    rng = np.random.default_rng(sum(map(ord, name)))
    for n_live in SIZES:
        windows = rng.multinomial(n_live, share, size=WINDOWS)
        replay = replay_counts(RULE, reference, list(windows))
        assert replay.fired <= 1, (n_live, replay.fired)
        assert replay.alerting <= 5, (n_live, replay.alerting)
