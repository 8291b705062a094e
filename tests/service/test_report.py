"""What a run becomes: snapshot inputs, webhook deliveries through the outbox (receiver up, down, at
shutdown), log lines."""

from __future__ import annotations

import io
import json
import logging
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from driftmon.alerts import Notification, Severity, Transition, WebhookNotifier, read_dead_letters
from driftmon.config import LoggingSettings
from driftmon.jobs import RunOutcome
from driftmon.metrics import STATISTIC_METRICS, MetricsSnapshot, monitor_specs
from driftmon.scheduler import MonitorWorker, run_context
from driftmon.service import (
    Notifications,
    OutboxDelivery,
    Reporter,
    configure_logging,
    outcome_values,
    source_reachable,
)
from driftmon.store import outbox_entries
from driftmon.windows import Window

from .helpers import HOUR, T0, Clock, config, file_monitor, free_port, parse, poll, value, write_parquet
from .server import Receiver


def notification(column: str = "x", hour: int = 0) -> Notification:
    start = T0 + hour * HOUR
    transition = Transition(
        "js_divergence", Severity.OK, Severity.WARNING, 0.04, 0.02, 1e-9, 300, start, start + HOUR
    )
    return Notification("m", column, "feature", transition, (), f"/api/v1/runs/{hour + 1}")


def test_a_run_outcome_becomes_the_snapshot_values_and_notifications(
    store: sessionmaker[Session], tmp_path: Path
) -> None:
    ref = write_parquet(tmp_path / "ref.parquet", T0 - 24 * HOUR, 24, rows=200, seed=7)
    write_parquet(tmp_path / "live" / "a.parquet", T0, 2, shift=1.0, seed=8)
    cfg = config(file_monitor("m", tmp_path / "live", ref), scheduler={"max_backfill_windows": 2})
    snapshot = MetricsSnapshot(monitor_specs(cfg, now=T0))
    with Receiver() as receiver:
        notifier = WebhookNotifier(
            receiver.url, dead_letter_path=tmp_path / "dead.jsonl", link_base_url="http://x"
        )
        # A long poll period: the run's wake-up is what sends the notifications.
        delivery = OutboxDelivery(store.kw["bind"], store, Notifications([notifier]), every=3600.0)
        delivery.start()
        reporter = Reporter(snapshot, delivery.wake)
        clock = Clock(T0 + 2 * HOUR)
        worker = MonitorWorker(
            cfg.monitors, sessions=store, settings=cfg.scheduler, listener=reporter, clock=clock
        )
        outcomes = worker.tick("m")
        transitions = [t for o in outcomes for t in o.transitions]
        assert transitions
        poll(lambda: len(receiver.received()) >= len(transitions), timeout=30, what="the notifications")
        poll(lambda: not _outbox(store), timeout=30, what="the delivered entries deleted from the outbox")
        delivery.stop(30.0)
        bodies = receiver.received()
    last = outcomes[-1]
    run, columns, alerts = outcome_values(last)
    assert (run.window_end, run.status, run.rows_read) == (T0 + 2 * HOUR, "succeeded", 300)
    assert columns is last.columns  # a run's columns reach the snapshot as they are
    x = next(c for c in columns if c.column == "x")
    assert {(a.column, a.statistic) for a in alerts} == {("x", "js_divergence"), ("c", "js_divergence")}
    parsed = parse(snapshot.exposition())
    labels = {"monitor": "m", "column": "x", "role": "feature"}
    assert value(parsed, STATISTIC_METRICS["js_divergence"].value, **labels) == x.scores["js_divergence"]
    assert value(parsed, "driftmon_monitor_windows_behind", monitor="m") == 0
    assert value(parsed, "driftmon_monitor_source_up", monitor="m") == 1
    assert [(b["column"], b["window_end"]) for b in bodies] == [
        (t.column, t.transition.window_end.isoformat()) for t in transitions
    ]
    assert bodies[0]["link"] == f"http://x/api/v1/runs/{outcomes[0].run_id}"
    first = transitions[0]
    window = first.transition.window_end.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert bodies[0]["page"] == (
        f"http://x/monitors/m/columns/{first.column}?window={window}&statistic={first.transition.statistic}"
    )


