"""The webhook notifier against a real HTTP receiver delivery, retries, timeouts, dead-letters."""

from __future__ import annotations

import json
import logging
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from driftmon.alerts import (
    DeadLetterError,
    NotifierConfigError,
    Severity,
    WebhookNotifier,
    read_dead_letters,
    redact_url,
)
from tests.alerts.conftest import Receiver, Reply
from tests.alerts.helpers import sample_notification

BASE = "https://driftmon.example.com"
NOW = datetime(2024, 3, 1, 1, 5, tzinfo=UTC)


class Sleeps(list[float]):
    """An injected sleep that records the delays instead of waiting them out."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def notifier(url: str, tmp_path: Path, sleeps: Sleeps, **kwargs: object) -> WebhookNotifier:
    options: dict[str, object] = {
        "retries": 3,
        "backoff": 0.5,
        "timeout": 5.0,
        "link_base_url": BASE,
        **kwargs,
    }
    return WebhookNotifier(
        url,
        dead_letter_path=tmp_path / "dead" / "letters.jsonl",
        sleep=sleeps,
        clock=lambda: NOW,
        **options,  # type: ignore[arg-type]
    )


def test_delivers_the_json_body(receiver: Receiver, tmp_path: Path) -> None:
    sleeps = Sleeps()
    note = sample_notification()
    with notifier(receiver.url, tmp_path, sleeps) as hook:
        result = hook.send(note)
        expected = hook.body(note)
    assert (result.delivered, result.attempts, result.status_code, result.error) == (True, 1, 200, None)
    [request] = receiver.requests
    assert request.path == "/hook"
    assert request.headers["content-type"] == "application/json"
    assert request.headers["user-agent"] == "driftmon"
    body = json.loads(request.body)
    assert body == expected
    assert body["monitor"] == "checkout"
    assert body["column"] == "amount"
    assert body["severity"] == "critical"
    assert body["previous_severity"] == "ok"
    assert body["link"] == f"{BASE}/api/monitors/checkout/runs/42"
    assert [b["label"] for b in body["top_bins"]] == ["[120, inf)", "<missing>"]
    assert sleeps == []
    assert not (tmp_path / "dead").exists()


def test_delivers_a_slack_message(receiver: Receiver, tmp_path: Path) -> None:
    with notifier(receiver.url, tmp_path, Sleeps(), format="slack") as hook:
        assert hook.send(sample_notification(Severity.WARNING, Severity.OK)).delivered
    [request] = receiver.requests
    body = json.loads(request.body)
    assert set(body) == {"text", "blocks"}
    assert body["text"].startswith("RESOLVED warning drift on checkout/amount")


def test_a_500_is_retried_after_the_backoff(receiver: Receiver, tmp_path: Path) -> None:
    receiver.script(Reply(500, b"try later"))
    sleeps = Sleeps()
    with notifier(receiver.url, tmp_path, sleeps) as hook:
        result = hook.send(sample_notification())
    assert (result.delivered, result.attempts, result.status_code) == (True, 2, 200)
    assert sleeps == [0.5]
    first, second = receiver.requests
    assert first.body == second.body
    assert read_dead_letters(tmp_path / "dead" / "letters.jsonl") == []


def test_backoff_doubles_up_to_its_cap_and_honours_retry_after(receiver: Receiver, tmp_path: Path) -> None:
    receiver.script(
        Reply(503),
        Reply(502),
        Reply(429, headers={"Retry-After": "7"}),
        Reply(503, headers={"Retry-After": "3600"}),
        Reply(504),
    )
    sleeps = Sleeps()
    with notifier(receiver.url, tmp_path, sleeps, retries=5, backoff=1.0, max_backoff=30.0) as hook:
        result = hook.send(sample_notification())
    assert result.delivered
    assert result.attempts == 6
    assert sleeps == [1.0, 2.0, 7.0, 30.0, 16.0]


def test_a_client_error_is_not_retried_and_is_dead_lettered(receiver: Receiver, tmp_path: Path) -> None:
    receiver.script(Reply(404, b"no_service"))
    sleeps = Sleeps()
    with notifier(receiver.url, tmp_path, sleeps) as hook:
        result = hook.send(sample_notification())
    assert (result.delivered, result.attempts, result.status_code) == (False, 1, 404)
    assert result.error == "HTTP 404 Not Found: no_service"
    assert sleeps == []
    [entry] = read_dead_letters(tmp_path / "dead" / "letters.jsonl")
    assert entry["error"] == "HTTP 404 Not Found: no_service"
    assert entry["attempts"] == 1


def test_receiver_down_ends_in_the_dead_letter_log_after_the_retries(
    closed_port: int, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    url = f"http://127.0.0.1:{closed_port}/hook"
    sleeps = Sleeps()
    note = sample_notification()
    with caplog.at_level(logging.WARNING, logger="driftmon.alerts"), notifier(url, tmp_path, sleeps) as hook:
        result = hook.send(note)
        body = hook.body(note)
    assert (result.delivered, result.attempts, result.status_code) == (False, 4, None)
    assert result.error is not None
    assert result.error.startswith("ConnectError")
    assert sleeps == [0.5, 1.0, 2.0]
    [entry] = read_dead_letters(tmp_path / "dead" / "letters.jsonl")
    assert entry == {
        "at": NOW.isoformat(),
        "notifier": "webhook",
        "target": f"http://127.0.0.1:{closed_port}/***",
        "format": "json",
        "attempts": 4,
        "error": result.error,
        "monitor": "checkout",
        "column": "amount",
        "statistic": "psi",
        "severity": "critical",
        "window_end": "2024-03-01T01:00:00+00:00",
        "payload": body,
    }
    retries = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(retries) == 3
    assert any(r.levelno == logging.ERROR and "giving up" in r.getMessage() for r in caplog.records)


def test_dead_letters_accumulate_one_line_each_from_many_threads(closed_port: int, tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{closed_port}/hook"
    with notifier(url, tmp_path, Sleeps(), retries=0) as hook:
        threads = [threading.Thread(target=hook.send, args=(sample_notification(),)) for _ in range(16)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    entries = read_dead_letters(tmp_path / "dead" / "letters.jsonl")
    assert len(entries) == 16
    assert {e["monitor"] for e in entries} == {"checkout"}


def test_the_timeout_is_honoured_against_a_receiver_that_stalls(receiver: Receiver, tmp_path: Path) -> None:
    # The receiver holds each reply until the test ends (up to 30 s); the notifier must give up first.
    receiver.script(Reply(stall=True), Reply(stall=True))
    sleeps = Sleeps()
    started = time.monotonic()
    with notifier(receiver.url, tmp_path, sleeps, timeout=0.2, retries=1) as hook:
        result = hook.send(sample_notification())
    elapsed = time.monotonic() - started
    assert not result.delivered
    assert result.attempts == 2
    assert result.error == "ReadTimeout: timed out"
    assert len(receiver.requests) == 2
    assert elapsed < 10, f"two 0.2 s attempts took {elapsed:.1f} s"
    [entry] = read_dead_letters(tmp_path / "dead" / "letters.jsonl")
    assert entry["error"] == "ReadTimeout: timed out"


SECRET = "T0001/B0002/s3cr3tT0ken"


def test_tokens_in_the_url_never_reach_errors_logs_or_the_dead_letter_log(
    receiver: Receiver, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # The receiver echoes the request path back, as some webhook services do in their errors.
    url = f"http://hookuser:hookpass99@127.0.0.1:{receiver.port}/services/{SECRET}?token=qu3ryS3cret"
    receiver.script(*[Reply(500, f"unknown path /services/{SECRET}?token=qu3ryS3cret".encode())] * 2)
    receiver.script(Reply(403, b"invalid token s3cr3tT0ken for hookuser"))
    with (
        caplog.at_level(logging.DEBUG, logger="driftmon.alerts"),
        notifier(url, tmp_path, Sleeps()) as hook,
    ):
        result = hook.send(sample_notification())
        shown = repr(hook) + hook.target
    assert receiver.requests[0].path == f"/services/{SECRET}?token=qu3ryS3cret"
    assert not result.delivered
    assert result.error == "HTTP 403 Forbidden: invalid token *** for ***"
    dead = (tmp_path / "dead" / "letters.jsonl").read_text()
    logs = "\n".join(r.getMessage() for r in caplog.records)
    for text in (result.error, dead, logs, shown):
        for secret in ("s3cr3tT0ken", "T0001", "B0002", "qu3ryS3cret", "hookpass99", "hookuser"):
            assert secret not in text
    assert f"http://127.0.0.1:{receiver.port}/***" in logs


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://hooks.slack.com/services/T0/B0/XYZ", "https://hooks.slack.com/***"),
        ("http://user:pw@example.com:8080/x?token=1", "http://example.com:8080/***"),
        ("http://[::1]:9000/hook", "http://[::1]:9000/***"),
        ("http://[::1/hook", "<unparseable URL>"),
    ],
)
def test_redact_url_keeps_only_scheme_host_and_port(url: str, shown: str) -> None:
    assert redact_url(url) == shown


def test_an_unwritable_dead_letter_log_fails_loudly_and_keeps_the_notification_in_the_log(
    closed_port: int, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    url = f"http://127.0.0.1:{closed_port}/hook"
    hook = WebhookNotifier(url, dead_letter_path=blocker / "letters.jsonl", retries=0, sleep=Sleeps())
    refused = r"undeliverable \(ConnectError.*cannot be written"
    with (
        hook,
        caplog.at_level(logging.CRITICAL, logger="driftmon.alerts"),
        pytest.raises(DeadLetterError, match=refused) as info,
    ):
        hook.send(sample_notification())
    assert isinstance(info.value, OSError)
    [record] = [r for r in caplog.records if r.levelno == logging.CRITICAL]
    assert '"monitor": "checkout"' in record.getMessage()


@pytest.mark.parametrize(
    "url", ["ftp://example.com/x", "hooks.slack.com/services/T0/B0/XYZ", "http:///nohost", "http://[::1/XYZ"]
)
def test_a_url_that_is_not_http_is_refused(url: str, tmp_path: Path) -> None:
    message = r"url must be an http:// or https:// URL with a host"
    with pytest.raises(NotifierConfigError, match=message) as info:
        WebhookNotifier(url, dead_letter_path=tmp_path / "d.jsonl", name="ops")
    assert "notifier 'ops'" in str(info.value)
    assert "XYZ" not in str(info.value)


def test_read_dead_letters_names_a_corrupt_line(tmp_path: Path) -> None:
    assert read_dead_letters(tmp_path / "missing.jsonl") == []
    path = tmp_path / "letters.jsonl"
    path.write_text('{"a": 1}\n\n[1]\n')
    with pytest.raises(ValueError, match=r"letters.jsonl:3: expected a JSON object"):
        read_dead_letters(path)
    path.write_text('{"a": 1}\n{"a": \n')
    with pytest.raises(ValueError, match=r"letters.jsonl:2: not a JSON line"):
        read_dead_letters(path)
