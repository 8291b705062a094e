"""The outbox's notifications: rebuilt from the stored alert events, as the runs produced them, and sent."""

from __future__ import annotations

import threading
from dataclasses import replace
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from driftmon.alerts import (
    Notification,
    Severity,
    Transition,
    WebhookNotifier,
    json_payload,
    read_dead_letters,
    slack_payload,
)
from driftmon.jobs import run_window
from driftmon.pages import column_path
from driftmon.service import Notifications, OutboxDelivery, notification_from_event, result_path
from driftmon.store import (
    make_engine,
    outbox_entries,
    queue_notification,
    record_alert_event,
    session_factory,
    upgrade,
)
from driftmon.store.models import AlertEvent
from driftmon.windows import Window

from .helpers import HOUR, T0, config, end_lease_holders, file_monitor, free_port, poll, write_parquet
from .server import Receiver

# x's shift per window: fired (to warning), escalated, de-escalated, resolved (from warning),
# fired (straight to critical), resolved (from critical).
_SHIFTS = (0.0, 0.6, 1.5, 0.6, 0.0, 1.5, 0.0)
_ALERTS = {
    "js_divergence": {
        "warning": 0.02,
        "critical": 0.1,
        "resolve": 0.01,
        "for_windows": 1,
        "critical_for_windows": 1,
    }
}


def _without_bin_index(notification: Notification) -> Notification:
    """The notification with its bins' positions dropped (the payloads do not carry them)."""
    bins = tuple(replace(b, index=0) for b in notification.top_bins)
    return replace(notification, top_bins=bins)


def _store_transitions(sessions: sessionmaker[Session], tmp_path: Path, windows: int) -> None:
    """Run the first `windows` windows of _SHIFTS (queued: 3 fire, escalate, de-escalate)."""
    ref = write_parquet(tmp_path / "ref.parquet", T0 - 24 * HOUR, 24, rows=400, seed=7)
    for i, shift in enumerate(_SHIFTS[:windows]):
        live = tmp_path / "live" / f"w{i}.parquet"
        write_parquet(live, T0 + i * HOUR, 1, rows=400, shift=shift, seed=10 + i)
    cfg = config(file_monitor("m", tmp_path / "live", ref, alerts=_ALERTS))
    for i in range(windows):
        window = Window(T0 + i * HOUR, T0 + (i + 1) * HOUR)
        run_window(cfg.monitors[0], window, sessions=sessions, now=T0 + 10 * HOUR, notify=True)


def test_a_notification_rebuilt_from_its_event_is_the_one_the_run_produced(
    any_store: sessionmaker[Session], tmp_path: Path
) -> None:
    ref = write_parquet(tmp_path / "ref.parquet", T0 - 24 * HOUR, 24, rows=400, seed=7)
    for i, shift in enumerate(_SHIFTS):
        write_parquet(
            tmp_path / "live" / f"w{i}.parquet", T0 + i * HOUR, 1, rows=400, shift=shift, seed=10 + i
        )
    cfg = config(file_monitor("m", tmp_path / "live", ref, alerts=_ALERTS))
    (monitor,) = cfg.monitors
    produced: dict[int, Notification] = {}
    kinds: list[str] = []
    for i in range(len(_SHIFTS)):
        window = Window(T0 + i * HOUR, T0 + (i + 1) * HOUR)
        outcome = run_window(monitor, window, sessions=any_store, now=T0 + 10 * HOUR, notify=True)
        assert outcome.status == "succeeded"
        assert outcome.run_id is not None
        for change in outcome.transitions:
            t = change.transition
            page = column_path(change.monitor, change.column, window_end=t.window_end, statistic=t.statistic)
            assert change.event_id is not None
            produced[change.event_id] = change.notification(result_path(outcome.run_id), page)
            kinds.append(f"{t.kind} {t.previous.label}->{t.severity.label}")
    assert kinds == [
        "fired ok->warning",
        "escalated warning->critical",
        "de-escalated critical->warning",
        "resolved warning->ok",
        "fired ok->critical",
        "resolved critical->ok",
    ]
    with any_store() as session:
        events = outbox_entries(session)
    assert [e.id for e in events] == list(produced)
    for event in events:
        rebuilt, original = notification_from_event(event), produced[event.id]
        assert original.top_bins
        assert _without_bin_index(rebuilt) == _without_bin_index(original)
        for link, page in ((None, None), ("http://x/r", "http://x/p")):
            assert json_payload(rebuilt, link, page) == json_payload(original, link, page)
            assert slack_payload(rebuilt, link, page) == slack_payload(original, link, page)


