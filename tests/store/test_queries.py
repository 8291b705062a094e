"""Reads: latest result per series, run history, one run in full, windows for backfill."""

from __future__ import annotations

import math
from dataclasses import fields
from datetime import UTC, timedelta

import numpy as np
import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from driftmon.results import ResultRecord
from driftmon.store import (
    StoreInputError,
    UnknownResultError,
    UnknownRunError,
    claim_run,
    finish_run,
    get_result,
    get_run,
    latest_results,
    latest_runs,
    run_history,
    stored_windows,
    upsert_monitor,
)
from driftmon.store.models import ColumnResult, Monitor
from tests.store.conftest import (
    HOUR,
    STALE,
    T0,
    failed_result,
    reference_values,
    store_baseline,
    store_window,
)


def test_latest_result_per_series(sessions: sessionmaker[Session], rng: np.random.Generator) -> None:
    ref = reference_values(rng)
    m_x, m_y = store_baseline(sessions, ref), store_baseline(sessions, ref, column="y")
    n_x = store_baseline(sessions, ref, monitor="n")
    store_window(sessions, [m_x, m_y], T0 + 5 * HOUR, rng.normal(0, 1, 1000))
    store_window(sessions, [n_x], T0, rng.normal(3, 1, 1000), monitor="n")
    # A backfilled older window is stored but does not displace the newest one.
    store_window(sessions, [m_x], T0 + 2 * HOUR, rng.normal(0, 1, 1000))
    with sessions() as s:
        latest = latest_results(s)
        assert [(r.monitor, r.column, r.window_start) for r in latest] == [
            ("m", "x", T0 + 5 * HOUR),
            ("m", "y", T0 + 5 * HOUR),
            ("n", "x", T0),
        ]
        assert [r.monitor for r in latest_results(s, monitors=["n"])] == ["n"]
        assert latest_results(s, monitors=[]) == []
    store_window(sessions, [m_x], T0 + 6 * HOUR, rng.normal(0, 1, 1000))
    with sessions() as s:
        assert [r.window_start for r in latest_results(s, monitors=["m"])] == [T0 + 6 * HOUR, T0 + 5 * HOUR]
    (n_latest,) = [r for r in latest if r.monitor == "n"]
    assert n_latest.scores["js_divergence"] is not None
    assert n_latest.scores["js_divergence"] > 0.3
    assert n_latest.null("js_divergence") is not None
    assert n_latest.baseline_version == 1


def test_a_failed_column_is_the_latest_state(
    sessions: sessionmaker[Session], rng: np.random.Generator
) -> None:
    baseline = store_baseline(sessions, reference_values(rng))
    store_window(sessions, [baseline], T0, rng.normal(0, 1, 1000))
    with sessions() as s, s.begin():
        claim = claim_run(s, "m", T0 + HOUR, T0 + 2 * HOUR, now=T0 + 2 * HOUR, stale_after=STALE)
        finish_run(s, claim, status="failed", finished_at=T0 + 2 * HOUR, results=[failed_result("x", "boom")])
    with sessions() as s:
        (latest,) = latest_results(s)
    assert (latest.status, latest.error, latest.window_start, latest.scores.get("js_divergence")) == (
        "failed",
        "boom",
        T0 + HOUR,
        None,
    )


def test_run_history_and_windows(sessions: sessionmaker[Session], rng: np.random.Generator) -> None:
    baseline = store_baseline(sessions, reference_values(rng))
    for hour in (0, 1, 3):
        store_window(sessions, [baseline], T0 + hour * HOUR, rng.normal(0, 1, 200))
    with sessions() as s, s.begin():
        claim_run(s, "m", T0 + 4 * HOUR, T0 + 5 * HOUR, now=T0, stale_after=STALE)  # still running
    with sessions() as s:
        history = run_history(s, "m")
        assert [r.window_start for r in history] == [T0 + h * HOUR for h in (4, 3, 1, 0)]
        assert [r.status for r in history] == ["running", "succeeded", "succeeded", "succeeded"]
        assert [r.window_start for r in run_history(s, "m", limit=2, before=T0 + 2 * HOUR)] == [T0 + HOUR, T0]
        assert run_history(s, "nobody") == []
        with pytest.raises(StoreInputError, match="limit must be at least 1"):
            run_history(s, "m", limit=0)
        assert {m: r.window_start for m, r in latest_runs(s).items()} == {"m": T0 + 4 * HOUR}
        assert latest_runs(s, statuses=["succeeded"])["m"].window_start == T0 + 3 * HOUR
        assert latest_runs(s, monitors=["nobody"]) == {}
        windows = stored_windows(s, "m", T0 + HOUR, T0 + 5 * HOUR)
        assert windows == {
            (T0 + HOUR, T0 + 2 * HOUR): "succeeded",
            (T0 + 3 * HOUR, T0 + 4 * HOUR): "succeeded",
            (T0 + 4 * HOUR, T0 + 5 * HOUR): "running",
        }


