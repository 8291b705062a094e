"""driftmon.config: the validated configuration (pydantic models, extra keys refused) and load_config()."""

from __future__ import annotations

from driftmon.config.alerts import (
    DEFAULT_SIGNIFICANCE_LEVEL,
    AlertRule,
    EffectiveAlertRule,
    Statistic,
)
from driftmon.config.calendar import CalendarGrid, CalendarSize
from driftmon.config.columns import (
    BinDefaults,
    BinSettings,
    ColumnConfig,
    ColumnKind,
    ColumnSettings,
)
from driftmon.config.cron import cron_trigger
from driftmon.config.loader import load_config
from driftmon.config.monitor import MonitorConfig, ScheduleSettings, WindowSettings
from driftmon.config.service import (
    DEFAULT_DATABASE_URL,
    Config,
    DatabaseSettings,
    LoggingSettings,
    NotifierSettings,
    SchedulerSettings,
    ServerSettings,
)
from driftmon.config.sources import (
    FileSourceConfig,
    ReferenceConfig,
    SourceConfig,
    SparkSourceConfig,
    SqlSourceConfig,
)
from driftmon.config.types import (
    as_utc,
    format_duration,
    format_window_size,
    parse_duration,
    parse_window_size,
)

__all__ = [
    "DEFAULT_DATABASE_URL",
    "DEFAULT_SIGNIFICANCE_LEVEL",
    "AlertRule",
    "BinDefaults",
    "BinSettings",
    "CalendarGrid",
    "CalendarSize",
    "ColumnConfig",
    "ColumnKind",
    "ColumnSettings",
    "Config",
    "DatabaseSettings",
    "EffectiveAlertRule",
    "FileSourceConfig",
    "LoggingSettings",
    "MonitorConfig",
    "NotifierSettings",
    "ReferenceConfig",
    "ScheduleSettings",
    "SchedulerSettings",
    "ServerSettings",
    "SourceConfig",
    "SparkSourceConfig",
    "SqlSourceConfig",
    "Statistic",
    "WindowSettings",
    "as_utc",
    "cron_trigger",
    "format_duration",
    "format_window_size",
    "load_config",
    "parse_duration",
    "parse_window_size",
]
