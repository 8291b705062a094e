"""The background joiner: scrapes that accept a lag are served the last joined body at once."""

from __future__ import annotations

import time
from collections.abc import Callable

from driftmon.metrics import ColumnSpec, MetricsSnapshot, MonitorSpec


def _snapshot() -> MetricsSnapshot:
    return MetricsSnapshot([MonitorSpec("m", [ColumnSpec("x", "feature", {})], 3600.0)])


def _behind(body: bytes) -> bytes:
    (line,) = [line for line in body.splitlines() if line.startswith(b"driftmon_monitor_windows_behind{")]
    return line


def _until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_without_the_joiner_every_body_is_current() -> None:
    snapshot = _snapshot()
    snapshot.set_windows_behind("m", 1)
    first = snapshot.exposition(max_lag=60)
    assert snapshot.exposition(max_lag=60) is first  # joined once per change
    snapshot.set_windows_behind("m", 2)
    assert _behind(snapshot.exposition(max_lag=60)) == b'driftmon_monitor_windows_behind{monitor="m"} 2.0'


def test_with_the_joiner_a_lagging_scrape_gets_the_last_body_and_the_joiner_catches_up() -> None:
    snapshot = _snapshot()
    snapshot.set_windows_behind("m", 1)
    old = snapshot.exposition()
    snapshot.start_joining(settle=0.5)
    try:
        snapshot.set_windows_behind("m", 2)
        assert snapshot.exposition(max_lag=60) is old  # served at once, one change behind
        fresh = snapshot.exposition()  # no lag accepted: joined now
        assert _behind(fresh) == b'driftmon_monitor_windows_behind{monitor="m"} 2.0'
        snapshot.set_windows_behind("m", 3)
        # The joiner joins the body after the change settles; lagging scrapes then see it.
        _until(lambda: _behind(snapshot.exposition(max_lag=60)).endswith(b" 3.0"))
    finally:
        snapshot.stop_joining()


def test_a_body_older_than_the_lag_is_joined_again() -> None:
    snapshot = _snapshot()
    snapshot.set_windows_behind("m", 1)
    snapshot.exposition()
    snapshot.start_joining(settle=30)  # the joiner will not get to it
    try:
        time.sleep(0.3)
        snapshot.set_windows_behind("m", 2)
        assert _behind(snapshot.exposition(max_lag=0.2)).endswith(b" 2.0")
    finally:
        snapshot.stop_joining()


def test_stopping_the_joiner_makes_scrapes_current_again() -> None:
    snapshot = _snapshot()
    snapshot.exposition()
    snapshot.start_joining(settle=30)
    snapshot.stop_joining()
    snapshot.set_windows_behind("m", 5)
    assert _behind(snapshot.exposition(max_lag=60)).endswith(b" 5.0")
