"""driftmon.alerts: the pure alert state machine and the webhook notifier for its transitions.

`evaluate(rule, state, score)` turns one window's score into the next state and, when the
severity changes, a `Transition`; `WebhookNotifier.send` delivers a `Notification` of it.
See docs/alerting.md for the model (thresholds, significance gate, streaks, hysteresis).
"""

from __future__ import annotations

from driftmon.alerts.errors import (
    AlertStateError,
    DeadLetterError,
    NotifierConfigError,
    WindowOrderError,
)
from driftmon.alerts.notify import DeliveryResult, WebhookNotifier, read_dead_letters
from driftmon.alerts.payload import (
    PAYLOAD_SCHEMA,
    Notification,
    PayloadFormat,
    join_link,
    json_payload,
    slack_payload,
)
from driftmon.alerts.redact import redact_url
from driftmon.alerts.rules import (
    DEFAULT_FOR_WINDOWS,
    AlertRule,
    WindowScore,
    evaluate,
)
from driftmon.alerts.state import STATE_VERSION, AlertState, Severity, Transition, TransitionKind

__all__ = [
    "DEFAULT_FOR_WINDOWS",
    "PAYLOAD_SCHEMA",
    "STATE_VERSION",
    "AlertRule",
    "AlertState",
    "AlertStateError",
    "DeadLetterError",
    "DeliveryResult",
    "Notification",
    "NotifierConfigError",
    "PayloadFormat",
    "Severity",
    "Transition",
    "TransitionKind",
    "WebhookNotifier",
    "WindowOrderError",
    "WindowScore",
    "evaluate",
    "join_link",
    "json_payload",
    "read_dead_letters",
    "redact_url",
    "slack_payload",
]
