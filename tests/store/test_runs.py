"""Runs: claim a window once, finish it in one transaction, retry what a dead worker left behind."""

from __future__ import annotations

import math
import subprocess
import sys
import textwrap
from dataclasses import replace
from datetime import timedelta

import numpy as np
import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from driftmon.results import ResultRecord
from driftmon.store import (
    Claim,
    InvalidCountsError,
    NameTooLongError,
    RunNotClaimedError,
    StoreInputError,
    UnknownBaselineError,
    claim_run,
    finish_run,
    get_run,
    latest_results,
    run_history,
)
from driftmon.store.models import ColumnResult, LatestResult, Run
from tests.store.conftest import (
    HOUR,
    STALE,
    T0,
    failed_result,
    reference_values,
    score,
    scored_result,
    store_baseline,
)


def _claim(sessions: sessionmaker[Session], now: object = T0 + HOUR, **kwargs: object) -> Claim:
    with sessions() as s, s.begin():
        return claim_run(s, "m", T0, T0 + HOUR, now=now, stale_after=STALE, **kwargs)  # type: ignore[arg-type]


def _count(sessions: sessionmaker[Session], table: type) -> int:
    with sessions() as s:
        return int(s.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())


def test_claim_then_done(sessions: sessionmaker[Session], rng: np.random.Generator) -> None:
    baseline = store_baseline(sessions, reference_values(rng))
    claim = _claim(sessions)
    assert claim.outcome == "claimed"
    assert (claim.run.status, claim.run.attempts) == ("running", 1)
    assert _claim(sessions).outcome == "in_progress"  # not stale yet
    result = scored_result(score(baseline, rng.normal(0.2, 1.0, 3000)), baseline)
    with sessions() as s, s.begin():
        run = finish_run(
            s, claim, status="succeeded", finished_at=T0 + 2 * HOUR, results=[result], rows_read=3000
        )
    assert (run.status, run.rows_read, run.finished_at) == ("succeeded", 3000, T0 + 2 * HOUR)
    again = _claim(sessions, now=T0 + 100 * HOUR)
    assert (again.outcome, again.claimed, again.run.id) == ("done", False, claim.run.id)
    assert _count(sessions, Run) == 1


def test_results_store_every_statistic(sessions: sessionmaker[Session], rng: np.random.Generator) -> None:
    baseline = store_baseline(sessions, reference_values(rng))
    comparison = score(baseline, rng.normal(0.5, 1.0, 500))
    claim = _claim(sessions)
    with sessions() as s, s.begin():
        finish_run(
            s, claim, status="succeeded", finished_at=T0 + HOUR, results=[scored_result(comparison, baseline)]
        )
    with sessions() as s:
        (stored,) = get_run(s, claim.run.id).results
    assert stored.statistics() == comparison.statistics()
    assert stored.p_value == comparison.p_value
    for name, level in comparison.null.items():
        assert stored.null(name) == level
    assert stored.live_counts == tuple(comparison.live_counts.tolist())
    assert stored.reference_counts == tuple(baseline.histogram.counts.tolist())
    assert stored.labels == baseline.spec.labels
    assert [b.to_dict() for b in stored.top_bins] == [b.to_dict() for b in comparison.top_bins]
    assert (stored.n_reference, stored.n_live, stored.alpha) == (5000, 500, 0.5)
    assert (stored.calibration_method, stored.primary_statistic) == (
        comparison.calibration_method,
        "js_divergence",
    )
    assert (stored.kind, stored.role, stored.baseline_version, stored.status) == (
        "numeric",
        "feature",
        1,
        "ok",
    )


def test_nan_statistics_are_stored_as_null(sessions: sessionmaker[Session], rng: np.random.Generator) -> None:
    baseline = store_baseline(sessions, reference_values(rng))
    empty = score(baseline, np.array([]))  # an empty window: every statistic is NaN
    assert math.isnan(empty.js_divergence)
    claim = _claim(sessions)
    with sessions() as s, s.begin():
        finish_run(
            s,
            claim,
            status="insufficient_data",
            finished_at=T0 + HOUR,
            results=[scored_result(empty, baseline)],
        )
    with sessions() as s:
        (stored,) = get_run(s, claim.run.id).results
        raw = s.execute(sa.select(ColumnResult.js_divergence, ColumnResult.p_value)).one()
    assert tuple(raw) == (None, None)
    assert stored.status == "insufficient_data"
    assert stored.statistics() == dict.fromkeys(stored.statistics())
    assert stored.null("psi") is None
    assert stored.n_live == 0