def _outbox(store: sessionmaker[Session]) -> list[int]:
    with store() as session:
        return [e.id for e in outbox_entries(session)]


def test_notifications_not_sent_at_shutdown_stay_in_the_outbox_for_the_next_process(
    store: sessionmaker[Session], tmp_path: Path, down_port: int
) -> None:
    ref = write_parquet(tmp_path / "ref.parquet", T0 - 24 * HOUR, 24, rows=200, seed=7)
    write_parquet(tmp_path / "live" / "a.parquet", T0, 2, shift=1.0, seed=8)
    cfg = config(file_monitor("m", tmp_path / "live", ref), scheduler={"max_backfill_windows": 2})
    worker = MonitorWorker(
        cfg.monitors,
        sessions=store,
        settings=cfg.scheduler,
        listener=Reporter(MetricsSnapshot()),
        clock=Clock(T0 + 2 * HOUR),
    )
    outcomes = worker.tick("m")
    stored = [t.event_id for o in outcomes for t in o.transitions]
    assert stored
    assert _outbox(store) == stored  # queued with the events, oldest first
    dead = tmp_path / "dead.jsonl"
    # The first process: its receiver is down, and it stops while still retrying.
    down = WebhookNotifier(
        f"http://127.0.0.1:{down_port}/hook", dead_letter_path=dead, retries=50, backoff=0.2, max_backoff=0.2
    )
    first = OutboxDelivery(store.kw["bind"], store, Notifications([down]), every=3600.0)
    assert first.deliver_once() == len(stored)
    first.stop(0.5)
    assert _outbox(store) == stored
    assert not dead.exists()  # nothing given up on: it is all still to be sent
    # The next process sends them, in order, and empties the outbox.
    with Receiver() as receiver:
        up = WebhookNotifier(receiver.url, dead_letter_path=dead)
        second = OutboxDelivery(store.kw["bind"], store, Notifications([up]), every=0.2)
        second.start()
        poll(lambda: not _outbox(store), timeout=30, what="the outbox emptied")
        second.stop(10.0)
        bodies = receiver.received()
    assert [(b["column"], b["window_end"]) for b in bodies] == [
        (t.column, t.transition.window_end.isoformat()) for o in outcomes for t in o.transitions
    ]


def test_source_reachability_follows_the_run() -> None:
    window = Window(T0, T0 + HOUR)

    def outcome(status: str, rows: int | None, error: str | None = None) -> RunOutcome:
        return RunOutcome("m", window, status, T0, rows_read=rows, error=error)

    assert source_reachable(outcome("succeeded", 10)) is True
    assert source_reachable(outcome("failed", None, "source x: database unreachable: refused")) is False
    assert source_reachable(outcome("failed", None, "store: database unavailable: locked")) is None
    assert source_reachable(outcome("partial", None)) is None


@pytest.fixture
def down_port() -> int:
    return free_port()  # nothing listens there


def test_a_receiver_that_is_down_gets_retries_then_the_dead_letter_log(
    tmp_path: Path, down_port: int
) -> None:
    dead = tmp_path / "dead.jsonl"
    sleeps: list[float] = []
    notifier = WebhookNotifier(
        f"http://127.0.0.1:{down_port}/hook?token=secret",
        dead_letter_path=dead,
        retries=2,
        sleep=sleeps.append,
    )
    notifications = Notifications([notifier])
    done: list[bool] = []
    notifications.submit(notification("x"), done.append)
    poll(lambda: read_dead_letters(dead), timeout=30, what="the dead letter")
    poll(lambda: done, timeout=30, what="the notification reported done")
    assert done == [True]  # dead-lettered after its retries: finished, its outbox entry can go
    assert notifications.close(5.0) == 0
    (entry,) = read_dead_letters(dead)
    assert (entry["column"], entry["attempts"]) == ("x", 3)
    assert sleeps == [1.0, 2.0]
    assert "secret" not in dead.read_text()


