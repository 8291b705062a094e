"""What the HTTP app is given by the service: config, store, snapshot, readiness and a run trigger.

The app reads the configuration through a callable on every request, so a reload (SIGHUP)
changes the monitors listed and the API token at once, without restarting the server.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from sqlalchemy.orm import Session, sessionmaker

from driftmon.config import Config
from driftmon.errors import DriftmonError
from driftmon.jobs import RunOutcome
from driftmon.metrics import MetricsSnapshot


@dataclass(frozen=True)
class Readiness:
    """Whether the service can do its work, and each check's result ('ok' or why not)."""

    checks: Mapping[str, str] = field(default_factory=dict)

    @property
    def ready(self) -> bool:
        return all(result == "ok" for result in self.checks.values())


class RunTrigger(Protocol):
    """Run one window of a monitor now (None: its latest complete window) and return the outcome.

    Raises UnknownMonitorError for a monitor not scheduled and TriggerRejectedError otherwise.
    """

    def __call__(self, monitor: str, window_end: datetime | None) -> RunOutcome: ...


class TriggerRejectedError(DriftmonError):
    """A run request that cannot be honoured now, with the HTTP status that says why."""

    def __init__(self, status_code: int, detail: str) -> None:
        self.status_code = status_code
        self.detail = detail
        super().__init__(detail)


@dataclass(frozen=True)
class ApiContext:
    """The service's parts the HTTP app uses."""

    config: Callable[[], Config]
    sessions: sessionmaker[Session]
    snapshot: MetricsSnapshot
    readiness: Callable[[], Readiness]
    trigger: RunTrigger | None = None
    next_ticks: Callable[[], Mapping[str, datetime | None]] = dict