def test_an_entry_whose_details_cannot_be_read_does_not_hold_up_the_others(
    store: sessionmaker[Session], tmp_path: Path
) -> None:
    _store_transitions(store, tmp_path, 3)
    with store() as session:
        first, _ = (e.id for e in outbox_entries(session))  # fired, then escalated
    with store() as session, session.begin():  # the oldest entry's details are not a mapping
        session.execute(sa.update(AlertEvent).where(AlertEvent.id == first).values(details=["?"]))
    with Receiver() as receiver:
        notifier = WebhookNotifier(receiver.url, dead_letter_path=tmp_path / "dead.jsonl")
        delivery = OutboxDelivery(store.kw["bind"], store, Notifications([notifier]), every=0.2)
        delivery.start()
        poll(lambda: _outbox(store) == [], timeout=30, what="the outbox emptied")
        delivery.stop(10.0)
        bodies = receiver.received()
    assert [b["kind"] for b in bodies] == ["escalated"]  # the readable one was sent


def _down_webhook(dead: Path, *, retries: int, backoff: float, name: str = "webhook") -> WebhookNotifier:
    """A notifier of a webhook nothing listens on: it retries every `backoff` seconds."""
    return WebhookNotifier(
        f"http://127.0.0.1:{free_port()}/hook",
        name=name,
        dead_letter_path=dead,
        retries=retries,
        backoff=backoff,
        max_backoff=backoff,
    )


def _notifier_threads(notifier: WebhookNotifier) -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == f"driftmon-notify-{notifier.name}"]


def _outbox(store: sessionmaker[Session]) -> list[int]:
    with store() as session:
        return [e.id for e in outbox_entries(session)]


def test_a_reload_gives_the_new_notifiers_what_the_old_ones_had_not_started(
    store: sessionmaker[Session], tmp_path: Path
) -> None:
    # The old webhook is down (say its URL was wrong and the reload fixes it): what waited in
    # its queue goes back to the outbox and on to the new one; only the delivery it was
    # retrying finishes with the old settings (dead-lettered after its retries).
    _store_transitions(store, tmp_path, 4)
    assert len(_outbox(store)) == 3  # fired, escalated, de-escalated
    dead = tmp_path / "dead.jsonl"
    down = _down_webhook(dead, retries=20, backoff=0.2)
    notifications = Notifications([down])
    delivery = OutboxDelivery(store.kw["bind"], store, notifications, every=0.2)
    assert delivery.deliver_once() == 3
    with Receiver() as receiver:
        notifications.replace([WebhookNotifier(receiver.url, dead_letter_path=dead)])
        delivery.start()
        poll(lambda: len(receiver.received()) == 2, timeout=30, what="the two waiting ones sent anew")
        poll(lambda: read_dead_letters(dead), timeout=30, what="the one in progress dead-lettered")
        poll(lambda: _outbox(store) == [], timeout=30, what="the outbox emptied")
        delivery.stop(10.0)
        bodies = receiver.received()
    assert [b["kind"] for b in bodies] == ["escalated", "de-escalated"]
    assert [e["payload"]["kind"] for e in read_dead_letters(dead)] == ["fired"]


@pytest.mark.postgres
def test_when_the_lease_holder_dies_another_process_sends_what_it_left(
    postgres_url: str, tmp_path: Path
) -> None:
    engines = [make_engine(postgres_url) for _ in range(2)]
    upgrade(engines[0])
    try:
        first_sessions, second_sessions = (session_factory(e) for e in engines)
        _store_transitions(first_sessions, tmp_path, 4)
        dead = tmp_path / "dead.jsonl"
        down = _down_webhook(dead, retries=20, backoff=0.2)
        # The first process takes the lease and everything in the outbox, then dies: it polls
        # no more, and its connections end (the lease's with them).
        first = OutboxDelivery(engines[0], first_sessions, Notifications([down]), every=3600.0)
        assert first.deliver_once() == 3
        with Receiver() as receiver:
            second = OutboxDelivery(
                engines[1],
                second_sessions,
                Notifications([WebhookNotifier(receiver.url, dead_letter_path=dead)]),
                every=0.2,
            )
            second.start()
            assert not second.leading
            end_lease_holders(engines[1])
            poll(lambda: len(receiver.received()) == 3, timeout=30, what="the survivor sending the outbox")
            poll(lambda: _outbox(second_sessions) == [], timeout=30, what="the outbox emptied")
            second.stop(10.0)
            bodies = receiver.received()
        assert [b["kind"] for b in bodies] == ["fired", "escalated", "de-escalated"]
        first.stop(0.0)  # its lease connection was ended: released without leaking it
    finally:
        for e in engines:
            e.dispose()


