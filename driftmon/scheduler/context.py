"""The run a log line belongs to: the monitor and window set around each run, read by log formatters."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from driftmon.windows import Window, describe

_RUN: ContextVar[dict[str, str] | None] = ContextVar("driftmon_run", default=None)


@contextmanager
def run_context(monitor: str, window: Window | None = None) -> Iterator[None]:
    """Tag the log records made inside this block (in this thread) with `monitor` and `window`."""
    fields = {"monitor": monitor}
    if window is not None:
        fields["window"] = describe(window)
        fields["window_start"] = window.start.isoformat()
        fields["window_end"] = window.end.isoformat()
    token = _RUN.set(fields)
    try:
        yield
    finally:
        _RUN.reset(token)


def current_run() -> dict[str, str]:
    """Return the monitor and window of the run this thread is working on ({} outside runs)."""
    fields = _RUN.get()
    return dict(fields) if fields else {}
