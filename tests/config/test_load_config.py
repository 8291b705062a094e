"""load_config's housekeeping (collector, imports) and the validators made cheaper for large configs."""

from __future__ import annotations

import gc
import re
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from driftmon.config import Config, MonitorConfig, load_config
from driftmon.errors import ConfigValidationError

MONITOR = """
monitors:
  - name: orders
    source: {kind: file, path: orders.parquet}
    timestamp_column: ts
    reference: {previous: 7d}
    window: {size: 1h}
    columns: [amount]
"""


def monitor_data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "m",
        "source": {"kind": "file", "path": "x.parquet"},
        "timestamp_column": "ts",
        "reference": {"previous": "7d"},
        "window": {"size": "1h"},
        "columns": ["a"],
    }
    data.update(overrides)
    return data


@pytest.fixture
def collector_restored() -> Iterator[None]:
    enabled = gc.isenabled()
    yield
    if enabled:
        gc.enable()
    else:
        gc.disable()


@pytest.mark.usefixtures("collector_restored")
def test_load_config_leaves_the_garbage_collector_as_it_found_it(tmp_path: Path) -> None:
    good = tmp_path / "good.yaml"
    good.write_text(MONITOR)
    bad = tmp_path / "bad.yaml"
    bad.write_text(MONITOR.replace("1h", "1 hour"))
    for enabled in (True, False):
        gc.enable() if enabled else gc.disable()
        assert load_config(good, {}).monitors[0].name == "orders"
        assert gc.isenabled() is enabled
        with pytest.raises(ConfigValidationError):
            load_config(bad, {})
        assert gc.isenabled() is enabled


def test_importing_the_config_does_not_import_sqlalchemy() -> None:
    # sqlalchemy takes a third of a second to import; the config needs it only to parse URLs.
    code = textwrap.dedent(
        """
        import sys
        import driftmon.config
        assert "sqlalchemy" not in sys.modules, "driftmon.config imported sqlalchemy"
        config = driftmon.config.Config.model_validate({"database": {"url": "postgresql://u:pw@db/x"}})
        assert config.database.description == "postgresql://u:***@db/x"
        assert "sqlalchemy" in sys.modules
        """
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr


def test_password_in_a_database_url_in_the_file_is_found_without_sqlalchemy_imported_first(
    tmp_path: Path,
) -> None:
    path = tmp_path / "driftmon.yaml"
    path.write_text('database: {url: "postgresql://app:hunter22@db/x"}\n')
    code = textwrap.dedent(
        f"""
        from driftmon.config import load_config
        from driftmon.errors import ConfigValidationError
        try:
            load_config({str(path)!r}, {{}})
        except ConfigValidationError as exc:
            print(exc)
        """
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert f"{path}:1: database.url: the URL holds a password written into the file" in result.stdout
    assert "hunter22" not in result.stdout


@pytest.mark.parametrize(
    ("columns", "message"),
    [
        # the column is named whether columns without alerts of their own come before or after it
        (
            ["a", "b", "c", {"name": "d", "alerts": {"psi": {"warning": 0.5}}}, "e"],
            "columns[3] ('d') alerts after merging: warning (0.5) must not be above critical (0.2)",
        ),
        (
            [
                {"name": "a", "alerts": {"psi": {"critical": 0.3}}},
                "b",
                {"name": "c", "alerts": {"psi": {"critical": 0.05}}},
            ],
            "columns[2] ('c') alerts after merging: warning (0.1) must not be above critical (0.05)",
        ),
        (
            ["a", {"name": "b", "alerts": {"hellinger": {"warning": 0.1}}}],
            "columns[1] ('b'): alerts on statistics that are not computed: hellinger",
        ),
    ],
)
def test_merged_column_alerts_name_the_right_column(columns: list[Any], message: str) -> None:
    data = monitor_data(
        alerts={"psi": {"warning": 0.1, "critical": 0.2}},
        statistics=["psi", "js_divergence"],
        columns=columns,
    )
    with pytest.raises(ValueError, match=re.escape(message)):
        MonitorConfig.model_validate(data)


def test_every_column_without_alerts_of_its_own_gets_the_monitors_rules() -> None:
    monitor = MonitorConfig.model_validate(
        monitor_data(
            alerts={"psi": {"warning": 0.1, "critical": 0.2}},
            columns=["a", {"name": "b", "alerts": {"psi": {"critical": 0.4}}}, "c"],
        )
    )
    rules = {s.name: s.alerts["psi"] for s in monitor.all_column_settings()}
    assert (rules["a"].warning, rules["a"].critical) == (0.1, 0.2)
    assert (rules["b"].warning, rules["b"].critical) == (0.1, 0.4)
    assert rules["c"] == rules["a"]


def test_repeated_names_are_listed_once_each_in_order() -> None:
    with pytest.raises(ValueError, match=r"columns listed twice: 'a', 'b' \[type"):
        MonitorConfig.model_validate(monitor_data(columns=["b", "a", "c", "b", "a", "a"]))
    monitors = [monitor_data(name=n) for n in ("z", "y", "z", "x", "y", "z")]
    with pytest.raises(ValueError, match=r"monitor names must be unique; repeated: 'y', 'z' \[type"):
        Config.model_validate({"monitors": monitors})


@pytest.mark.parametrize(
    ("name", "bad"), [("a\tb\x01", "\t"), ("x\x7f", "\x7f"), ("line\nbreak", "\n"), ("\x1f", "\x1f")]
)
def test_the_first_control_character_of_a_column_name_is_named(name: str, bad: str) -> None:
    with pytest.raises(ValueError, match=re.escape(f"contains the control character {bad!r}")):
        MonitorConfig.model_validate(monitor_data(columns=[name]))


@pytest.mark.parametrize("name", ["tab\u00a0ok", "caf\u00e9", "\u0080x", "x" * 200, "a b"])
def test_printable_and_unicode_column_names_are_accepted(name: str) -> None:
    assert MonitorConfig.model_validate(monitor_data(columns=[name])).columns[0].name == name
