"""The unique run key under concurrency: contenders for one window get one row and one owner."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from driftmon.store import Claim, claim_run, make_engine, session_factory, upgrade
from driftmon.store.models import Run
from tests.store.conftest import HOUR, STALE, T0

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
