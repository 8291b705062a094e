"""Process logging for `driftmon serve`: text or JSON lines on stderr, each run's monitor and window attached.

Every record made while a run (or a notification of it) is in progress carries the run's
`monitor` and `window` (see driftmon.scheduler.run_context): JSON lines get them as fields,
text lines as a `[monitor=... window=...]` suffix unless the message already names the monitor.
Secrets never reach a record: config secrets are SecretStr and URLs are shown redacted.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from datetime import UTC, datetime
from typing import IO, Any

from driftmon.config import LoggingSettings
from driftmon.scheduler import current_run

__all__ = ["JsonFormatter", "RunFields", "TextFormatter", "configure_logging"]

_HANDLER_NAME = "driftmon"
# Loggers whose INFO lines are about the machinery, not the monitors (every job execution).
_QUIET = {
    "alembic": logging.WARNING,
    "apscheduler": logging.WARNING,
    "httpx": logging.WARNING,
    "uvicorn.access": logging.WARNING,
}


def _gmtime(seconds: float | None) -> time.struct_time:
    return time.gmtime(seconds)


class RunFields(logging.Filter):
    """Attach the current run's monitor and window to each record (as `record.run`)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "run"):
            record.run = current_run()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, run fields, exception."""

    def format(self, record: logging.LogRecord) -> str:
        doc: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        doc.update(getattr(record, "run", None) or {})
        if record.exc_info:
            doc["exception"] = self.formatException(record.exc_info)
        return json.dumps(doc, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """`2024-05-01T10:00:05Z INFO driftmon.jobs.run: message [monitor=m window=...]`, times in UTC."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s", "%Y-%m-%dT%H:%M:%SZ")
        self.converter = _gmtime

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        run: dict[str, str] = getattr(record, "run", None) or {}
        monitor = run.get("monitor")
        if monitor is None or f"monitor {monitor}" in record.getMessage():
            return text
        extra = f"monitor={monitor}" + (f" window={run['window']}" if "window" in run else "")
        head, newline, rest = text.partition("\n")  # keep a traceback below the line
        return f"{head} [{extra}]{newline}{rest}"


def configure_logging(settings: LoggingSettings, stream: IO[str] | None = None) -> logging.Handler:
    """Send every log record to `stream` (stderr) in the configured format and level; idempotent."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if handler.get_name() == _HANDLER_NAME:
            root.removeHandler(handler)
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler.set_name(_HANDLER_NAME)
    handler.addFilter(RunFields())
    handler.setFormatter(JsonFormatter() if settings.format == "json" else TextFormatter())
    root.addHandler(handler)
    level = logging.getLevelName(settings.level)
    root.setLevel(level)
    for name, quiet in _QUIET.items():
        logging.getLogger(name).setLevel(level if level == logging.DEBUG else max(level, quiet))
    return handler