def test_failed_column_and_partial_run(sessions: sessionmaker[Session], rng: np.random.Generator) -> None:
    baseline = store_baseline(sessions, reference_values(rng))
    good = scored_result(score(baseline, rng.normal(0, 1, 1000)), baseline)
    bad = failed_result("y", KeyError("column 'y' is missing in the live data"))
    claim = _claim(sessions)
    with sessions() as s, s.begin():
        finish_run(
            s,
            claim,
            status="partial",
            finished_at=T0 + HOUR,
            results=[good, bad],
            error="1 of 2 columns failed",
        )
    with sessions() as s:
        detail = get_run(s, claim.run.id)
    assert (detail.run.status, detail.run.error) == ("partial", "1 of 2 columns failed")
    with sessions() as s:
        sql_nulls = s.execute(
            sa.select(sa.func.count()).where(ColumnResult.live_counts.is_(None))
        ).scalar_one()
    assert sql_nulls == 1  # SQL NULL, not the JSON value null
    y = detail.results[1]
    assert (y.column, y.status, y.baseline_version, y.live_counts, y.labels) == (
        "y",
        "failed",
        None,
        None,
        None,
    )
    assert y.error == "KeyError: \"column 'y' is missing in the live data\""


def test_stale_running_run_is_reclaimed(sessions: sessionmaker[Session]) -> None:
    first = _claim(sessions, now=T0 + HOUR)
    assert _claim(sessions, now=T0 + HOUR + STALE).outcome == "in_progress"  # exactly stale_after: not yet
    second = _claim(sessions, now=T0 + HOUR + STALE + timedelta(seconds=1))
    assert (second.outcome, second.run.attempts) == ("claimed", 2)
    assert second.run.id == first.run.id
    # The dead worker comes back: its claim is fenced off, nothing of it is stored.
    with sessions() as s, s.begin(), pytest.raises(RunNotClaimedError, match="attempt 1 lost its claim"):
        finish_run(s, first, status="succeeded", finished_at=T0 + 3 * HOUR)
    with sessions() as s, s.begin():
        finish_run(s, second, status="succeeded", finished_at=T0 + 3 * HOUR)
    with sessions() as s:
        assert [r.status for r in run_history(s, "m")] == ["succeeded"]


def test_failed_runs_are_retried(sessions: sessionmaker[Session]) -> None:
    claim = _claim(sessions)
    with sessions() as s, s.begin():
        finish_run(s, claim, status="failed", finished_at=T0 + HOUR, error="source unreachable")
    retry = _claim(sessions)
    assert (retry.outcome, retry.run.attempts, retry.run.error) == ("claimed", 2, None)


def test_a_retry_drops_the_failed_attempts_results(
    sessions: sessionmaker[Session], rng: np.random.Generator
) -> None:
    baseline = store_baseline(sessions, reference_values(rng))
    claim = _claim(sessions)
    with sessions() as s, s.begin():
        finish_run(
            s,
            claim,
            status="failed",
            finished_at=T0 + HOUR,
            results=[failed_result("x", "boom", baseline=baseline)],
        )
    assert _count(sessions, ColumnResult) == 1
    retry = _claim(sessions)
    assert _count(sessions, ColumnResult) == 0
    assert _count(sessions, LatestResult) == 0
    result = scored_result(score(baseline, rng.normal(0, 1, 1000)), baseline)
    with sessions() as s, s.begin():
        finish_run(s, retry, status="succeeded", finished_at=T0 + HOUR, results=[result])
    with sessions() as s:
        assert [(r.column, r.status) for r in latest_results(s)] == [("x", "ok")]


def _assert_run_untouched(sessions: sessionmaker[Session], claim: Claim) -> None:
    with sessions() as s:
        (run,) = run_history(s, "m")
    assert (run.status, run.attempts) == ("running", claim.run.attempts)
    assert _count(sessions, ColumnResult) == 0
    assert _count(sessions, LatestResult) == 0


def test_unknown_baseline_version_is_refused(
    sessions: sessionmaker[Session], rng: np.random.Generator
) -> None:
    baseline = store_baseline(sessions, reference_values(rng))
    good = scored_result(score(baseline, rng.normal(0, 1, 1000)), baseline)
    claim = _claim(sessions)
    with (
        sessions() as s,
        s.begin(),
        pytest.raises(
            UnknownBaselineError,
            match=r"monitor 'm' column 'x' has no baseline version 3 \(stored versions: 1\)",
        ),
    ):
        finish_run(
            s, claim, status="succeeded", finished_at=T0 + HOUR, results=[replace(good, baseline_version=3)]
        )
    _assert_run_untouched(sessions, claim)


@pytest.mark.parametrize(
    ("change", "error", "message"),
    [
        ({"column": "z" * 201}, NameTooLongError, "column name 'zzz.*' is 201 characters long"),
        ({"live_counts": (1, 2, 3)}, InvalidCountsError, "3 live counts but baseline v1 has 11 bins"),
        ({"live_counts": None}, InvalidCountsError, "a result with status 'ok' needs its live counts"),
        ({"n_live": 7}, InvalidCountsError, "n_live is 7 but the live counts sum to 1000"),
        ({"status": "great"}, StoreInputError, "result status must be one of ok, insufficient_data, failed"),
        ({"baseline_version": None}, StoreInputError, "needs the baseline version"),
        ({"role": "target"}, StoreInputError, "role must be one of"),
        ({"scores": {"kl": 1.0}}, StoreInputError, r"unknown statistics \['kl'\]"),
    ],
)
def test_bad_results_write_nothing(
    sessions: sessionmaker[Session],
    rng: np.random.Generator,
    change: dict[str, object],
    error: type,
    message: str,
) -> None:
    other = store_baseline(sessions, reference_values(rng), column="w")
    baseline = store_baseline(sessions, reference_values(rng))
    good = scored_result(score(other, rng.normal(0, 1, 1000)), other)
    scored = scored_result(score(baseline, rng.normal(0, 1, 1000)), baseline)
    bad: ResultRecord = replace(scored, **change)  # type: ignore[arg-type]
    claim = _claim(sessions)
    with sessions() as s, s.begin(), pytest.raises(error, match=message):
        finish_run(s, claim, status="succeeded", finished_at=T0 + HOUR, results=[good, bad])
    _assert_run_untouched(sessions, claim)