@pytest.mark.postgres
def test_a_process_that_loses_the_lease_stops_sending_and_the_new_holder_sends_each_once(
    postgres_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    engines = [make_engine(postgres_url) for _ in range(2)]
    upgrade(engines[0])
    try:
        first_sessions, second_sessions = (session_factory(e) for e in engines)
        _store_transitions(first_sessions, tmp_path, 4)
        dead = tmp_path / "dead.jsonl"
        with Receiver(retry_after=0) as receiver:
            receiver.refusing = True  # the first holder keeps retrying its first notification

            def notifier() -> WebhookNotifier:
                return WebhookNotifier(
                    receiver.url, dead_letter_path=dead, retries=200, backoff=0.1, max_backoff=0.1
                )

            def given_up() -> int:
                return sum("left to another process" in r.getMessage() for r in caplog.records)

            caplog.set_level("INFO", logger="driftmon")
            first = OutboxDelivery(engines[0], first_sessions, Notifications([notifier()]), every=3600.0)
            assert first.deliver_once() == 3
            poll(lambda: receiver.refused >= 2, timeout=30, what="the first holder retrying")
            # Its lease connection drops (a failover, a network cut); the process lives on.
            end_lease_holders(engines[1])
            second = OutboxDelivery(engines[1], second_sessions, Notifications([notifier()]), every=0.2)
            poll(second.deliver_once, timeout=30, what="the other process taking the lease")
            assert first.deliver_once() == 0  # it sees the lease is gone
            # Its retrying delivery and the two queued behind it are given up, left in the outbox.
            poll(lambda: given_up() == 3, timeout=30, what="the first holder giving its queue up")
            receiver.refusing = False
            second.start()
            poll(lambda: _outbox(second_sessions) == [], timeout=60, what="the outbox emptied")
            second.stop(10.0)
            first.stop(1.0)
            bodies = receiver.received()
        assert [b["kind"] for b in bodies] == ["fired", "escalated", "de-escalated"]  # each once
        assert not dead.exists()
    finally:
        for e in engines:
            e.dispose()


def test_a_webhook_that_is_down_does_not_pull_the_whole_backlog_into_memory(
    store: sessionmaker[Session], tmp_path: Path
) -> None:
    with store() as session, session.begin():
        for k in range(120):
            event = record_alert_event(
                session,
                "m",
                f"c{k}",
                "js_divergence",
                severity="warning",
                state="firing",
                at=T0,
                window_start=T0,
                window_end=T0 + HOUR,
                details={"transition": "fired", "role": "feature", "n_live": 10, "top_bins": []},
            )
            queue_notification(session, event.id, now=T0)
    down = _down_webhook(tmp_path / "dead.jsonl", retries=100, backoff=0.5, name="down-backlog")
    delivery = OutboxDelivery(store.kw["bind"], store, Notifications([down]), every=3600.0)
    assert delivery.deliver_once() == 100  # at most 100 in its queues
    assert delivery.deliver_once() == 0  # the rest waits in the outbox
    with store() as session:
        assert len(outbox_entries(session, limit=1000)) == 120
    delivery.stop(0.0)
    # The delivery it was retrying gives up at its next attempt: nothing is dead-lettered, the
    # outbox keeps all 120, and no thread of the stopped delivery lives on.
    poll(lambda: not _notifier_threads(down), timeout=30, what="the notifier thread ended")
    assert not (tmp_path / "dead.jsonl").exists()
    with store() as session:
        assert len(outbox_entries(session, limit=1000)) == 120


def test_a_notification_with_no_webhook_left_is_not_reported_sent() -> None:
    # A reload that removes every webhook between a poll's read and its submit: the entry stays.
    done: list[bool] = []
    transition = Transition("psi", Severity.OK, Severity.WARNING, 0.3, 0.2, 1e-9, 300, T0, T0 + HOUR)
    Notifications([]).submit(Notification("m", "x", "feature", transition), done.append)
    assert done == [False]
