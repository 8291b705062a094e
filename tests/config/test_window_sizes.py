"""Window sizes and durations: calendar units, the ambiguous `M`, time zones, and where errors point."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from driftmon.config import (
    CalendarSize,
    MonitorConfig,
    format_window_size,
    load_config,
    parse_duration,
    parse_window_size,
)
from driftmon.errors import AmbiguousDurationError, ConfigValidationError, DurationError

CONFIG = """\
monitors:
  - name: orders
    source: {kind: file, path: orders.parquet}
    timestamp_column: ts
    reference: {start: 2024-01-01, end: 2024-02-01}
    window:
      size: SIZE
      delay: DELAY
    columns: [amount]
"""


def problems(tmp_path: Path, size: str = "1mo", delay: str = "0s", extra: str = "") -> list[str]:
    path = tmp_path / "driftmon.yaml"
    path.write_text(CONFIG.replace("SIZE", size).replace("DELAY", delay) + extra)
    with pytest.raises(ConfigValidationError) as exc:
        load_config(path, {})
    return [str(p) for p in exc.value.problems]


@pytest.mark.parametrize(
    ("text", "months", "shown"),
    [
        ("1mo", 1, "1mo"),
        ("3mo", 3, "1q"),
        ("1q", 3, "1q"),
        ("2q", 6, "2q"),
        ("1y", 12, "1y"),
        ("1y6mo", 18, "6q"),
        (" 1MO ", 1, "1mo"),
        ("1Y", 12, "1y"),
    ],
)
def test_calendar_sizes(text: str, months: int, shown: str) -> None:
    size = parse_window_size(text)
    assert size == CalendarSize(months)
    assert format_window_size(size) == shown
    assert parse_window_size(shown) == size


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("1m", 60), ("10m", 600), ("1h", 3600), ("1H", 3600), ("1d", 86400), ("1D", 86400), ("2w", 1209600)],
)
def test_fixed_sizes_and_lowercase_m_is_minutes(text: str, seconds: int) -> None:
    assert parse_window_size(text) == timedelta(seconds=seconds)
    assert parse_duration(text) == timedelta(seconds=seconds)


@pytest.mark.parametrize("months", [1, 2, 3, 12, 24])
def test_longest_calendar_lengths(months: int) -> None:
    expected = {1: 31, 2: 62, 3: 92, 12: 366, 24: 731}[months]
    assert CalendarSize(months).longest == timedelta(days=expected)


def test_capital_m_is_refused_as_ambiguous_everywhere() -> None:
    with pytest.raises(AmbiguousDurationError) as exc:
        parse_window_size("1M")
    assert str(exc.value) == "'1M' is ambiguous: write 1mo for a month or 1m for a minute"
    with pytest.raises(AmbiguousDurationError) as exc:
        parse_duration("5M")
    assert str(exc.value) == "'5M' is ambiguous: write 5m for a minute (a month, 5mo, is a window size only)"
    with pytest.raises(AmbiguousDurationError):
        parse_window_size("1h30M")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1month", "invalid duration '1month': unknown unit 'month'; write 1mo"),
        ("3 mon", "invalid duration '3 mon': unknown unit 'mon'; write 3mo"),
        ("2 years", "invalid duration '2 years': unknown unit 'years'; write 2y"),
        ("1 quarter", "invalid duration '1 quarter': unknown unit 'quarter'; write 1q"),
        ("15min", "invalid duration '15min': unknown unit 'min'; write 15m"),
    ],
)
def test_spelled_out_units_get_the_unit_to_write(text: str, message: str) -> None:
    with pytest.raises(DurationError) as exc:
        parse_window_size(text)
    assert str(exc.value) == message


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("1mo2d", "cannot be combined"),
        ("0mo", "must be longer than zero"),
        ("0s", "must be longer than zero"),
        ("1201mo", "a calendar size is 1 to 1200 months"),
        ("1x", "unknown unit 'x'"),
        (
            "1.5mo",
            "expected a whole number followed by a unit s, m, h, d or w, or for a window size mo, q or y",
        ),
    ],
)
def test_bad_window_sizes(text: str, reason: str) -> None:
    with pytest.raises(DurationError, match=reason):
        parse_window_size(text)


def test_calendar_units_are_window_sizes_only() -> None:
    with pytest.raises(DurationError) as exc:
        parse_duration("1mo")
    assert str(exc.value) == (
        "invalid duration '1mo': 1mo has no fixed length; "
        "months, quarters and years are window sizes only; write days, e.g. 30d or 365d"
    )
    with pytest.raises(DurationError, match="window sizes only; write days"):
        parse_duration("1 month")


def test_ambiguous_size_names_file_line_and_path(tmp_path: Path) -> None:
    path = tmp_path / "driftmon.yaml"
    assert problems(tmp_path, size="1M") == [
        f"{path}:7: monitors[0].window.size (monitor 'orders'): "
        "'1M' is ambiguous: write 1mo for a month or 1m for a minute"
    ]
    assert problems(tmp_path, size="1h", delay="10M") == [
        f"{path}:8: monitors[0].window.delay (monitor 'orders'): "
        "'10M' is ambiguous: write 10m for a minute (a month, 10mo, is a window size only)"
    ]
    assert problems(tmp_path, delay="1mo")[0].startswith(
        f"{path}:8: monitors[0].window.delay (monitor 'orders'): "
        "invalid duration '1mo': 1mo has no fixed length"
    )


def test_time_zones(tmp_path: Path) -> None:
    path = tmp_path / "driftmon.yaml"
    text = (
        CONFIG.replace("SIZE", "1mo")
        .replace("DELAY", "1d")
        .replace("      delay: 1d\n", "      delay: 1d\n      timezone: Europe/Berln\n")
    )
    path.write_text(text)
    with pytest.raises(ConfigValidationError) as exc:
        load_config(path, {})
    assert [str(p) for p in exc.value.problems] == [
        f"{path}:9: monitors[0].window.timezone (monitor 'orders'): unknown time zone 'Europe/Berln'; "
        "expected an IANA name such as 'Europe/Berlin', 'America/New_York' or 'UTC'"
    ]
    path.write_text(text.replace("Europe/Berln", "Europe/Berlin"))
    window = load_config(path, {}).monitors[0].window
    assert window.label == "1mo Europe/Berlin"
    assert window.longest == timedelta(days=31)


def test_time_zone_needs_whole_days_and_cron_needs_fixed_utc_windows() -> None:
    base = {
        "name": "m",
        "source": {"kind": "file", "path": "x.parquet"},
        "timestamp_column": "ts",
        "reference": {"previous": "7d"},
        "columns": ["a"],
    }
    with pytest.raises(
        ValueError, match="timezone applies to windows of whole days, months, quarters or years, not 1h"
    ):
        MonitorConfig.model_validate({**base, "window": {"size": "1h", "timezone": "Europe/Berlin"}})
    with pytest.raises(ValueError, match=r"schedule\.cron does not combine with calendar windows \(1mo\)"):
        MonitorConfig.model_validate({**base, "window": {"size": "1mo"}, "schedule": {"cron": "0 0 1 * *"}})
    with pytest.raises(
        ValueError, match=r"schedule\.cron does not combine with windows in time zone Europe/Berlin"
    ):
        MonitorConfig.model_validate(
            {**base, "window": {"size": "1d", "timezone": "Europe/Berlin"}, "schedule": {"cron": "0 0 * * *"}}
        )
    utc_hourly = MonitorConfig.model_validate({**base, "window": {"size": "1h", "timezone": "UTC"}})
    assert utc_hourly.uniform_window == timedelta(hours=1)
    # A changed size or zone changes the monitor's config hash (its runs are keyed by settings).
    monthly = MonitorConfig.model_validate({**base, "window": {"size": "1mo"}})
    berlin = MonitorConfig.model_validate({**base, "window": {"size": "1mo", "timezone": "Europe/Berlin"}})
    quarterly = MonitorConfig.model_validate({**base, "window": {"size": "1q"}})
    assert len({monthly.config_hash(), berlin.config_hash(), quarterly.config_hash()}) == 3
    assert monthly.model_dump(mode="json")["window"] == {"size": "1mo", "delay": "0s", "timezone": None}