def test_get_run_and_result(sessions: sessionmaker[Session], rng: np.random.Generator) -> None:
    baseline = store_baseline(sessions, reference_values(rng))
    run_id = store_window(sessions, [baseline], T0, rng.normal(0, 1, 300))
    with sessions() as s:
        detail = get_run(s, run_id)
        (result,) = detail.results
        by_key = get_result(s, monitor="m", column="x", window_start=T0, window_end=T0 + HOUR)
        assert by_key == get_result(s, result.id) == result
        assert sum(result.live_counts or ()) == 300
        with pytest.raises(UnknownRunError, match="no run with id 999"):
            get_run(s, 999)
        with pytest.raises(UnknownResultError, match="monitor 'm' column 'y' window"):
            get_result(s, monitor="m", column="y", window_start=T0, window_end=T0 + HOUR)
        with pytest.raises(StoreInputError, match="needs a result id"):
            get_result(s, monitor="m")
    assert detail.run.window_end - detail.run.window_start == timedelta(hours=1)


def test_a_partly_stored_calibration_and_unknown_alert_labels_are_read_as_far_as_known(
    sessions: sessionmaker[Session], rng: np.random.Generator
) -> None:
    baseline = store_baseline(sessions, reference_values(rng))
    run_id = store_window(sessions, [baseline], T0, rng.normal(0, 1, 300))
    with sessions() as s, s.begin():  # as a row written by hand or by another tool may be
        s.execute(
            sa.update(ColumnResult)
            .where(ColumnResult.run_id == run_id)
            .values(
                js_divergence=None,
                js_divergence_null_quantile=None,
                psi_null_expected=None,
                psi_null_quantile=None,
                psi_p_value=None,
                alert_states={"js_divergence": "warning", "psi": "bogus"},
            )
        )
    with sessions() as s:
        (result,) = get_run(s, run_id).results
    level = result.null("js_divergence")  # no value, no quantile: the p-value and mean remain
    assert level is not None
    assert "js_divergence" not in result.scores
    assert math.isnan(level.quantile)
    assert 0 <= level.p_value <= 1
    assert level.expected >= 0
    assert result.null("psi") is None  # nothing of it stored: no calibration
    assert "psi" in result.scores
    assert result.alert_states == {"js_divergence": "warning"}


def test_monitors_record_their_config_hash(sessions: sessionmaker[Session]) -> None:
    with sessions() as s, s.begin():
        upsert_monitor(s, "m", "a" * 64, now=T0)
        upsert_monitor(s, "n", now=T0)
    with sessions() as s, s.begin():
        upsert_monitor(s, "m", "b" * 64, now=T0 + HOUR)
        upsert_monitor(s, "m", now=T0 + 2 * HOUR)  # None keeps the hash
    columns = (Monitor.name, Monitor.config_hash, Monitor.created_at, Monitor.updated_at)
    with sessions() as s:
        stored = [tuple(row) for row in s.execute(sa.select(*columns).order_by(Monitor.name))]
    assert stored == [("m", "b" * 64, T0, T0 + 2 * HOUR), ("n", None, T0, T0)]


def _summary_fields(result: ResultRecord) -> dict[str, object]:
    summary = [f.name for f in fields(ResultRecord)]
    summary = summary[: summary.index("run_id") + 1]
    return {name: getattr(result, name) for name in summary}


def test_latest_copies_equal_the_stored_results(
    sessions: sessionmaker[Session], rng: np.random.Generator
) -> None:
    # latest_results reads its own table (over psycopg's binary protocol on PostgreSQL): it must
    # agree field for field with the result rows it copies.
    baselines = [store_baseline(sessions, reference_values(rng), column=c) for c in ("a", "b")]
    store_window(sessions, baselines, T0, rng.normal(0.4, 1, 800))
    store_window(sessions, baselines[:1], T0 + HOUR, rng.normal(0, 1, 10))  # insufficient data
    with sessions() as s:
        latest = latest_results(s)
        assert [r.status for r in latest] == ["insufficient_data", "ok"]
        for result in latest:
            assert _summary_fields(result) == _summary_fields(get_result(s, result.id))
            assert result.window_end.tzinfo is UTC


def test_a_retry_restores_the_previous_latest(
    sessions: sessionmaker[Session], rng: np.random.Generator
) -> None:
    baseline = store_baseline(sessions, reference_values(rng))
    store_window(sessions, [baseline], T0, rng.normal(0, 1, 1000))
    with sessions() as s, s.begin():
        claim = claim_run(s, "m", T0 + HOUR, T0 + 2 * HOUR, now=T0 + 2 * HOUR, stale_after=STALE)
        finish_run(s, claim, status="failed", finished_at=T0 + 2 * HOUR, results=[failed_result("x", "boom")])
    with sessions() as s, s.begin():
        assert claim_run(s, "m", T0 + HOUR, T0 + 2 * HOUR, now=T0 + 3 * HOUR, stale_after=STALE).claimed
    with sessions() as s:
        (latest,) = latest_results(s)
        assert (latest.window_start, latest.status) == (T0, "ok")
        assert _summary_fields(latest) == _summary_fields(get_result(s, latest.id))
