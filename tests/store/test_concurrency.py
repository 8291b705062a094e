"""The unique run key under concurrency: contenders for one window get one row and one owner."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import numpy as np
import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from driftmon.store import (
    Claim,
    claim_run,
    finish_run,
    make_engine,
    session_factory,
    upgrade,
    upsert_monitor,
)
from driftmon.store.models import Baseline, Run
from tests.store.conftest import HOUR, STALE, T0, reference_values, score, scored_result, store_baseline

CONTENDERS = 8


def _race(sessions: sessionmaker[Session], now: object) -> list[Claim]:
    barrier = threading.Barrier(CONTENDERS)

    def contend() -> Claim:
        with sessions() as s:
            barrier.wait(timeout=30)
            with s.begin():
                return claim_run(s, "m", T0, T0 + HOUR, now=now, stale_after=STALE)  # type: ignore[arg-type]

    with ThreadPoolExecutor(CONTENDERS) as pool:
        return list(pool.map(lambda _: contend(), range(CONTENDERS)))


def test_racing_claims_yield_one_row_and_one_owner(sessions: sessionmaker[Session]) -> None:
    claims = _race(sessions, T0 + HOUR)
    assert sorted(c.outcome for c in claims) == ["claimed"] + ["in_progress"] * (CONTENDERS - 1)
    assert len({c.run.id for c in claims}) == 1
    with sessions() as s:
        assert s.execute(sa.select(sa.func.count()).select_from(Run)).scalar_one() == 1


def test_racing_reclaims_of_a_stale_run_have_one_winner(sessions: sessionmaker[Session]) -> None:
    with sessions() as s, s.begin():
        claim_run(s, "m", T0, T0 + HOUR, now=T0, stale_after=STALE)
    claims = _race(sessions, T0 + STALE + timedelta(minutes=1))
    assert sorted(c.outcome for c in claims) == ["claimed"] + ["in_progress"] * (CONTENDERS - 1)
    assert [c.run.attempts for c in claims if c.claimed] == [2]


def _wait_until(condition: Callable[[], bool], what: str) -> None:
    # Waits for a database lock to be observed, not for time to pass: the deadline only
    # turns a hang into a failure.
    deadline = time.monotonic() + 30
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting until {what}")
        time.sleep(0.01)


@pytest.mark.postgres
@pytest.mark.parametrize("first_commits", [True, False], ids=["first-commits", "first-rolls-back"])
def test_second_session_waits_for_the_first(postgres_url: str, first_commits: bool) -> None:
    engine = make_engine(postgres_url, pool_size=4)
    sessions = session_factory(engine)
    try:
        upgrade(engine)
        with sessions() as s, s.begin():  # create the monitor up front so only the run insert contends
            claim_run(s, "m", T0 - HOUR, T0, now=T0, stale_after=STALE)
        first = sessions()
        first.begin()
        assert claim_run(first, "m", T0, T0 + HOUR, now=T0 + HOUR, stale_after=STALE).claimed

        outcome: list[Claim] = []

        def second() -> None:
            with sessions() as s, s.begin():
                outcome.append(claim_run(s, "m", T0, T0 + HOUR, now=T0 + HOUR, stale_after=STALE))

        thread = threading.Thread(target=second)
        thread.start()
        with engine.connect() as watcher:

            def second_is_blocked() -> bool:
                waiting = watcher.execute(
                    sa.text(
                        "SELECT count(*) FROM pg_stat_activity "
                        "WHERE datname = current_database() AND wait_event_type = 'Lock'"
                    )
                ).scalar_one()
                watcher.rollback()
                return bool(waiting)

            _wait_until(second_is_blocked, "the second claim blocks on the first one's row")
        if first_commits:
            first.commit()
        else:
            first.rollback()
        first.close()
        thread.join(timeout=30)
        assert not thread.is_alive()
        (claim,) = outcome
        assert claim.outcome == ("in_progress" if first_commits else "claimed")
        with sessions() as s:
            count = s.execute(sa.select(sa.func.count()).select_from(Run).where(Run.window_start == T0))
            assert count.scalar_one() == 1
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_a_takeover_claim_and_the_late_finish_of_the_same_run_do_not_deadlock(
    postgres_url: str, rng: np.random.Generator
) -> None:
    # A process stalled past takeover_after finishes its run just as another process claims
    # it. Both transactions lock the monitor's row (the claim when it records the monitor, the
    # finish when it advances the change marker) and the run's row: in the same order, or
    # PostgreSQL aborts one of them as a deadlock.
    engine = make_engine(postgres_url, pool_size=4)
    sessions = session_factory(engine)
    try:
        upgrade(engine)
        ref = reference_values(rng)
        baseline = store_baseline(sessions, ref)
        with sessions() as s, s.begin():
            claim = claim_run(s, "m", T0, T0 + HOUR, now=T0 + HOUR, stale_after=STALE)
        assert claim.claimed
        results = [scored_result(score(baseline, ref), baseline)]
        errors: list[BaseException] = []
        claims: list[Claim] = []

        def finish() -> None:
            try:
                with sessions() as s, s.begin():
                    finish_run(s, claim, status="succeeded", finished_at=T0 + HOUR, results=results)
            except BaseException as exc:
                errors.append(exc)

        def take_over() -> None:
            later = T0 + HOUR + STALE + timedelta(minutes=1)
            try:
                with sessions() as s, s.begin():
                    upsert_monitor(s, "m", "hash", now=later)  # as run_window's claim does first
                    claims.append(claim_run(s, "m", T0, T0 + HOUR, now=later, stale_after=STALE))
            except BaseException as exc:
                errors.append(exc)

        with engine.connect() as watcher:

            def waiting(n: int) -> Callable[[], bool]:
                def check() -> bool:
                    count = watcher.execute(
                        sa.text(
                            "SELECT count(*) FROM pg_stat_activity "
                            "WHERE datname = current_database() AND wait_event_type = 'Lock'"
                        )
                    ).scalar_one()
                    watcher.rollback()
                    return bool(count == n)

                return check

            # Something else holds the baseline's row, so the finish pauses between its writes.
            blocker = sessions()
            blocker.begin()
            blocker.execute(sa.select(Baseline.id).where(Baseline.id == baseline.id).with_for_update())
            threads = [threading.Thread(target=finish)]
            threads[0].start()
            _wait_until(waiting(1), "the finish waits for the baseline's row")
            threads.append(threading.Thread(target=take_over))
            threads[1].start()
            _wait_until(waiting(2), "the takeover claim waits too")
            blocker.rollback()
            blocker.close()
            for thread in threads:
                thread.join(timeout=30)
                assert not thread.is_alive()
        assert errors == []
        (taken,) = claims
        assert taken.outcome == "done"  # the finish landed first; nothing to take over
    finally:
        engine.dispose()
