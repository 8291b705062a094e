"""Process logging for `driftmon serve`: text or JSON lines on stderr, each run's monitor and window attached.

Every record made while a run (or a notification of it) is in progress carries the run's
`monitor` and `window` (see driftmon.scheduler.run_context): JSON lines get them as fields,
text lines as a `[monitor=... window=...]` suffix unless the message already names the monitor.
Secrets never reach the output, whatever the level or the logger: driftmon's own messages show
URLs redacted, and the handler scrubs every secret of the configuration (webhook URLs and
their tokens, the API token, database passwords) from each formatted line, tracebacks included.
That covers libraries that log URLs themselves (httpx logs each request's full URL, which for a
webhook holds its token) without depending on which loggers they use or at which level.
"""

from __future__ import annotations

import contextlib
import json
import logging
import sys
import time
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import IO, Any
from urllib.parse import quote, urlsplit

from pydantic import BaseModel, SecretStr

from driftmon.alerts.redact import redact_url, secret_parts
from driftmon.config import Config, LoggingSettings, NotifierSettings, SparkSourceConfig
from driftmon.config.sources import secret_conf_key
from driftmon.scheduler import current_run

_HANDLER_NAME = "driftmon"
# Loggers whose INFO lines are about the machinery, not the monitors (every job execution).
_QUIET = {
    "alembic": logging.WARNING,
    "apscheduler": logging.WARNING,
    "httpx": logging.WARNING,
    "uvicorn.access": logging.WARNING,
}


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
        self.converter = time.gmtime

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        run: dict[str, str] = getattr(record, "run", None) or {}
        monitor = run.get("monitor")
        if monitor is None or f"monitor {monitor}" in record.getMessage():
            return text
        extra = f"monitor={monitor}" + (f" window={run['window']}" if "window" in run else "")
        head, newline, rest = text.partition("\n")  # keep a traceback below the line
        return f"{head} [{extra}]{newline}{rest}"


# Shorter pieces are not credentials, and scrubbing them would garble every line.
_SECRET_MIN = 4
# A webhook URL's path segment or query value this long may be its token: Slack's, Teams',
# Discord's and PagerDuty's are 9 to 70 characters. Shorter ones ("hook", "v1") are routes.
_TOKEN_MIN = 8


def _webhook_secrets(url: str) -> set[str]:
    pieces = {url}
    try:
        parts = urlsplit(url)
    except ValueError:
        return pieces
    path_and_query = parts.path + ("?" + parts.query if parts.query else "")
    for piece in secret_parts(url):
        if len(piece) >= _TOKEN_MIN or piece in (parts.password, parts.username, path_and_query):
            pieces.add(piece)
    return pieces


def _database_secrets(url: str) -> set[str]:
    # sqlalchemy is imported when a URL is first handled, not with the config (it is slow to import).
    from sqlalchemy.engine import make_url

    try:
        parsed = make_url(url)
    except Exception:  # not a URL: all of it may be secret
        return {url}
    pieces: set[str] = set()
    if parsed.password:
        password = str(parsed.password)
        pieces.update({password, quote(password, safe="")})
        with contextlib.suppress(ValueError):
            pieces.add(urlsplit(url).password or "")  # as written (percent-encoded)
    for key, value in parsed.query.items():
        if any(word in key.lower() for word in ("password", "token", "secret")):
            pieces.update([value] if isinstance(value, str) else value)
    return pieces


def _secret_fields(value: Any) -> Iterator[tuple[Any, SecretStr | str]]:
    """Yield (the model holding it, the secret) for every secret in a config tree.

    Secrets are the SecretStr fields, and a Spark source's credential conf values and Spark
    Connect master parameters (plain text in its settings, as Spark takes them).
    """
    if isinstance(value, SparkSourceConfig):
        for key, text in value.conf.items():
            if secret_conf_key(key):
                yield value, text
        for param in value.master.split(";")[1:]:
            key, _, text = param.partition("=")
            if secret_conf_key(key):
                yield value, text
    if isinstance(value, BaseModel):
        for name in type(value).model_fields:
            field = getattr(value, name)
            if isinstance(field, SecretStr):
                yield value, field
            else:
                yield from _secret_fields(field)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _secret_fields(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _secret_fields(item)


def config_secrets(config: Config, database_url: str | None = None) -> list[str]:
    """Return every secret in `config` and the store URL given on the command line, longest first.

    Each secret setting counts: a webhook URL whole and its token-like parts, a database URL's
    password (and password-like query values), any other secret (the API token) whole.
    """
    pieces: set[str] = set()
    for holder, secret in _secret_fields(config):
        text = secret.get_secret_value() if isinstance(secret, SecretStr) else secret
        if isinstance(holder, NotifierSettings):
            pieces |= _webhook_secrets(text)
        elif "://" in text:
            pieces |= _database_secrets(text)
        else:
            pieces.add(text)
    if database_url:
        pieces |= _database_secrets(database_url)
    return sorted((p for p in pieces if len(p) >= _SECRET_MIN), key=len, reverse=True)


class RedactingHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """A stream handler that scrubs secrets from each formatted line (message and traceback).

    A URL among the secrets is shown as scheme://host:port/***, any other secret as ***; each
    is also looked for as JSON escapes it, for the JSON format.
    """

    def __init__(self, stream: IO[str], secrets: Iterable[str] = ()) -> None:
        super().__init__(stream)
        replacements: dict[str, str] = {}
        for secret in sorted(set(secrets), key=len, reverse=True):
            shown = redact_url(secret) if "://" in secret else "***"
            replacements.setdefault(secret, shown)
            replacements.setdefault(json.dumps(secret, ensure_ascii=False)[1:-1], shown)
        self._replacements = replacements

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        for secret, shown in self._replacements.items():
            if secret in text:
                text = text.replace(secret, shown)
        return text


def configure_logging(
    settings: LoggingSettings, stream: IO[str] | None = None, *, secrets: Iterable[str] = ()
) -> logging.Handler:
    """Send every log record to `stream` (stderr) in the configured format and level; idempotent.

    Every text in `secrets` (see config_secrets) is scrubbed from the output.
    """
    root = logging.getLogger()
    for handler in list(root.handlers):
        if handler.get_name() == _HANDLER_NAME:
            root.removeHandler(handler)
    handler = RedactingHandler(stream if stream is not None else sys.stderr, secrets)
    handler.set_name(_HANDLER_NAME)
    handler.addFilter(RunFields())
    handler.setFormatter(JsonFormatter() if settings.format == "json" else TextFormatter())
    root.addHandler(handler)
    level = logging.getLevelName(settings.level)
    root.setLevel(level)
    for name, quiet in _QUIET.items():
        logging.getLogger(name).setLevel(level if level == logging.DEBUG else max(level, quiet))
    return handler
