"""Webhook notifier: POST each transition, retry with backoff, and dead-letter what cannot be delivered.

Webhook URLs often carry their token in the path or query (Slack, Teams, PagerDuty), so only
the scheme and host of the URL ever reach a log line, an error or the dead-letter log.
"""

from __future__ import annotations

import json
import logging
import math
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

import httpx

from driftmon.alerts.errors import DeadLetterError, NotifierConfigError
from driftmon.alerts.payload import Notification, PayloadFormat, join_link, json_payload, slack_payload
from driftmon.alerts.redact import redact_url, scrub, secret_parts

logger = logging.getLogger(__name__)

# Worth another attempt: the receiver is overloaded, rate-limiting or restarting. Any other
# 4xx means the request itself is wrong (revoked token, bad route) and will not improve.
_RETRY_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})
_ERROR_BODY_MAX = 200


@dataclass(frozen=True)
class DeliveryResult:
    """What happened to one notification: delivered, dead-lettered with the last error, or given up.

    `abandoned`: the caller's `keep_trying` said stop before an attempt; nothing was dead-lettered.
    """

    delivered: bool
    attempts: int
    status_code: int | None = None
    error: str | None = None
    abandoned: bool = False


class WebhookNotifier:
    """POST alert notifications to one webhook as driftmon JSON or as a Slack message.

    `timeout` bounds each phase of a request (connect, send, wait for the response) in seconds.
    A failed attempt (network error, timeout, 408/425/429/5xx) is retried up to `retries` times
    after `backoff * 2**k` seconds (at most `max_backoff`; a Retry-After in seconds is honoured
    within that cap). Anything still undelivered is appended to the JSON-lines `dead_letter_path`
    with its error, so no notification is lost. `sleep` and `clock` are injectable for tests.
    The config (NotifierSettings) validates the other settings; the URL, which it keeps as an
    opaque secret, is checked here.
    """

    def __init__(
        self,
        url: str,
        *,
        dead_letter_path: str | os.PathLike[str],
        format: PayloadFormat = "json",
        timeout: float = 10.0,
        retries: int = 3,
        backoff: float = 1.0,
        max_backoff: float = 60.0,
        link_base_url: str | None = None,
        name: str = "webhook",
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], datetime] | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.name = name
        self.target = redact_url(url)
        try:
            parts = urlsplit(url)
            scheme_ok = parts.scheme in ("http", "https") and bool(parts.hostname)
        except ValueError:
            scheme_ok = False
        if not scheme_ok:
            raise NotifierConfigError(
                f"notifier {name!r}: url must be an http:// or https:// URL with a host"
            )
        self._url = url
        self._secrets = secret_parts(url)
        self.format: PayloadFormat = format
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.link_base_url = link_base_url
        self.dead_letter_path = Path(dead_letter_path)
        self._sleep = sleep
        self._clock = clock or (lambda: datetime.now(UTC))
        self._lock = threading.Lock()
        self._client = httpx.Client(
            timeout=httpx.Timeout(self.timeout),
            headers={"User-Agent": "driftmon"},
            transport=transport,
            follow_redirects=False,
        )

    def __repr__(self) -> str:
        return f"WebhookNotifier(name={self.name!r}, target={self.target!r}, format={self.format!r})"

    def close(self) -> None:
        """Close the HTTP connection pool."""
        self._client.close()

    def __enter__(self) -> WebhookNotifier:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def body(self, notification: Notification) -> dict[str, Any]:
        """Return the JSON body this notifier sends for `notification`."""
        link = join_link(self.link_base_url, notification.result_path)
        page = join_link(self.link_base_url, notification.page_path)
        if self.format == "slack":
            return slack_payload(notification, link, page)
        return json_payload(notification, link, page)

    def send(
        self, notification: Notification, keep_trying: Callable[[], bool] | None = None
    ) -> DeliveryResult:
        """Deliver one notification, retrying; dead-letter it if every attempt fails.

        `keep_trying`, asked before each attempt, can stop the delivery (a process that lost the
        notifier lease leaves the notification to the new holder): then nothing is dead-lettered.
        Raises DeadLetterError only when delivery failed and the dead-letter log cannot be written.
        """
        body = self.body(notification)
        content = json.dumps(body, allow_nan=False, ensure_ascii=False).encode("utf-8")
        attempts = self.retries + 1
        error = "not attempted"
        status: int | None = None
        for attempt in range(1, attempts + 1):
            if keep_trying is not None and not keep_trying():
                logger.info("notifier %s: delivery to %s left to another process", self.name, self.target)
                return DeliveryResult(False, attempt - 1, status, error, abandoned=True)
            delay: float | None = None
            try:
                response = self._client.post(
                    self._url, content=content, headers={"Content-Type": "application/json"}
                )
            except httpx.HTTPError as exc:
                status, retryable = None, True
                error = self._scrub(f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__)
            else:
                status = response.status_code
                if response.is_success:
                    logger.info("notifier %s: delivered to %s (attempt %d)", self.name, self.target, attempt)
                    return DeliveryResult(True, attempt, status)
                retryable = status in _RETRY_STATUSES
                error = self._scrub(_status_error(response))
                delay = _retry_after(response)
            if not retryable or attempt == attempts:
                break
            wait = min(self.max_backoff, delay if delay is not None else self.backoff * 2 ** (attempt - 1))
            logger.warning(
                "notifier %s: attempt %d of %d to %s failed (%s); retrying in %.3gs",
                self.name,
                attempt,
                attempts,
                self.target,
                error,
                wait,
            )
            self._sleep(wait)
        self._dead_letter(notification, body, attempt, error)
        return DeliveryResult(False, attempt, status, error)

    def _scrub(self, text: str) -> str:
        return scrub(text, self._url, self._secrets)

    def _dead_letter(
        self, notification: Notification, body: dict[str, Any], attempts: int, error: str
    ) -> None:
        t = notification.transition
        entry = {
            "at": self._clock().isoformat(),
            "notifier": self.name,
            "target": self.target,
            "format": self.format,
            "attempts": attempts,
            "error": error,
            "monitor": notification.monitor,
            "column": notification.column,
            "statistic": t.statistic,
            "severity": t.severity.label,
            "window_end": t.window_end.isoformat(),
            "payload": body,
        }
        line = json.dumps(entry, allow_nan=False, ensure_ascii=False) + "\n"
        logger.error(
            "notifier %s: giving up on %s after %d attempts (%s); notification for %s/%s %s kept in %s",
            self.name,
            self.target,
            attempts,
            error,
            notification.monitor,
            notification.column,
            t.statistic,
            self.dead_letter_path,
        )
        try:
            with self._lock:
                self.dead_letter_path.parent.mkdir(parents=True, exist_ok=True)
                with self.dead_letter_path.open("a", encoding="utf-8") as handle:
                    handle.write(line)
                    handle.flush()
                    os.fsync(handle.fileno())
        except OSError as exc:
            # The notification must survive somewhere: put it in the log before failing loudly.
            logger.critical("notifier %s: dead-letter log unwritable; lost notification: %s", self.name, line)
            raise DeadLetterError(
                f"notifier {self.name!r}: notification to {self.target} undeliverable ({error}) and the "
                f"dead-letter log {self.dead_letter_path} cannot be written: {exc.strerror or exc}"
            ) from exc


def read_dead_letters(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """Return the entries of a dead-letter log, oldest first ([] if it does not exist yet)."""
    file = Path(path)
    if not file.exists():
        return []
    entries: list[dict[str, Any]] = []
    with file.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                entry = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"dead-letter log {file}:{number}: not a JSON line ({exc.msg})") from None
            if not isinstance(entry, dict):
                raise ValueError(f"dead-letter log {file}:{number}: expected a JSON object")
            entries.append(entry)
    return entries


def _status_error(response: httpx.Response) -> str:
    text = response.text.strip().replace("\n", " ")
    detail = f": {text[:_ERROR_BODY_MAX]}" if text else ""
    return f"HTTP {response.status_code} {response.reason_phrase}{detail}"


def _retry_after(response: httpx.Response) -> float | None:
    raw = response.headers.get("Retry-After")
    if raw is None:
        return None
    try:
        seconds = float(raw)
    except ValueError:
        return None  # an HTTP date: fall back to the exponential backoff
    return seconds if math.isfinite(seconds) and seconds >= 0 else None
