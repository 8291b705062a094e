"""Errors of the alerts package: unparseable stored states, windows out of order, lost notifications.

Each subclasses DriftmonError and the built-in a caller expects (ValueError for bad input,
OSError for a dead-letter log that cannot be written) and builds its message from what was
wrong and where. Messages never contain webhook URLs beyond their scheme and host: tokens live
in the path and query.
"""

from __future__ import annotations

from driftmon.errors import DriftmonError


class AlertStateError(DriftmonError, ValueError):
    """A stored alert state that does not parse; `key` names the offending entry."""

    def __init__(self, key: str, reason: str) -> None:
        self.key = key
        self.reason = reason
        super().__init__(f"alert state: {key!r} {reason}")


class WindowOrderError(DriftmonError, ValueError):
    """A window evaluated again, or out of order: counting it would double the evidence."""


class NotifierConfigError(DriftmonError, ValueError):
    """A webhook notifier URL that is not an http(s) URL with a host."""


class DeadLetterError(DriftmonError, OSError):
    """A notification was undeliverable and the dead-letter log could not be written either."""
