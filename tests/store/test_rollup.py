"""Roll-up and re-score from stored counts equal computing from the raw values."""

from __future__ import annotations

import numpy as np
import pytest
from sqlalchemy.orm import Session, sessionmaker

from driftmon.core import Comparison, compare, count_values, fit_categorical_bins
from driftmon.store import (
    BaselineMismatchError,
    NoStoredCountsError,
    ResultKey,
    StoreInputError,
    add_baseline,
    claim_run,
    finish_run,
    get_result,
    rescore,
    rollup,
)
from tests.store.conftest import (
    HOUR,
    STALE,
    T0,
    failed_result,
    reference_values,
    store_baseline,
    store_window,
)

DAY = 24 * HOUR


def _same(a: Comparison, b: Comparison) -> None:
    assert a.statistics() == b.statistics()
    assert a.p_value == b.p_value
    assert (a.n_reference, a.n_live, a.alpha, a.status) == (b.n_reference, b.n_live, b.alpha, b.status)
    assert [t.to_dict() for t in a.top_bins] == [t.to_dict() for t in b.top_bins]


def test_hourly_windows_roll_up_to_the_daily_histogram(
    sessions: sessionmaker[Session], rng: np.random.Generator
) -> None:
    baseline = store_baseline(sessions, reference_values(rng))
    hours = [
        np.where(rng.random(n) < 0.05, np.nan, rng.normal(0.1 * h, 1.0, n))
        for h, n in enumerate(rng.integers(0, 400, 24))
    ]
    for h, values in enumerate(hours):
        store_window(sessions, [baseline], T0 + h * HOUR, values)
    store_window(sessions, [baseline], T0 + DAY, rng.normal(0, 1, 100))  # the next day: left out
    raw = np.concatenate(hours)
    with sessions() as s:
        daily = rollup(s, "m", "x", T0, T0 + DAY)
        morning = rollup(s, "m", "x", T0, T0 + 6 * HOUR)
    assert daily.histogram == count_values(baseline.spec, raw)
    assert daily.histogram.n == raw.size
    assert len(daily.windows) == 24
    assert daily.baseline.version == 1
    assert morning.histogram == count_values(baseline.spec, np.concatenate(hours[:6]))
    _same(daily.compare(alpha=0.5), compare(baseline.histogram, count_values(baseline.spec, raw), alpha=0.5))


def test_categorical_roll_up_and_rescore(sessions: sessionmaker[Session], rng: np.random.Generator) -> None:
    reference = rng.choice(["a", "b", "c", "d"], 3000, p=[0.4, 0.3, 0.2, 0.1]).astype(object)
    spec = fit_categorical_bins(reference, top_k=3)
    with sessions() as s, s.begin():
        baseline = add_baseline(
            s,
            "m",
            "x",
            spec,
            count_values(spec, reference).counts,
            reference={},
            fitted_at=T0,
            role="prediction",
        )
    hours = []
    for h in range(4):
        values = rng.choice(["a", "b", "e", None], 500, p=[0.3, 0.3, 0.3, 0.1]).astype(object)
        hours.append(values)
        store_window(sessions, [baseline], T0 + h * HOUR, values)
    raw = count_values(spec, np.concatenate(hours))
    with sessions() as s:
        assert rollup(s, "m", "x", T0, T0 + 4 * HOUR).histogram == raw
        rescored = rescore(s, ResultKey("m", "x", T0 + HOUR, T0 + 2 * HOUR), alpha=2.0)
    _same(rescored, compare(baseline.histogram, count_values(spec, hours[1]), alpha=2.0))


@pytest.mark.parametrize("alpha", [0.0, 0.01, 0.5, 5.0])
def test_rescore_with_another_alpha(
    sessions: sessionmaker[Session], rng: np.random.Generator, alpha: float
) -> None:
    baseline = store_baseline(sessions, reference_values(rng))
    live = rng.normal(0.3, 1.2, 250)
    store_window(sessions, [baseline], T0, live)
    with sessions() as s:
        result_id = get_result(s, monitor="m", column="x", window_start=T0, window_end=T0 + HOUR).id
        by_id = rescore(s, result_id, alpha=alpha)
        by_key = rescore(s, ResultKey("m", "x", T0, T0 + HOUR), alpha=alpha)
    expected = compare(baseline.histogram, count_values(baseline.spec, live), alpha=alpha)
    _same(by_id, expected)
    _same(by_key, expected)


def test_windows_against_different_baselines_do_not_add(
    sessions: sessionmaker[Session], rng: np.random.Generator
) -> None:
    first = store_baseline(sessions, reference_values(rng))
    store_window(sessions, [first], T0, rng.normal(0, 1, 100))
    second = store_baseline(sessions, reference_values(rng) * 2)
    store_window(sessions, [second], T0 + HOUR, rng.normal(0, 1, 100))
    with sessions() as s:
        with pytest.raises(
            BaselineMismatchError, match=r"different baseline versions \(v1: 1 windows.*v2: 1 windows"
        ):
            rollup(s, "m", "x", T0, T0 + DAY)
        assert rollup(s, "m", "x", T0 + HOUR, T0 + DAY).baseline.version == 2


def test_overlapping_windows_are_refused(sessions: sessionmaker[Session], rng: np.random.Generator) -> None:
    baseline = store_baseline(sessions, reference_values(rng))
    store_window(sessions, [baseline], T0, rng.normal(0, 1, 100))
    store_window(sessions, [baseline], T0, rng.normal(0, 1, 100), length=2 * HOUR)
    with sessions() as s, pytest.raises(StoreInputError, match="would count rows twice"):
        rollup(s, "m", "x", T0, T0 + DAY)


def test_nothing_to_roll_up_or_rescore(sessions: sessionmaker[Session], rng: np.random.Generator) -> None:
    baseline = store_baseline(sessions, reference_values(rng))
    with sessions() as s, s.begin():
        claim = claim_run(s, "m", T0, T0 + HOUR, now=T0, stale_after=STALE)
        finish_run(
            s,
            claim,
            status="failed",
            finished_at=T0,
            results=[failed_result("x", "boom", baseline=baseline)],
        )
    with sessions() as s:
        with pytest.raises(
            NoStoredCountsError, match=r"no stored live counts for monitor 'm' column 'x' in \["
        ):
            rollup(s, "m", "x", T0, T0 + DAY)
        with pytest.raises(NoStoredCountsError, match="has no stored counts to re-score"):
            rescore(s, ResultKey("m", "x", T0, T0 + HOUR), alpha=1.0)
        with pytest.raises(StoreInputError, match="is not after its start"):
            rollup(s, "m", "x", T0, T0)
