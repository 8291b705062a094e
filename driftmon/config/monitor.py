"""One monitor: its source, columns, reference, window, schedule, statistics and alerts."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from driftmon.config.alerts import AlertSettings, Statistic, effective_alert_rules
from driftmon.config.calendar import CalendarGrid, CalendarSize, time_zone
from driftmon.config.columns import BinDefaults, ColumnConfig, ColumnSettings
from driftmon.config.cron import validate_cron
from driftmon.config.sources import (
    FileSourceConfig,
    ReferenceConfig,
    SourceConfig,
    SparkSourceConfig,
    SqlSourceConfig,
    redact_spark_master,
    secret_conf_key,
)
from driftmon.config.types import (
    ColumnName,
    Duration,
    MonitorName,
    PositiveDuration,
    WindowSize,
    format_duration,
    format_window_size,
    redact_url,
)
from driftmon.core import DEFAULT_ALPHA, DEFAULT_MIN_SAMPLES

DEFAULT_TIMEOUT = timedelta(minutes=5)
# Without `takeover_after`, a claim still `running` this many timeouts after it started is taken over.
DEFAULT_TAKEOVER_TIMEOUTS = 2


class WindowSettings(BaseModel):
    """Tumbling windows of `size`, read `delay` after they close so late rows have arrived.

    `size` is a duration (aligned to the Unix epoch in UTC) or calendar months (`1mo`, `1q`,
    `1y`: aligned to calendar boundaries). With a `timezone`, calendar and whole-day windows
    start at local midnight in that IANA zone; windows are always stored as UTC instants.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    size: WindowSize
    delay: Duration = timedelta(0)
    timezone: str | None = Field(None, description="IANA zone of calendar and day windows; default UTC")

    @field_validator("size")
    @classmethod
    def _whole_seconds(cls, size: timedelta | CalendarSize) -> timedelta | CalendarSize:
        if isinstance(size, timedelta) and size.microseconds:
            raise ValueError("window size must be a whole number of seconds")
        return size

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, name: str | None) -> str | None:
        if name is not None:
            time_zone(name)
        return name

    @model_validator(mode="after")
    def _zone_needs_days(self) -> WindowSettings:
        size = self.size
        local = self.zone is not UTC  # `timezone: UTC` is the default spelled out, valid with any size
        if local and isinstance(size, timedelta) and size % timedelta(days=1):
            raise ValueError(
                f"timezone applies to windows of whole days, months, quarters or years, not "
                f"{format_duration(size)}: other fixed sizes are aligned to the Unix epoch in UTC"
            )
        return self

    @property
    def zone(self) -> tzinfo:
        """The time zone of the window boundaries (UTC unless `timezone` says otherwise)."""
        return UTC if self.timezone is None else time_zone(self.timezone)

    @property
    def grid(self) -> CalendarGrid | None:
        """The boundaries of calendar or time-zone windows; None for UTC windows aligned to the epoch."""
        if isinstance(self.size, CalendarSize):
            return CalendarGrid("month", self.size.months, self.zone)
        if self.zone is not UTC:
            return CalendarGrid("day", self.size // timedelta(days=1), self.zone)
        return None

    @property
    def longest(self) -> timedelta:
        """The longest window: the size, or for a calendar size its longest length (31d for 1mo).

        A daylight-saving change makes some local windows an hour longer or shorter than this;
        staleness rules built on it (two periods plus the timeout) have room for that.
        """
        return self.size.longest if isinstance(self.size, CalendarSize) else self.size

    @property
    def label(self) -> str:
        """The size as configured, with its zone: `1mo`, `1mo Europe/Berlin`, `1h`."""
        text = format_window_size(self.size)
        return f"{text} {self.timezone}" if self.zone is not UTC else text


class ScheduleSettings(BaseModel):
    """When runs happen: every `interval`, or at the instants of a five-field UTC `cron` expression."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    interval: PositiveDuration | None = None
    cron: str | None = None

    @field_validator("cron")
    @classmethod
    def _valid_cron(cls, cron: str | None) -> str | None:
        return None if cron is None else validate_cron(cron)

    @model_validator(mode="after")
    def _one_of(self) -> ScheduleSettings:
        if (self.interval is None) == (self.cron is None):
            raise ValueError(
                "schedule takes exactly one of 'interval' (e.g. 10m) or 'cron' (e.g. '0 * * * *')"
            )
        return self


_SQL_TARGET = frozenset({"table", "schema", "query"})
_NUMERIC_BINS = frozenset({"method", "n_bins"})


def overridden_keys(
    key: object, base: Mapping[str, Any], override: Mapping[str, Any]
) -> frozenset[str] | None:
    """Return the keys of `base` that `override` displaces when merged under `key`; None: all of them.

    Some settings are one of several forms, and merging two forms key by key would make a
    value that is neither: `schedule` and `reference` are replaced whole; a `source` of another
    `kind` replaces the inherited one, and a `table` or `query` replaces the inherited target;
    explicit bin `edges` and `method`/`n_bins` displace each other.
    """
    if key in ("schedule", "reference"):
        return None
    if key == "source":
        if "kind" in override and override.get("kind") != base.get("kind", override.get("kind")):
            return None
        return _SQL_TARGET if _SQL_TARGET & override.keys() else frozenset()
    if key == "bins":
        if "edges" in override:
            return _NUMERIC_BINS
        if _NUMERIC_BINS & override.keys():
            return frozenset({"edges"})
    return frozenset()


def deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """Merge mappings recursively; values of `override` win (see `overridden_keys`)."""
    out = dict(base)
    for key, value in override.items():
        current = out.get(key)
        if isinstance(value, Mapping) and isinstance(current, Mapping):
            dropped = overridden_keys(key, current, value)
            if dropped is None:
                out[key] = value
            else:
                out[key] = deep_merge({k: v for k, v in current.items() if k not in dropped}, value)
        else:
            out[key] = value
    return out


def _computed(where: str, alerts: AlertSettings, statistics: tuple[str, ...]) -> None:
    if isinstance(alerts, Mapping):
        unknown = sorted(name for name, rule in alerts.items() if name not in statistics and rule != "none")
        if unknown:
            raise ValueError(f"{where} on statistics that are not computed: {', '.join(unknown)}")


class MonitorConfig(BaseModel):
    """One monitor, with the `defaults` section already applied."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: MonitorName
    description: str = ""
    enabled: bool = True
    source: SourceConfig
    timestamp_column: ColumnName
    columns: list[ColumnConfig] = Field(min_length=1)
    reference: ReferenceConfig
    window: WindowSettings
    schedule: ScheduleSettings | None = Field(None, description="default: every window size")
    alpha: float = Field(DEFAULT_ALPHA, gt=0, allow_inf_nan=False, description="additive smoothing")
    statistics: tuple[Statistic, ...] = Field(get_args(Statistic), min_length=1)
    min_samples: int = Field(DEFAULT_MIN_SAMPLES, ge=1)
    timeout: PositiveDuration = DEFAULT_TIMEOUT
    takeover_after: PositiveDuration | None = Field(
        None,
        description="a window claimed this long ago and still running lost its process and is run "
        "again by another; longer than timeout; default twice the timeout",
    )
    bins: BinDefaults = BinDefaults()
    alerts: AlertSettings = Field(
        default_factory=dict, description="rules over the default policy; `none` turns alerts off"
    )
    metrics: Literal["default", "full"] = Field(
        "default",
        description="series on /metrics: `default` (the alerted statistics) or `full` (docs/metrics.md)",
    )

    @field_validator("statistics")
    @classmethod
    def _unique_statistics(cls, stats: tuple[str, ...]) -> tuple[str, ...]:
        repeated = sorted({s for s in stats if stats.count(s) > 1})
        if repeated:
            raise ValueError(f"statistics listed twice: {', '.join(repeated)}")
        return stats

    @model_validator(mode="after")
    def _consistent(self) -> MonitorConfig:
        names = [c.name for c in self.columns]
        repeated = sorted(n for n, count in Counter(names).items() if count > 1)
        if repeated:
            raise ValueError(f"columns listed twice: {', '.join(repr(n) for n in repeated)}")
        if self.timestamp_column in names:
            raise ValueError(
                f"the timestamp column {self.timestamp_column!r} cannot also be a watched column"
            )
        if self.cron is not None and self.window.grid is not None:
            what = (
                f"calendar windows ({self.window.label})"
                if isinstance(self.window.size, CalendarSize)
                else f"windows in time zone {self.window.timezone}"
            )
            raise ValueError(
                f"schedule.cron does not combine with {what}: cron windows end at its UTC instants, "
                "these end at their calendar boundaries; leave out schedule (one run per window) "
                "or give schedule.interval"
            )
        if self.takeover_after is not None and self.takeover_after <= self.timeout:
            raise ValueError(
                f"takeover_after ({format_duration(self.takeover_after)}) must be longer than timeout "
                f"({format_duration(self.timeout)}): a run may legitimately hold its window that long, "
                "and taking it over earlier would compute the window twice"
            )
        ref = self.reference
        if isinstance(self.source, SqlSourceConfig) and ref.path is not None:
            raise ValueError("reference 'path' needs a file source; a sql source takes 'table' or 'query'")
        if isinstance(self.source, FileSourceConfig) and (ref.table or ref.query):
            raise ValueError(
                "reference 'table'/'query' need a sql source (or a spark one); a file source takes 'path'"
            )
        if isinstance(self.source, FileSourceConfig) and ref.format not in (None, "parquet", "csv"):
            raise ValueError(
                f"reference format {ref.format!r} needs a spark source; files are parquet or csv"
            )
        if isinstance(self.source, SparkSourceConfig) and ref.table_schema is not None:
            raise ValueError(
                "a spark reference names its table whole (db.table); 'schema' is for sql sources"
            )
        if isinstance(self.source, SparkSourceConfig) and ref.format == "csv":
            raise ValueError("a spark source reads parquet, delta, iceberg or orc paths, not csv")
        _computed("alerts", self.alerts, self.statistics)
        inherited_checked = False  # every column without alerts of its own gets the same rules
        for i, column in enumerate(self.columns):
            if not column.alerts:
                if inherited_checked:
                    continue
                inherited_checked = True
            _computed(f"columns[{i}] ({column.name!r}): alerts", column.alerts, self.statistics)
            try:
                effective_alert_rules(self.alerts, column.alerts, self.statistics)
            except ValueError as exc:
                raise ValueError(f"columns[{i}] ({column.name!r}) alerts after merging: {exc}") from None
        return self

    @property
    def takeover(self) -> timedelta:
        """How long after its claim a window still `running` is taken over (its process died)."""
        if self.takeover_after is not None:
            return self.takeover_after
        return DEFAULT_TAKEOVER_TIMEOUTS * self.timeout

    @property
    def schedule_interval(self) -> timedelta | None:
        """The run interval (the window size unless a schedule says otherwise).

        None when runs follow cron instants, or window ends (calendar and time-zone windows
        without a schedule: one run per window, `delay` after it closes).
        """
        if self.schedule is None:
            return self.uniform_window
        return self.schedule.interval

    @property
    def uniform_window(self) -> timedelta | None:
        """The size shared by every window when windows are aligned to the epoch; None otherwise.

        None for a cron schedule (windows end at its instants) and for calendar and time-zone
        windows (months, and days across daylight-saving changes, differ in length).
        """
        if self.cron is not None or self.window.grid is not None:
            return None
        size = self.window.size
        assert isinstance(size, timedelta)  # a size without a grid is a fixed length
        return size

    @property
    def cron(self) -> str | None:
        return self.schedule.cron if self.schedule is not None else None

    @property
    def source_description(self) -> str:
        return self.source.description

    def column(self, name: str) -> ColumnConfig:
        """Return the configured column `name`."""
        for column in self.columns:
            if column.name == name:
                return column
        known = ", ".join(repr(c.name) for c in self.columns)
        raise KeyError(f"monitor {self.name!r} has no column {name!r}; its columns are {known}")

    def column_settings(self, name: str) -> ColumnSettings:
        """Return the effective settings of column `name`: monitor defaults merged with its overrides."""
        column = self.column(name)
        bins = column.bins
        return ColumnSettings(
            name=column.name,
            kind=column.kind,
            role=column.role,
            method=bins.method or self.bins.method,
            n_bins=bins.n_bins or self.bins.n_bins,
            edges=bins.edges,
            top_k=bins.top_k or self.bins.top_k,
            coverage=bins.coverage or self.bins.coverage,
            alpha=self.alpha,
            min_samples=column.min_samples or self.min_samples,
            statistics=tuple(self.statistics),
            alerts=effective_alert_rules(self.alerts, column.alerts, self.statistics),
        )

    def all_column_settings(self) -> list[ColumnSettings]:
        """Return the effective settings of every column, in config order."""
        return [self.column_settings(c.name) for c in self.columns]

    def reference_source(self) -> SourceConfig:
        """Return the source the reference is read from (the monitor's own unless it names other data)."""
        ref = self.reference
        if isinstance(self.source, SqlSourceConfig) and (ref.table or ref.query):
            return self.source.with_target(ref.table, ref.table_schema, ref.query)
        if isinstance(self.source, FileSourceConfig) and ref.path:
            fmt = ref.format if ref.format in ("parquet", "csv") else None  # others refused above
            return self.source.with_path(ref.path, fmt)
        if isinstance(self.source, SparkSourceConfig) and (ref.table or ref.query or ref.path):
            return self.source.with_target(ref.table, ref.query, ref.path, ref.format)
        return self.source

    @property
    def reference_timestamp_column(self) -> str | None:
        """Return the timestamp column the reference is filtered on; None when it is every row."""
        return None if self.reference.whole_source else self.timestamp_column

    @property
    def own_reference_end(self) -> datetime | None:
        """Return the end of a fixed reference range read from the live source itself, else None.

        None for other data (a training set, with or without a range) and for a rolling reference.
        """
        ref = self.reference
        if ref.mode == "rolling" or ref.end is None or self.reference_source() != self.source:
            return None
        return ref.end

    def config_hash(self) -> str:
        """Return a SHA-256 of the effective settings, secrets left out (passwords change nothing)."""
        # What /metrics exports changes no result, so `metrics` is left out. Durations, window
        # sizes and timestamps are dumped as text by their serialisers (types.py).
        data = self.model_dump(mode="python", by_alias=True, exclude={"metrics"})
        if self.takeover_after is None:
            del data["takeover_after"]  # unset: the hashes of existing configs stay as they were
        if isinstance(self.source, SqlSourceConfig):
            data["source"]["url"] = redact_url(self.source.url.get_secret_value())
        if isinstance(self.source, SparkSourceConfig):
            data["source"]["master"] = redact_spark_master(self.source.master)
            data["source"]["conf"] = {
                k: "***" if secret_conf_key(k) else v for k, v in self.source.conf.items()
            }
        text = json.dumps(data, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()


# Keys a `defaults:` section may set for every monitor: all but its identity and columns.
MONITOR_DEFAULT_KEYS = frozenset(MonitorConfig.model_fields) - {"name", "description", "columns"}
