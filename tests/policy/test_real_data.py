"""The default alert policy on real data: documented drift alerts, real no-drift controls never do.

Data sets, their drift and their controls: tests/policy/realdata.py. Windows replay through
driftmon's own binning, comparison, calibration and alert state machine with the rule a monitor
without an `alerts:` block gets; tests/policy/test_backfill.py runs the same data through
`driftmon backfill`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from driftmon.alerts import Severity
from tests.policy.realdata import (
    RAND_CATEGORICAL,
    RAND_CONTROL,
    RAND_DRIFT,
    chunks,
    default_rule,
    randhie,
    replay_values,
    seattle_weather,
)

RULE = default_rule()


@pytest.fixture(scope="module")
def rand_arms() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Return the free plan's reference half, its held-out half and the 95% plan, each shuffled."""
    frame = randhie()
    free = frame[frame["coins"] == 0].sample(frac=1.0, random_state=1)
    half = len(free) // 2
    paying = frame[frame["coins"] == 95].sample(frac=1.0, random_state=2)
    return free.iloc[:half], free.iloc[half:], paying


def kind(column: str) -> str:
    return "categorical" if column in RAND_CATEGORICAL else "numeric"


@pytest.mark.parametrize("n_live", [250, 500, 1000])
@pytest.mark.parametrize("column", RAND_DRIFT)
def test_care_used_on_the_95_percent_plan_alerts(rand_arms, column: str, n_live: int) -> None:
    reference, _, paying = rand_arms
    windows = chunks(paying[column].to_numpy(), n_live)
    replay = replay_values(RULE, reference[column].to_numpy(), windows, kind(column))
    # Every window alerts but the first (a warning-sized effect waits for a second window) and,
    # on the smallest windows, one more whose sample happened to sit within the noise.
    allowed_misses = 1 if n_live >= 500 else 2
    assert replay.alerting >= len(windows) - allowed_misses, replay.severities


@pytest.mark.parametrize("n_live", [100, 250, 500, 1000])
@pytest.mark.parametrize("column", RAND_CONTROL)
def test_covariates_balanced_by_the_random_assignment_never_alert(
    rand_arms, column: str, n_live: int
) -> None:
    reference, _, paying = rand_arms
    replay = replay_values(
        RULE, reference[column].to_numpy(), chunks(paying[column].to_numpy(), n_live), kind(column)
    )
    assert replay.alerting == 0, replay.severities


@pytest.mark.parametrize("n_live", [100, 250, 500, 1000])
@pytest.mark.parametrize("column", RAND_DRIFT + RAND_CONTROL)
def test_held_out_rows_of_the_reference_arm_never_alert(rand_arms, column: str, n_live: int) -> None:
    reference, held_out, _ = rand_arms
    replay = replay_values(
        RULE, reference[column].to_numpy(), chunks(held_out[column].to_numpy(), n_live), kind(column)
    )
    assert replay.alerting == 0, replay.severities


def _predictions(train: pd.DataFrame, features: list[str], *frames: pd.DataFrame) -> list[np.ndarray]:
    """Fit a least-squares model of log(1 + spending) on `train`; return its predictions on `frames`."""

    def design(frame: pd.DataFrame) -> np.ndarray:
        return np.column_stack([np.ones(len(frame)), frame[features].to_numpy(dtype=float)])

    target = np.log1p(train["meddol"].to_numpy(dtype=float))
    coef, *_ = np.linalg.lstsq(design(train), target, rcond=None)
    return [design(frame) @ coef for frame in frames]


@pytest.mark.parametrize("n_live", [250, 1000])
def test_a_spending_model_on_balanced_covariates_predicts_alike_on_both_plans(rand_arms, n_live: int) -> None:
    reference, held_out, paying = rand_arms
    features = ["xage", "female", "physlm", "hlthg", "hlthp"]
    ref_pred, held_pred, paying_pred = _predictions(reference, features, reference, held_out, paying)
    for live in (held_pred, paying_pred):
        assert replay_values(RULE, ref_pred, chunks(live, n_live)).alerting == 0


@pytest.mark.parametrize("n_live", [250, 1000])
def test_a_spending_model_that_sees_the_plan_predicts_drift(rand_arms, n_live: int) -> None:
    reference, _, paying = rand_arms
    # The reference arm alone has one plan; train on both so the plan's coefficient is learnt.
    train = pd.concat([reference, paying.iloc[: len(paying) // 2]])
    features = ["xage", "female", "physlm", "hlthg", "hlthp", "logc"]
    ref_pred, paying_pred = _predictions(train, features, reference, paying.iloc[len(paying) // 2 :])
    windows = chunks(paying_pred, n_live)
    assert replay_values(RULE, ref_pred, windows).alerting >= len(windows) - 1


# --- Seattle's weather: monthly windows of 28 to 31 days ------------------------------------------

SMALL = default_rule(min_samples=20)


@pytest.fixture(scope="module")
def weather() -> tuple[pd.DataFrame, list[tuple[tuple[int, int], pd.DataFrame]]]:
    """Return the January-February 2012-2013 reference and the months of 2014-2015 in order."""
    frame = seattle_weather()
    reference = frame[(frame["date"].dt.year <= 2013) & (frame["date"].dt.month <= 2)]
    later = frame[frame["date"].dt.year >= 2014]
    months = list(later.groupby([later["date"].dt.year, later["date"].dt.month]))
    return reference, months


def test_summer_temperatures_alert_critical_from_their_first_month(weather) -> None:
    reference, months = weather
    replay = replay_values(
        SMALL, reference["temp_max"].to_numpy(), [m["temp_max"].to_numpy() for _, m in months]
    )
    by_month = dict(zip([key for key, _ in months], replay.severities, strict=True))
    for year in (2014, 2015):
        for month in (6, 7, 8, 9):
            assert by_month[(year, month)] == Severity.CRITICAL, (year, month)


@pytest.mark.parametrize("column", ["temp_max", "temp_min", "precipitation", "wind"])
def test_winter_months_match_a_winter_reference(weather, column: str) -> None:
    reference, months = weather
    winters = [m[column].to_numpy() for (_, month), m in months if month <= 2]
    assert len(winters) == 4
    assert replay_values(SMALL, reference[column].to_numpy(), winters).alerting == 0


def test_wind_stays_within_a_winter_reference_all_year(weather) -> None:
    reference, months = weather
    replay = replay_values(SMALL, reference["wind"].to_numpy(), [m["wind"].to_numpy() for _, m in months])
    assert replay.alerting == 0, replay.severities


def test_the_change_in_how_weather_was_labelled_alerts_every_month(weather) -> None:
    reference, months = weather
    live = [m["weather"].to_numpy() for _, m in months]
    replay = replay_values(SMALL, reference["weather"].to_numpy(), live, "categorical")
    assert replay.severities == [Severity.CRITICAL] * len(live)
