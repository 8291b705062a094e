"""Why the scheduler refused to start a run on request."""

from __future__ import annotations

from datetime import datetime

from driftmon.errors import DriftmonError


class MonitorBusyError(DriftmonError, RuntimeError):
    """The monitor is already running a window (one run per monitor at a time)."""

    def __init__(self, monitor: str, what: str) -> None:
        self.monitor = monitor
        super().__init__(
            f"monitor {monitor!r} is busy ({what}); one run per monitor at a time, try again when it finishes"
        )


class WindowNotReadyError(DriftmonError, ValueError):
    """The window asked for has not closed, or its delay for late data has not passed."""

    def __init__(self, monitor: str, window: str, ready: datetime) -> None:
        self.monitor = monitor
        self.ready = ready
        super().__init__(
            f"window {window} of monitor {monitor!r} is not complete until {ready.isoformat()} "
            "(its end plus the delay for late data); scoring it now would store a partial window"
        )


class SchedulerStoppedError(DriftmonError, RuntimeError):
    """The service is shutting down and starts no new run."""

    def __init__(self) -> None:
        super().__init__("driftmon is shutting down and starts no new run")