def test_notifications_left_at_shutdown_are_reported_not_done(tmp_path: Path, down_port: int) -> None:
    dead = tmp_path / "dead.jsonl"
    notifier = WebhookNotifier(
        f"http://127.0.0.1:{down_port}/hook", dead_letter_path=dead, retries=8, backoff=0.2, max_backoff=0.2
    )
    notifications = Notifications([notifier])
    done: dict[int, bool] = {}
    for hour in range(3):
        notifications.submit(notification("x", hour), lambda ok, hour=hour: done.__setitem__(hour, ok))
    assert notifications.close(0.5) == 3  # still retrying the first when the grace ran out
    assert done == {1: False, 2: False}  # never tried: left for the outbox to send again
    poll(lambda: 0 in done, timeout=30, what="the cut-off delivery reported")  # it finishes its retries
    notifications.submit(notification("late"), lambda ok: done.__setitem__(9, ok))  # after close
    assert done[9] is False


def test_json_logs_carry_the_run_and_text_logs_name_it(tmp_path: Path) -> None:
    stream = io.StringIO()
    handler = configure_logging(LoggingSettings(format="json", level="INFO"), stream)
    log = logging.getLogger("driftmon.test")
    try:
        with run_context("m", Window(T0, T0 + HOUR)):
            log.info("counting")
        log.info("outside")
        lines = [json.loads(line) for line in stream.getvalue().splitlines()]
        assert lines[0]["message"] == "counting"
        assert (lines[0]["monitor"], lines[0]["window"]) == ("m", "2026-03-02T00:00:00Z +1h")
        assert lines[0]["window_start"] == T0.isoformat()
        assert "monitor" not in lines[1]

        text = io.StringIO()
        handler = configure_logging(LoggingSettings(format="text"), text)
        with run_context("m", Window(T0, T0 + HOUR)):
            log.warning("delivered")
            log.warning("monitor m window W: done")
        first, second = text.getvalue().splitlines()
        assert first.endswith("WARNING driftmon.test: delivered [monitor=m window=2026-03-02T00:00:00Z +1h]")
        assert second.endswith("driftmon.test: monitor m window W: done")
    finally:
        logging.getLogger().removeHandler(handler)


def test_without_webhooks_nothing_is_queued_and_the_outbox_is_left_to_a_process_that_has_some(
    store: sessionmaker[Session], tmp_path: Path
) -> None:
    ref = write_parquet(tmp_path / "ref.parquet", T0 - 24 * HOUR, 24, rows=200, seed=7)
    write_parquet(tmp_path / "live" / "a.parquet", T0, 2, shift=1.0, seed=8)  # drifts, then
    write_parquet(tmp_path / "live" / "b.parquet", T0 + 2 * HOUR, 3, seed=9)  # back to normal
    cfg = config(file_monitor("m", tmp_path / "live", ref), scheduler={"max_backfill_windows": 3})

    def tick(until: int, notify: bool) -> list[RunOutcome]:
        worker = MonitorWorker(
            cfg.monitors,
            sessions=store,
            settings=cfg.scheduler,
            listener=Reporter(MetricsSnapshot()),
            clock=Clock(T0 + until * HOUR),
            notify=lambda: notify,
        )
        return worker.tick("m")

    silent = tick(2, notify=False)
    assert [t for o in silent for t in o.transitions]  # transitions stored, none queued
    assert _outbox(store) == []
    queued = [t.event_id for o in tick(5, notify=True) for t in o.transitions]
    assert queued
    assert _outbox(store) == queued
    idle = OutboxDelivery(store.kw["bind"], store, Notifications([]), every=3600.0)
    assert idle.deliver_once() == 0  # no webhook here: it leaves the entries alone
    assert _outbox(store) == queued
    idle.stop(1.0)
