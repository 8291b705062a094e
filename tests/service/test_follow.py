"""Several processes on one store: each snapshot follows the store, one process holds the notifier lease."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from driftmon.metrics import MetricsSnapshot, monitor_specs
from driftmon.scheduler import MonitorWorker
from driftmon.service import Reporter, StoreFollower
from driftmon.store import Lease, make_engine, monitor_changes, session_factory, upgrade

from .helpers import (
    HOUR,
    T0,
    Clock,
    config,
    end_lease_holders,
    file_monitor,
    parse,
    poll,
    series,
    write_parquet,
)


def _column_series(snapshot: MetricsSnapshot) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample with a `column` label."""
    return {key: v for key, v in parse(snapshot.exposition()).items() if "column" in dict(key[1])}


def test_a_snapshot_follows_what_another_process_stored(
    any_store: sessionmaker[Session], tmp_path: Path
) -> None:
    ref = write_parquet(tmp_path / "ref.parquet", T0 - 24 * HOUR, 24, rows=200, seed=7)
    write_parquet(tmp_path / "live" / "a.parquet", T0, 4, shift=1.0, seed=8)
    cfg = config(file_monitor("m", tmp_path / "live", ref), scheduler={"max_backfill_windows": 4})
    specs = monitor_specs(cfg, now=T0)
    computing, following = MetricsSnapshot(specs), MetricsSnapshot(specs)
    follower = StoreFollower(following, any_store, lambda: ["m"])
    follower.prime()
    assert follower.follow() == []  # nothing stored yet
    clock = Clock(T0 + 2 * HOUR)
    worker = MonitorWorker(
        cfg.monitors, sessions=any_store, settings=cfg.scheduler, listener=Reporter(computing), clock=clock
    )
    assert [o.status for o in worker.tick("m")] == ["succeeded", "succeeded"]
    before = _column_series(following)
    assert before != _column_series(computing)
    assert follower.follow() == ["m"]
    assert _column_series(following) == _column_series(computing)
    followed, computed = parse(following.exposition()), parse(computing.exposition())
    assert max(series(followed, "driftmon_column_alert_state").values()) > 0  # the drift is followed too
    for name in (
        "driftmon_monitor_last_window_end_timestamp_seconds",
        "driftmon_monitor_last_success_timestamp_seconds",
    ):
        assert series(followed, name) == series(computed, name)
    assert follower.follow() == []  # no change since
    clock.now = T0 + 4 * HOUR  # two more windows: the marker moves again
    worker.tick("m")
    assert follower.follow() == ["m"]
    assert _column_series(following) == _column_series(computing)
    with any_store() as session:
        assert monitor_changes(session)["m"] == 4  # one per stored run


@pytest.mark.postgres
def test_one_process_holds_the_lease_until_its_connection_ends(postgres_url: str) -> None:
    engines = [make_engine(postgres_url) for _ in range(2)]
    upgrade(engines[0])
    try:
        first, second = (Lease(e, "notifier") for e in engines)
        assert first.hold()
        assert not second.hold()
        assert first.hold()  # still held: checked on its own connection
        # The holder's connection ends as when its process is killed: the lock is free at once.
        end_lease_holders(engines[1])
        poll(second.hold, timeout=30, what="the other process taking the lease")
        assert not first.hold()  # its lost connection noticed; the lease is the other's now
        second.release()
        assert first.hold()
        first.release()
    finally:
        for e in engines:
            e.dispose()


def test_a_late_report_of_an_older_run_does_not_hide_what_the_store_holds(
    store: sessionmaker[Session], tmp_path: Path
) -> None:
    ref = write_parquet(tmp_path / "ref.parquet", T0 - 24 * HOUR, 24, rows=200, seed=7)
    write_parquet(tmp_path / "live" / "a.parquet", T0, 4, shift=1.0, seed=8)
    cfg = config(file_monitor("m", tmp_path / "live", ref), scheduler={"max_backfill_windows": 4})
    specs = monitor_specs(cfg, now=T0)
    other, this = MetricsSnapshot(specs), MetricsSnapshot(specs)
    worker = MonitorWorker(
        cfg.monitors,
        sessions=store,
        settings=cfg.scheduler,
        listener=Reporter(other),
        clock=Clock(T0 + 4 * HOUR),
    )
    outcomes = worker.tick("m")  # another process stores four windows
    assert len(outcomes) == 4
    follower = StoreFollower(this, store, lambda: ["m"])
    # This process reports its run of the first window only now: the store's newer state stands.
    Reporter(this, follower=follower).run_finished(cfg.monitors[0], outcomes[0])
    assert _column_series(this) == _column_series(other)


def test_following_a_store_that_is_down_logs_once_and_recovers(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    missing = tmp_path / "gone" / "driftmon.sqlite"  # its directory does not exist: cannot open
    engine = sa.create_engine(f"sqlite:///{missing}")
    follower = StoreFollower(MetricsSnapshot(), session_factory(engine), lambda: ["m"])
    with caplog.at_level("INFO", logger="driftmon"):
        assert follower.follow() == []
        assert follower.follow() == []
        missing.parent.mkdir()
        upgrade(engine)
        assert follower.follow() == []
    lines = [(r.levelname, r.getMessage()) for r in caplog.records if "following the store" in r.getMessage()]
    assert [level for level, _ in lines] == ["ERROR", "INFO"]
    assert "unable to open database file" in lines[0][1]
    engine.dispose()


def test_a_monitor_a_reload_adds_shows_what_the_store_already_holds(
    any_store: sessionmaker[Session], tmp_path: Path
) -> None:
    ref = write_parquet(tmp_path / "ref.parquet", T0 - 24 * HOUR, 24, rows=200, seed=7)
    write_parquet(tmp_path / "live" / "a.parquet", T0, 4, shift=1.0, seed=8)
    both = config(
        file_monitor("m", tmp_path / "live", ref),
        file_monitor("n", tmp_path / "live", ref),
        scheduler={"max_backfill_windows": 2},
    )
    only_m = config(file_monitor("m", tmp_path / "live", ref))
    computing = MetricsSnapshot(monitor_specs(both, now=T0))
    worker = MonitorWorker(
        both.monitors,
        sessions=any_store,
        settings=both.scheduler,
        listener=Reporter(computing),
        clock=Clock(T0 + 2 * HOUR),
    )
    # Another process, configured with both monitors, stores windows of each.
    assert [o.status for o in worker.tick("m") + worker.tick("n")] == ["succeeded"] * 4
    # This process exports m only, and follows the store meanwhile.
    exported = ["m"]
    following = MetricsSnapshot(monitor_specs(only_m, now=T0))
    follower = StoreFollower(following, any_store, lambda: exported)
    assert follower.follow() == ["m"]
    # A reload adds n: the next look at the store loads what it holds for n.
    exported.append("n")
    following.configure(monitor_specs(both, now=T0))
    assert follower.follow() == ["n"]
    assert _column_series(following) == _column_series(computing)
