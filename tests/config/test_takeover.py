"""`takeover_after`: when a window whose process died is run again elsewhere, and what is refused."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from driftmon.config import load_config
from driftmon.errors import ConfigValidationError

CONFIG = """\
defaults:
  DEFAULTS
monitors:
  - name: orders
    source: {kind: file, path: orders.parquet}
    timestamp_column: ts
    reference: {start: 2024-01-01, end: 2024-02-01}
    window: {size: 1h}
    columns: [amount]
    MONITOR
"""


def _write(tmp_path: Path, defaults: str = "{}", monitor: str = "") -> Path:
    path = tmp_path / "driftmon.yaml"
    text = CONFIG.replace("DEFAULTS", defaults) if defaults != "{}" else CONFIG.replace("  DEFAULTS", "  {}")
    path.write_text(text.replace("MONITOR", monitor))
    return path


def test_the_default_is_twice_the_timeout(tmp_path: Path) -> None:
    (plain,) = load_config(_write(tmp_path), {}).monitors
    assert plain.takeover_after is None
    assert plain.takeover == timedelta(minutes=10)
    (slow,) = load_config(_write(tmp_path, monitor="timeout: 20m"), {}).monitors
    assert slow.takeover == timedelta(minutes=40)


def test_set_in_defaults_or_per_monitor(tmp_path: Path) -> None:
    (inherited,) = load_config(_write(tmp_path, defaults="takeover_after: 90s\n  timeout: 1m"), {}).monitors
    assert inherited.takeover == timedelta(seconds=90)
    (own,) = load_config(
        _write(tmp_path, defaults="takeover_after: 90s", monitor="takeover_after: 7m"), {}
    ).monitors
    assert own.takeover == timedelta(minutes=7)


def test_setting_it_changes_the_config_hash(tmp_path: Path) -> None:
    (plain,) = load_config(_write(tmp_path), {}).monitors
    (set_,) = load_config(_write(tmp_path, monitor="takeover_after: 10m"), {}).monitors
    assert plain.config_hash() != set_.config_hash()


@pytest.mark.parametrize(
    ("defaults", "monitor", "expected"),
    [
        ("{}", "takeover_after: 5m", "takeover_after (5m) must be longer than timeout (5m)"),
        ("{}", "takeover_after: 1m", "takeover_after (1m) must be longer than timeout (5m)"),
        # A monitor's longer timeout is checked against the inherited takeover.
        ("takeover_after: 6m", "timeout: 10m", "takeover_after (6m) must be longer than timeout (10m)"),
        ("{}", "takeover_after: 0s", "monitors[0].takeover_after"),
        ("{}", "takeover_after: -5m", "monitors[0].takeover_after"),
    ],
)
def test_a_takeover_a_live_run_could_outlast_is_refused(
    tmp_path: Path, defaults: str, monitor: str, expected: str
) -> None:
    with pytest.raises(ConfigValidationError) as exc:
        load_config(_write(tmp_path, defaults=defaults, monitor=monitor), {})
    problems = "\n".join(str(p) for p in exc.value.problems)
    assert expected in problems
    assert "orders" in problems or "monitors[0]" in problems
