"""Real public data sets that ship inside PyPI packages, loaded offline, for the default alert policy.

- The RAND Health Insurance Experiment (statsmodels.datasets.randhie, the source file with the
  plan of every person-year): families were randomly assigned to insurance plans. People on the
  free plan (coinsurance 0) used more care than those paying 95%: doctor visits (`mdvis`) and
  spending (`meddol`, `outpdol`, `drugdol`) drift between the arms, which is the experiment's
  documented finding. Covariates the assignment balanced (`xage`, `female`, `physlm`, `hlthg`,
  `hlthp`, `year`) do not: on all 9,338 and 2,653 rows their p-values are 0.13-0.86. Site 1 had
  no 95% plan, so it is left out on both sides.
- Seattle's daily weather 2012-2015 (vega_datasets, seattle-weather.csv): temperatures follow the
  seasons, so summer months drift from a January-February reference and winter months do not;
  precipitation and wind stay within a winter reference's range all year; and the `weather` label
  was recorded differently from 2013 on (191 days of `rain` in 2012, 3 in 2014, while the share of
  days with precipitation stayed at 39-48%): a change of labelling, which is drift.
"""

from __future__ import annotations

import importlib.resources
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd

from driftmon.alerts import AlertRule, AlertState, Severity, WindowScore, evaluate
from driftmon.config import MonitorConfig
from driftmon.core import Histogram, compare, count_values, fit_bins
from driftmon.jobs.alerting import alert_rule

START = datetime(2024, 1, 1, tzinfo=UTC)
HOUR = timedelta(hours=1)

RAND_DRIFT = ("mdvis", "meddol", "outpdol", "drugdol")
RAND_CONTROL = ("xage", "female", "physlm", "hlthg", "hlthp", "year")
RAND_CATEGORICAL = ("female", "hlthg", "hlthp", "year")


def randhie() -> pd.DataFrame:
    """Return the RAND HIE person-years of sites 2-6 (those with both the free and the 95% plan)."""
    path = importlib.resources.files("statsmodels.datasets") / "randhie" / "src" / "randhie.csv"
    with importlib.resources.as_file(path) as file:
        frame = pd.read_csv(file)
    return frame[frame["site"] != 1].reset_index(drop=True)


def seattle_weather() -> pd.DataFrame:
    """Return Seattle's daily weather, 2012-2015."""
    path = importlib.resources.files("vega_datasets") / "_data" / "seattle-weather.csv"
    with importlib.resources.as_file(path) as file:
        return pd.read_csv(file, parse_dates=["date"])


def default_rule(column: str = "x", min_samples: int | None = None) -> AlertRule:
    """Return the state machine's rule for js_divergence of a column of a monitor with no `alerts:` block."""
    monitor = MonitorConfig.model_validate(
        {
            "name": "m",
            "source": {"kind": "file", "path": "live"},
            "timestamp_column": "t",
            "reference": {"path": "reference.parquet"},
            "window": {"size": "1h"},
            "columns": [column],
            **({"min_samples": min_samples} if min_samples is not None else {}),
        }
    )
    settings = monitor.column_settings(column)
    return alert_rule(settings, settings.alerts["js_divergence"])


@dataclass(frozen=True)
class Replay:
    """Each window's severity after it was evaluated, and how many alerts fired."""

    severities: list[Severity]
    fired: int

    @property
    def alerting(self) -> int:
        return sum(s > Severity.OK for s in self.severities)


def replay_counts(rule: AlertRule, reference: Histogram, windows: Sequence[np.ndarray]) -> Replay:
    """Score live count vectors against `reference` in order and run the rule over them."""
    state: AlertState | None = None
    severities, fired = [], 0
    for i, counts in enumerate(windows):
        comparison = compare(reference, counts, min_samples=rule.min_samples)
        score = WindowScore.from_comparison(
            comparison, rule.statistic, START + i * HOUR, START + (i + 1) * HOUR
        )
        state, transition = evaluate(rule, state, score)
        severities.append(state.severity)
        fired += transition is not None and transition.kind == "fired"
    return Replay(severities, fired)


def replay_values(
    rule: AlertRule, reference: np.ndarray, windows: Sequence[np.ndarray], kind: str | None = None
) -> Replay:
    """Fit bins on reference values, count every live window on them and replay the rule."""
    spec = fit_bins(reference, kind=kind)  # type: ignore[arg-type]
    return replay_counts(rule, count_values(spec, reference), [count_values(spec, w).counts for w in windows])


def chunks(values: np.ndarray, size: int) -> list[np.ndarray]:
    """Split values into consecutive windows of `size` rows (the last partial one dropped)."""
    return [values[i : i + size] for i in range(0, len(values) - size + 1, size)]
