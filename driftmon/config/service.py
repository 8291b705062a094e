"""The whole configuration: store, HTTP server, scheduler, logging, notifiers, defaults, monitors."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Mapping
from datetime import timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from driftmon.config.monitor import MONITOR_DEFAULT_KEYS, MonitorConfig, deep_merge
from driftmon.config.types import DatabaseURL, MonitorName, PositiveDuration, redact_url
from driftmon.errors import UnknownMonitorError

# A SQLite file: driftmon runs with no database server at all. load_config() puts it (and the
# dead-letter file) in the first config file's directory; a Config built in code, in the
# working directory.
DEFAULT_DATABASE_URL = "sqlite:///driftmon.sqlite"
DEFAULT_DEAD_LETTER = "driftmon-dead-letters.jsonl"
DEFAULT_PORT = 9650


class DatabaseSettings(BaseModel):
    """The store: where runs, baselines and alerts are kept."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    url: DatabaseURL = SecretStr(DEFAULT_DATABASE_URL)
    retention_days: int | None = Field(
        None, ge=1, description="delete results older than this; null keeps all"
    )

    @property
    def description(self) -> str:
        return redact_url(self.url.get_secret_value())


class ServerSettings(BaseModel):
    """The HTTP server: /metrics, health and the JSON API."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    host: str = "127.0.0.1"
    port: int = Field(DEFAULT_PORT, ge=1, le=65535)
    api_token: SecretStr | None = Field(None, description="bearer token for the API; use ${ENV_VAR}")
    allow_anonymous_writes: bool = Field(
        False,
        description="without api_token, allow POST (run a window now) from anyone who can reach the server",
    )
    metrics_auth: bool = Field(False, description="require the token on /metrics too")
    health_auth: bool = Field(False, description="require the token on /healthz and /readyz too")
    public_url: str | None = Field(None, description="base URL used in links sent by notifiers")

    @model_validator(mode="after")
    def _token_for_metrics(self) -> ServerSettings:
        for flag in ("metrics_auth", "health_auth"):
            if getattr(self, flag) and self.api_token is None:
                raise ValueError(f"{flag} needs api_token (e.g. api_token: ${{DRIFTMON_API_TOKEN}})")
        return self


class SchedulerSettings(BaseModel):
    """How the service runs monitors."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_workers: int = Field(4, ge=1, le=256, description="runs in parallel")
    max_backfill_windows: int = Field(100, ge=0, description="missed windows caught up per monitor at start")
    shutdown_grace: PositiveDuration = timedelta(seconds=30)
    follow_every: PositiveDuration = Field(
        timedelta(seconds=5),
        description="how often /metrics takes in what other processes on the store computed",
    )
    notify_every: PositiveDuration = Field(
        timedelta(seconds=2),
        description="how often the notifier lease holder sends the outbox (and others try to take the lease)",
    )


class LoggingSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    format: Literal["text", "json"] = "text"

    @field_validator("level", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value


class NotifierSettings(BaseModel):
    """A webhook that receives alert transitions."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: MonitorName
    url: SecretStr = Field(description="webhook URL; it often embeds a token, so use ${ENV_VAR}")
    format: Literal["json", "slack"] = "json"
    timeout: PositiveDuration = timedelta(seconds=10)
    retries: int = Field(3, ge=0, le=20)
    dead_letter: str = Field(
        DEFAULT_DEAD_LETTER,
        min_length=1,
        description="JSON-lines file of undelivered notifications",
    )


class Config(BaseModel):
    """The effective configuration (files merged, variables substituted, defaults applied)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    database: DatabaseSettings = DatabaseSettings()
    server: ServerSettings = ServerSettings()
    scheduler: SchedulerSettings = SchedulerSettings()
    logging: LoggingSettings = LoggingSettings()
    notifiers: list[NotifierSettings] = Field(default_factory=list)
    defaults: dict[str, Any] = Field(default_factory=dict, description="settings every monitor inherits")
    monitors: list[MonitorConfig] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _apply_defaults(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        defaults = data.get("defaults")
        monitors = data.get("monitors")
        if isinstance(defaults, dict) and isinstance(monitors, list):
            # The monitor's own keys win; what is not a mapping is left for validation to refuse.
            merged = [deep_merge(defaults, m) if isinstance(m, Mapping) else m for m in monitors]
            data = {**data, "monitors": merged}
        return data

    @field_validator("defaults")
    @classmethod
    def _default_keys(cls, defaults: dict[str, Any]) -> dict[str, Any]:
        unknown = sorted(set(defaults) - MONITOR_DEFAULT_KEYS)
        if unknown:
            raise ValueError(
                f"defaults cannot set {', '.join(repr(k) for k in unknown)}; "
                f"allowed: {', '.join(sorted(MONITOR_DEFAULT_KEYS))}"
            )
        return defaults

    @model_validator(mode="after")
    def _unique_names(self) -> Config:
        for what, names in (
            ("monitor", [m.name for m in self.monitors]),
            ("notifier", [n.name for n in self.notifiers]),
        ):
            repeated = sorted(n for n, count in Counter(names).items() if count > 1)
            if repeated:
                raise ValueError(
                    f"{what} names must be unique; repeated: {', '.join(repr(n) for n in repeated)}"
                )
        return self

    def monitor(self, name: str) -> MonitorConfig:
        """Return the monitor called `name`."""
        for monitor in self.monitors:
            if monitor.name == name:
                return monitor
        raise UnknownMonitorError(name, [m.name for m in self.monitors])

    def config_hash(self) -> str:
        """Return a SHA-256 of the effective configuration without secrets."""
        parts = {
            "database": self.database.description,
            "retention_days": self.database.retention_days,
            "server": self.server.model_dump(mode="json", exclude={"api_token"}),
            "api_token_set": self.server.api_token is not None,
            "scheduler": self.scheduler.model_dump(mode="json"),
            "logging": self.logging.model_dump(mode="json"),
            "notifiers": [n.model_dump(mode="json", exclude={"url"}) for n in self.notifiers],
            "monitors": {m.name: m.config_hash() for m in self.monitors},
        }
        text = json.dumps(parts, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()
