"""Notification bodies: driftmon's JSON document and the Slack-compatible message."""

from __future__ import annotations

import json
import math
from dataclasses import replace

import pytest

from driftmon.alerts import PAYLOAD_SCHEMA, Severity, join_link, json_payload, slack_payload
from tests.alerts.helpers import sample_notification

LINK = "https://driftmon.example.com/api/monitors/checkout/runs/42"


def test_json_payload_carries_everything_an_on_call_engineer_needs() -> None:
    body = json_payload(sample_notification(), LINK)
    assert json.loads(json.dumps(body, allow_nan=False)) == {
        "schema": PAYLOAD_SCHEMA,
        "summary": "CRITICAL drift on checkout/amount: psi = 0.31 >= 0.25 (p = 2.5e-09, n_live = 4200)",
        "monitor": "checkout",
        "column": "amount",
        "role": "feature",
        "statistic": "psi",
        "kind": "fired",
        "state": "firing",
        "severity": "critical",
        "previous_severity": "ok",
        "value": 0.31,
        "threshold": 0.25,
        "p_value": 2.5e-9,
        "n_live": 4200,
        "window_start": "2024-03-01T00:00:00+00:00",
        "window_end": "2024-03-01T01:00:00+00:00",
        "top_bins": [
            {"label": "[120, inf)", "reference_share": 0.1, "live_share": 0.32, "contribution": 0.061},
            {"label": "<missing>", "reference_share": 0.01, "live_share": 0.05, "contribution": 0.012},
        ],
        "link": LINK,
        "page": None,
    }


def test_json_payload_turns_nan_into_null() -> None:
    body = json_payload(sample_notification(p_value=math.nan), None)
    assert body["p_value"] is None
    assert body["link"] is None
    assert "p = n/a" in body["summary"]
    json.dumps(body, allow_nan=False)


@pytest.mark.parametrize(
    ("previous", "severity", "summary"),
    [
        (Severity.OK, Severity.WARNING, "WARNING drift on checkout/amount: psi = 0.31 >= 0.25"),
        (
            Severity.WARNING,
            Severity.CRITICAL,
            "CRITICAL (escalated) drift on checkout/amount: psi = 0.31 >= 0.25",
        ),
        (
            Severity.CRITICAL,
            Severity.WARNING,
            "WARNING (de-escalated) drift on checkout/amount: psi = 0.31 < 0.25",
        ),
        (
            Severity.CRITICAL,
            Severity.OK,
            "RESOLVED critical drift on checkout/amount: psi = 0.31, below the resolve",
        ),
    ],
)
def test_summaries_say_what_happened(previous: Severity, severity: Severity, summary: str) -> None:
    note = sample_notification(previous, severity)
    assert note.summary().startswith(summary)
    body = json_payload(note, None)
    assert (body["previous_severity"], body["severity"]) == (previous.label, severity.label)
    assert body["state"] == ("resolved" if severity == Severity.OK else "firing")


def test_slack_payload_has_fallback_text_and_blocks() -> None:
    body = slack_payload(sample_notification(), LINK)
    assert body["text"].startswith("CRITICAL drift on checkout/amount")
    assert body["text"].endswith(LINK)
    header, summary, fields, bins, context = body["blocks"]
    assert header == {
        "type": "header",
        "text": {"type": "plain_text", "text": "CRITICAL: drift on checkout/amount"},
    }
    assert summary["text"]["type"] == "mrkdwn"
    texts = [f["text"] for f in fields["fields"]]
    assert "*Statistic*\n`psi` = 0.31" in texts
    assert "*Threshold*\n0.25" in texts
    assert "*Severity*\nok → critical" in texts
    assert "*p-value*\n2.5e-09 (n_live = 4200)" in texts
    assert "*Window*\n2024-03-01T00:00:00+00:00 → 2024-03-01T01:00:00+00:00" in texts
    assert len(fields["fields"]) <= 10  # Slack's limit per section
    # "<missing>" would be read as a Slack link or mention unless escaped.
    assert bins["text"]["text"] == (
        "*Top bins*\n"
        "• `[120, inf)`: 10.0% → 32.0% (contribution 0.061 bits)\n"
        "• `&lt;missing&gt;`: 1.0% → 5.0% (contribution 0.012 bits)"
    )
    assert context == {
        "type": "context",
        "elements": [{"type": "mrkdwn", "text": f"<{LINK}|View the result>"}],
    }


PAGE = "https://driftmon.example.com/monitors/checkout/columns/amount?window=2024-03-01T01:00:00Z"


def test_payloads_link_to_the_column_page_of_the_window_that_fired() -> None:
    note = sample_notification()
    assert json_payload(note, LINK, PAGE)["page"] == PAGE
    assert json_payload(note, LINK, PAGE)["link"] == LINK
    body = slack_payload(note, LINK, PAGE)
    assert body["blocks"][-1] == {
        "type": "context",
        "elements": [{"type": "mrkdwn", "text": f"<{PAGE}|Open the column page> · <{LINK}|JSON result>"}],
    }
    assert body["text"].endswith(f" {PAGE}")


def test_slack_payload_without_bins_or_link_and_with_a_resolve() -> None:
    note = replace(sample_notification(Severity.WARNING, Severity.OK), top_bins=())
    body = slack_payload(note, None)
    assert [b["type"] for b in body["blocks"]] == ["header", "section", "section"]
    assert body["blocks"][0]["text"]["text"] == "RESOLVED: drift on checkout/amount"
    assert body["text"] == note.summary()


def test_slack_header_is_clipped_to_slacks_limit() -> None:
    note = replace(sample_notification(), column="c" * 300)
    header = slack_payload(note, None)["blocks"][0]["text"]["text"]
    assert len(header) == 150
    assert header.endswith("…")


@pytest.mark.parametrize(
    ("base", "path", "link"),
    [
        ("https://dm.example.com", "/api/runs/1", "https://dm.example.com/api/runs/1"),
        ("https://dm.example.com/", "api/runs/1", "https://dm.example.com/api/runs/1"),
        ("https://dm.example.com/prefix/", "/api/runs/1", "https://dm.example.com/prefix/api/runs/1"),
        (None, "/api/runs/1", None),
        ("https://dm.example.com", None, None),
    ],
)
def test_links_join_base_and_path_with_one_slash(
    base: str | None, path: str | None, link: str | None
) -> None:
    assert join_link(base, path) == link