def test_duplicate_column_and_bad_run_fields(sessions: sessionmaker[Session]) -> None:
    claim = _claim(sessions)
    twice = [failed_result("x", "a"), failed_result("x", "b")]
    cases: list[tuple[dict[str, object], str]] = [
        ({"results": twice}, "column 'x' has two results in one run"),
        ({"status": "running"}, "run status must be one of succeeded, failed, insufficient_data, partial"),
        ({"rows_read": -1}, "rows_read must be a non-negative integer"),
    ]
    for change, message in cases:
        args: dict[str, object] = {"status": "succeeded", "finished_at": T0 + HOUR} | change
        with sessions() as s, s.begin(), pytest.raises(StoreInputError, match=message):
            finish_run(s, claim, **args)  # type: ignore[arg-type]
    _assert_run_untouched(sessions, claim)
    with sessions() as s, s.begin(), pytest.raises(StoreInputError, match="not claimed by this worker"):
        finish_run(s, _claim(sessions), status="succeeded", finished_at=T0 + HOUR)


def test_bad_windows(sessions: sessionmaker[Session]) -> None:
    with sessions() as s, s.begin(), pytest.raises(StoreInputError, match="is not after window_start"):
        claim_run(s, "m", T0, T0, now=T0, stale_after=STALE)
    with sessions() as s, s.begin(), pytest.raises(StoreInputError, match="stale_after must be a positive"):
        claim_run(s, "m", T0, T0 + HOUR, now=T0, stale_after=timedelta(0))


def test_an_exception_before_commit_stores_nothing(
    sessions: sessionmaker[Session], rng: np.random.Generator
) -> None:
    baseline = store_baseline(sessions, reference_values(rng))
    claim = _claim(sessions)
    result = scored_result(score(baseline, rng.normal(0, 1, 1000)), baseline)

    def write_then_fail() -> None:
        with sessions() as s, s.begin():
            finish_run(s, claim, status="succeeded", finished_at=T0 + HOUR, results=[result])
            s.flush()
            raise RuntimeError("notifier exploded")

    with pytest.raises(RuntimeError, match="notifier exploded"):
        write_then_fail()
    _assert_run_untouched(sessions, claim)


CRASHING_WORKER = textwrap.dedent(
    """
    import os, sys
    from datetime import UTC, datetime, timedelta
    import numpy as np
    from driftmon.core import compare, count_values
    from driftmon.jobs import column_result
    from driftmon.store import active_baseline, claim_run, finish_run
    from driftmon.store import make_engine, session_factory
    from driftmon.windows import Window

    sessions = session_factory(make_engine(sys.argv[1]))
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    with sessions() as s, s.begin():
        claim = claim_run(s, "m", t0, t0 + timedelta(hours=1), now=t0, stale_after=timedelta(minutes=30))
        baseline = active_baseline(s, "m", "x")
    live = count_values(baseline.spec, np.random.default_rng(1).normal(0, 1, 1000))
    s = sessions()
    s.begin()
    window = Window(t0, t0 + timedelta(hours=1))
    result = column_result(compare(baseline.histogram, live), baseline, monitor="m", window=window)
    finish_run(s, claim, status="succeeded", finished_at=t0, results=[result])
    s.flush()
    assert s.execute(__import__("sqlalchemy").text("SELECT count(*) FROM column_results")).scalar_one() == 1
    print("results written, dying before commit", flush=True)
    os._exit(9)
    """
)


def test_a_killed_worker_leaves_the_run_running_and_no_results(
    database_url: str, sessions: sessionmaker[Session], rng: np.random.Generator
) -> None:
    store_baseline(sessions, reference_values(rng))
    done = subprocess.run(
        [sys.executable, "-c", CRASHING_WORKER, database_url],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 9, done.stderr
    assert "dying before commit" in done.stdout
    with sessions() as s:
        (run,) = run_history(s, "m")
    assert (run.status, run.attempts) == ("running", 1)
    assert _count(sessions, ColumnResult) == 0
    # Later, the scheduler's next claim takes the orphaned window over.
    retry = _claim(sessions, now=run.started_at + STALE + timedelta(seconds=1))
    assert (retry.outcome, retry.run.attempts) == ("claimed", 2)
