"""Where catch-up starts: at the source's first row, and after a reference range of its own data.

The start-up catch-up and `driftmon backfill --last N` look back over many windows. Windows that
end before the source's first row hold no data (each would be stored as `insufficient_data`),
and windows that end inside a fixed reference range of the monitor's own data would compare the
reference with itself; neither is run. The newest window is always run, so a monitor whose
source is still empty reports that it has too little data rather than nothing at all.

The first row is looked up inside the range being caught up (the time filter pushed down: MIN()
in SQL, Parquet statistics). A source that cannot tell (it cannot be read, or has no timestamp
column) leaves every window to be run as before; their runs then fail with the source's error.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from driftmon.config import MonitorConfig
from driftmon.errors import SourceError
from driftmon.jobs.errors import source_failure
from driftmon.sources import Source, monitor_reader
from driftmon.windows import TimeRange, Window

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FirstRow:
    """The earliest event time found in `searched` (None: no row there); `searched` None: unknown."""

    at: datetime | None
    searched: TimeRange | None
    error: str | None = None

    def holds_data_by(self, window: Window) -> bool:
        """Tell whether rows may exist before `window` ends (always, when the first row is unknown)."""
        if self.searched is None:
            return True
        if self.at is None:  # no row in the range searched: windows ending inside it are empty
            return self.searched.end is None or window.end > self.searched.end
        return window.end > self.at


def find_first_row(monitor: MonitorConfig, within: TimeRange, *, source: Source | None = None) -> FirstRow:
    """Return the earliest event time of the monitor's live source inside `within`."""
    with monitor_reader(monitor, source) as reader:
        try:
            at = reader.first_timestamp(within)
        except (SourceError, ValueError, OSError) as exc:
            reason = source_failure(reader, exc)
            log.warning(
                "monitor %s: cannot find the first row, catching up every window: %s", monitor.name, reason
            )
            return FirstRow(None, None, reason)
    return FirstRow(at, within)


def catch_up_windows(
    monitor: MonitorConfig, windows: Sequence[Window], first_row: FirstRow | None = None
) -> list[Window]:
    """Return the windows (oldest first) worth running: the newest, and older ones holding data.

    An older window is kept when it ends after the source's first row (`first_row`; None or
    unknown keeps them all) and after the end of a fixed reference range of the monitor's own data.
    """
    if not windows:
        return []
    reference_end = monitor.own_reference_end
    *older, newest = windows
    kept = [
        w
        for w in older
        if (reference_end is None or w.end > reference_end)
        and (first_row is None or first_row.holds_data_by(w))
    ]
    return [*kept, newest]
