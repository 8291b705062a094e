"""Notification bodies for alert transitions: driftmon's JSON document and a Slack-compatible message."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from driftmon.alerts.state import Severity, Transition
from driftmon.core import BinContribution, finite

PAYLOAD_SCHEMA = "driftmon.alert/v1"
PayloadFormat = Literal["json", "slack"]
# Slack refuses header text over 150 characters and section text over 3000.
_SLACK_HEADER_MAX = 150
_SLACK_LABEL_MAX = 80


@dataclass(frozen=True)
class Notification:
    """One transition of one column's statistic, with what explains it and where to read more.

    `result_path` (the stored result in the API) and `page_path` (the column page of the
    window that fired) are joined to the notifier's base URL.
    """

    monitor: str
    column: str
    role: str
    transition: Transition
    top_bins: Sequence[BinContribution] = field(default_factory=tuple)
    result_path: str | None = None
    page_path: str | None = None

    def summary(self) -> str:
        """Return a one-line human summary of the transition."""
        t = self.transition
        where = f"{self.monitor}/{self.column}"
        value, threshold = _number(t.value), _number(t.threshold)
        if t.severity == Severity.OK:
            return (
                f"RESOLVED {t.previous.label} drift on {where}: {t.statistic} = {value}, "
                f"below the resolve level {threshold}"
            )
        verb = {"fired": "", "escalated": " (escalated)", "de-escalated": " (de-escalated)"}[t.kind]
        relation = ">=" if t.kind != "de-escalated" else "<"
        return (
            f"{t.severity.label.upper()}{verb} drift on {where}: {t.statistic} = {value} "
            f"{relation} {threshold} (p = {_number(t.p_value)}, n_live = {t.n_live})"
        )


def join_link(base_url: str | None, path: str | None) -> str | None:
    """Return base_url and path joined by exactly one slash, or None if either is missing."""
    if not base_url or path is None:
        return None
    return f"{base_url.rstrip('/')}/{path.lstrip('/')}"


def json_payload(notification: Notification, link: str | None, page: str | None = None) -> dict[str, Any]:
    """Return driftmon's JSON body for a transition (NaN and infinities become null).

    `link` is the stored result in the API, `page` the column page of the window that fired.
    """
    t = notification.transition
    return {
        "schema": PAYLOAD_SCHEMA,
        "summary": notification.summary(),
        "monitor": notification.monitor,
        "column": notification.column,
        "role": notification.role,
        "statistic": t.statistic,
        "kind": t.kind,
        "state": t.event_state,
        "severity": t.severity.label,
        "previous_severity": t.previous.label,
        "value": finite(t.value),
        "threshold": finite(t.threshold),
        "p_value": finite(t.p_value),
        "n_live": t.n_live,
        "window_start": t.window_start.isoformat(),
        "window_end": t.window_end.isoformat(),
        "top_bins": [
            {
                "label": b.label,
                "reference_share": finite(b.reference_share),
                "live_share": finite(b.live_share),
                "contribution": finite(b.contribution),
            }
            for b in notification.top_bins
        ],
        "link": link,
        "page": page,
    }


def slack_payload(notification: Notification, link: str | None, page: str | None = None) -> dict[str, Any]:
    """Return a Slack incoming-webhook message: `text` as the fallback, `blocks` for the layout."""
    t = notification.transition
    summary = notification.summary()
    status = "RESOLVED" if t.severity == Severity.OK else t.severity.label.upper()
    title = f"{status}: drift on {notification.monitor}/{notification.column}"
    fields = [
        ("Statistic", f"`{_escape(t.statistic)}` = {_number(t.value)}"),
        ("Threshold", _number(t.threshold)),
        ("Severity", f"{t.previous.label} → {t.severity.label}"),
        ("p-value", f"{_number(t.p_value)} (n_live = {t.n_live})"),
        ("Window", f"{t.window_start.isoformat()} → {t.window_end.isoformat()}"),
        ("Role", _escape(notification.role)),
    ]
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": _clip(title, _SLACK_HEADER_MAX)}},
        {"type": "section", "text": {"type": "mrkdwn", "text": _escape(summary)}},
        {
            "type": "section",
            "fields": [{"type": "mrkdwn", "text": f"*{name}*\n{text}"} for name, text in fields],
        },
    ]
    if notification.top_bins:
        lines = [
            f"• `{_escape(_clip(b.label, _SLACK_LABEL_MAX))}`: {_share(b.reference_share)} → "
            f"{_share(b.live_share)} (contribution {_number(b.contribution)} bits)"
            for b in notification.top_bins
        ]
        blocks.append(
            {"type": "section", "text": {"type": "mrkdwn", "text": "*Top bins*\n" + "\n".join(lines)}}
        )
    links = [f"<{page}|Open the column page>"] if page is not None else []
    if link is not None:
        links.append(f"<{link}|View the result>" if page is None else f"<{link}|JSON result>")
    if links:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": " · ".join(links)}]})
    shown = page or link
    return {"text": summary if shown is None else f"{summary} {shown}", "blocks": blocks}


def _number(value: float) -> str:
    if math.isnan(value):
        return "n/a"
    return f"{value:.4g}"


def _share(value: float) -> str:
    return f"{100 * value:.1f}%"


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _escape(text: str) -> str:
    # Slack mrkdwn treats these three as control characters; bin labels like "<missing>" contain them.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
