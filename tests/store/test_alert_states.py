"""Alert states: one JSON document per (monitor, column, statistic), replaced in place, kept per monitor."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from driftmon.store import (
    NaiveDatetimeError,
    NameTooLongError,
    StoreInputError,
    load_alert_states,
    make_engine,
    save_alert_states,
    session_factory,
    upgrade,
    upsert_monitor,
)
from tests.store.conftest import T0, monitor_names

STATE = {
    "version": 1,
    "severity": "warning",
    "above_warning": 2,
    "last_window_end": "2026-01-01T01:00:00+00:00",
}


def test_save_replaces_and_loads_by_monitor(sessions: sessionmaker[Session]) -> None:
    with sessions() as s, s.begin():
        save_alert_states(s, "m", {("x", "psi"): STATE, ("x", "js_divergence"): {"severity": "ok"}}, now=T0)
        save_alert_states(s, "n", {("y", "psi"): {"severity": "critical"}}, now=T0)
    later = T0 + timedelta(hours=1)
    with sessions() as s, s.begin():
        save_alert_states(s, "m", {("x", "psi"): STATE | {"severity": "critical"}}, now=later)
    with sessions() as s:
        mine = load_alert_states(s, "m")
        theirs = load_alert_states(s, "n")
    assert [(r.column, r.statistic, r.state["severity"], r.updated_at) for r in mine] == [
        ("x", "js_divergence", "ok", T0),
        ("x", "psi", "critical", later),
    ]
    assert mine[1].state["above_warning"] == 2  # the whole document round-trips
    assert [(r.monitor, r.column, r.state) for r in theirs] == [("n", "y", {"severity": "critical"})]
    with sessions() as s:
        assert monitor_names(s) == ["m", "n"]


def test_nothing_to_save_writes_nothing(sessions: sessionmaker[Session]) -> None:
    with sessions() as s, s.begin():
        save_alert_states(s, "m", {}, now=T0)
    with sessions() as s:
        assert load_alert_states(s, "m") == []
        assert monitor_names(s) == []


def test_bad_input_is_refused_with_nothing_written(sessions: sessionmaker[Session]) -> None:
    with sessions() as s, s.begin():
        with pytest.raises(NameTooLongError, match="column name"):
            save_alert_states(s, "m", {("x" * 201, "psi"): STATE}, now=T0)
        with pytest.raises(StoreInputError, match="must be JSON data"):
            save_alert_states(s, "m", {("x", "psi"): {"value": float("nan")}}, now=T0)
        with pytest.raises(NaiveDatetimeError):
            save_alert_states(s, "m", {("x", "psi"): STATE}, now=T0.replace(tzinfo=None))
    with sessions() as s:
        assert load_alert_states(s, "m") == []


def _wait_for_lock_wait(engine: Engine) -> None:
    query = sa.text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with engine.connect() as conn:
            if conn.execute(query).scalar_one() > 0:
                return
        time.sleep(0.01)
    raise AssertionError("the second writer never waited for the lock")


@pytest.mark.postgres
def test_lock_serialises_two_writers_of_one_monitor(postgres_url: str) -> None:
    engine = make_engine(postgres_url)
    upgrade(engine)
    sessions = session_factory(engine)
    try:
        with sessions() as s, s.begin():
            upsert_monitor(s, "m", now=T0)
            save_alert_states(s, "m", {("x", "psi"): {"count": 0}}, now=T0)
        order: list[str] = []
        first_locked = threading.Event()
        release = threading.Event()

        def first() -> None:
            with sessions() as s, s.begin():
                (record,) = load_alert_states(s, "m", lock=True)
                first_locked.set()
                release.wait(10)
                save_alert_states(s, "m", {("x", "psi"): {"count": record.state["count"] + 1}}, now=T0)
                order.append("first")

        def second() -> None:
            first_locked.wait(10)
            with sessions() as s, s.begin():
                (record,) = load_alert_states(s, "m", lock=True)  # waits for the first to commit
                save_alert_states(s, "m", {("x", "psi"): {"count": record.state["count"] + 1}}, now=T0)
                order.append("second")

        threads = [threading.Thread(target=first), threading.Thread(target=second)]
        for t in threads:
            t.start()
        first_locked.wait(10)
        _wait_for_lock_wait(engine)  # the second writer is blocked on the monitor's row
        release.set()
        for t in threads:
            t.join(20)
        with sessions() as s:
            (record,) = load_alert_states(s, "m")
        assert order == ["first", "second"]
        assert record.state["count"] == 2  # neither increment was lost
    finally:
        engine.dispose()
