"""Page addresses: windows named by their end, `?at=` as ISO 8601 or Grafana's Unix milliseconds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from driftmon.pages import column_path, format_instant, parse_instant


def test_column_paths_quote_names_and_name_the_window_by_its_end() -> None:
    end = datetime(2026, 3, 2, 13, tzinfo=UTC)
    assert column_path("checkout fraud", "a/b") == "/monitors/checkout%20fraud/columns/a%2Fb"
    assert (
        column_path("m", "x", window_end=end, statistic="psi", history=24)
        == "/monitors/m/columns/x?window=2026-03-02T13:00:00Z&statistic=psi&n=24"
    )


@pytest.mark.parametrize(
    "text",
    ["2026-03-02T13:00:00Z", "2026-03-02T13:00:00", "2026-03-02T14:00:00 01:00", "1772456400000"],
)
def test_instants_from_iso_text_or_unix_milliseconds(text: str) -> None:
    assert parse_instant(text) == datetime(2026, 3, 2, 13, tzinfo=UTC)


def test_format_and_parse_round_trip_in_utc() -> None:
    moment = datetime(2026, 3, 2, 15, 30, tzinfo=timezone(timedelta(hours=2)))
    assert format_instant(moment) == "2026-03-02T13:30:00Z"
    assert parse_instant(format_instant(moment)) == moment


def test_a_malformed_instant_names_the_text_and_the_formats() -> None:
    with pytest.raises(
        ValueError, match=r"'yesterday' is not a time: write ISO 8601 .* or Unix milliseconds"
    ):
        parse_instant("yesterday")


@pytest.mark.parametrize("text", ["99999999999999999999", "9" * 400, "9" * 5000])
def test_milliseconds_beyond_the_calendar_are_a_value_error_not_a_crash(text: str) -> None:
    with pytest.raises(ValueError, match="out of range: Unix milliseconds must fall in years 1 to 9999"):
        parse_instant(text)
