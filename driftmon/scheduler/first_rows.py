"""Each monitor's first row, found when a catch-up first needs it and kept while the process runs.

A catch-up (start-up, or a tick after the process was paused) asks where the source's data
starts, so that windows before it are not run (see jobs.catchup). Once found, the first row is
kept in memory: data does not start earlier later on, and steady ticks, which have only the
newest window to run, never ask. A source with no row in the range yet, or one that cannot be
read, is asked again at the next catch-up. A reload that changes the monitor's source or its
timestamp column forgets what was found.

The question runs in a thread of its own and the tick waits for it a few seconds at most
(`wait`, and never longer than the monitor's timeout): a source that is slow to answer, or
hangs, gets the catch-up as before (every window of the look-back, whose runs are bounded by
the monitor's timeout) rather than a stuck tick. An answer that comes later is kept for the
next catch-up; one question per monitor at a time.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from driftmon.config import MonitorConfig, SourceConfig
from driftmon.jobs import FirstRow, find_first_row
from driftmon.scheduler.runner import Background
from driftmon.windows import TimeRange

log = logging.getLogger(__name__)

# Seconds a tick waits for the source to say where its data starts (MIN() on an index, or
# Parquet statistics, answer in far less).
FIRST_ROW_WAIT = 5.0

FirstRowFinder = Callable[[MonitorConfig, TimeRange], FirstRow]
_Key = tuple[SourceConfig, str]


class FirstRows:
    """Find (through `find`, waiting up to `wait` seconds) and remember each monitor's first row."""

    def __init__(self, find: FirstRowFinder = find_first_row, *, wait: float = FIRST_ROW_WAIT) -> None:
        self._find = find
        self.wait = wait
        self._lock = threading.Lock()
        self._known: dict[str, tuple[_Key, FirstRow]] = {}
        self._asking: dict[str, tuple[_Key, Background[FirstRow]]] = {}

    def get(self, monitor: MonitorConfig, within: TimeRange) -> FirstRow:
        """Return the first row of the monitor's source inside `within`, asking the source if needed."""
        key: _Key = (monitor.source, monitor.timestamp_column)
        with self._lock:
            cached = self._known.get(monitor.name)
            if cached is not None and cached[0] == key and _covers(cached[1], within):
                return cached[1]
            asking = self._asking.get(monitor.name)
            if asking is None or asking[0] != key:
                call = Background(
                    f"monitor {monitor.name} first row", lambda: self._find(monitor, within), monitor.name
                )
                asking = (key, call.start())
                self._asking[monitor.name] = asking
        call = asking[1]
        limit = min(self.wait, monitor.timeout.total_seconds())
        if not call.wait(limit):
            log.warning(
                "monitor %s: the source has not said where its data starts within %gs; "
                "catching up every window of the look-back",
                monitor.name,
                limit,
            )
            return FirstRow(None, None, f"no answer within {limit:g}s")
        found = call.result if call.result is not None else FirstRow(None, None, "the lookup failed")
        with self._lock:
            if self._asking.get(monitor.name) is asking:
                del self._asking[monitor.name]
            if found.at is not None:
                self._known[monitor.name] = (key, found)
        if found.searched is None or found.searched == within or _covers(found, within):
            return found
        # No row in an earlier tick's range says nothing certain about this one.
        return FirstRow(None, None, "the answer came for an earlier range")


def _covers(found: FirstRow, within: TimeRange) -> bool:
    """Tell whether the first row `found` from its range is still the first row in `within`."""
    searched = found.searched
    if searched is None or found.at is None:
        return False
    return searched.start is None or (within.start is not None and searched.start <= within.start)
