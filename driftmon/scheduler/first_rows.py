"""Each monitor's first row, found when a catch-up first needs it and kept while the process runs.

A catch-up (start-up, or a tick after the process was paused) asks where the source's data
starts, so that windows before it are not run (see jobs.catchup). Once found, the first row is
kept in memory: data does not start earlier later on, and steady ticks, which have only the
newest window to run, never ask. A source with no row in the range yet, or one that cannot be
read, is asked again at the next catch-up. A reload that changes the monitor's source or its
timestamp column forgets what was found.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime

from driftmon.config import MonitorConfig, SourceConfig
from driftmon.jobs import FirstRow, find_first_row
from driftmon.windows import TimeRange

__all__ = ["FirstRowFinder", "FirstRows"]

FirstRowFinder = Callable[[MonitorConfig, TimeRange], FirstRow]


class FirstRows:
    """Find (through `find`) and remember the first row of each monitor's source."""

    def __init__(self, find: FirstRowFinder = find_first_row) -> None:
        self._find = find
        self._lock = threading.Lock()
        self._known: dict[str, tuple[SourceConfig, str, FirstRow]] = {}

    def get(self, monitor: MonitorConfig, within: TimeRange) -> FirstRow:
        """Return the first row of the monitor's source inside `within`, asking the source if needed."""
        with self._lock:
            cached = self._known.get(monitor.name)
        if cached is not None:
            source, timestamp, found = cached
            searched = found.searched
            same = source == monitor.source and timestamp == monitor.timestamp_column
            # Found from an earlier start: still the first row of any range that starts later.
            if same and searched is not None and _not_after(searched.start, within.start):
                return found
        found = self._find(monitor, within)
        if found.at is not None:
            with self._lock:
                self._known[monitor.name] = (monitor.source, monitor.timestamp_column, found)
        return found


def _not_after(earlier: datetime | None, later: datetime | None) -> bool:
    return earlier is None or (later is not None and earlier <= later)
