"""Hostile and broken config files: each is refused with what is wrong and where, fast and in little memory.

Both YAML loaders (libyaml's and the pure-Python one) are run on every case, and `driftmon
check-config` must say the same thing with exit status 1 and no traceback.
"""

from __future__ import annotations

import textwrap
import tracemalloc
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from driftmon.cli import main
from driftmon.config import load_config, yamlfile
from driftmon.errors import ConfigError

from .hostile import BILLION_LAUGHS, hostile

LOADERS = [
    pytest.param(yaml.SafeLoader, id="pure-python"),
    pytest.param(
        getattr(yaml, "CSafeLoader", None),
        id="libyaml",
        marks=pytest.mark.skipif(not getattr(yaml, "__with_libyaml__", False), reason="no libyaml"),
    ),
]


def monitor_with(**settings: str) -> str:
    """Return a config of one valid monitor, with `settings` (YAML text) changed or added."""
    keys = {
        "source": '{kind: sql, url: "sqlite:///orders.sqlite", table: orders}',
        "timestamp_column": "ts",
        "reference": "{start: 2024-01-01, end: 2024-02-01}",
        "window": "{size: 1h}",
        "columns": "[amount, {name: country, kind: categorical}]",
    }
    keys.update(settings)
    return "monitors:\n  - name: orders\n" + "".join(f"    {k}: {v}\n" for k, v in keys.items())


GOOD = monitor_with()
CASES = hostile(GOOD)


@pytest.fixture(params=LOADERS)
def loader(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setattr(yamlfile, "_LOADER", request.param)
    return request.param


def write(path: Path, content: bytes | None) -> Path:
    if content is not None:
        path.write_bytes(content)
    return path


def refusal(path: Path) -> str:
    with pytest.raises(ConfigError) as exc:
        load_config(path, {})
    return str(exc.value)


@pytest.mark.usefixtures("loader")
def test_the_good_file_loads(tmp_path: Path) -> None:
    assert [m.name for m in load_config(write(tmp_path / "c.yaml", GOOD.encode()), {}).monitors] == ["orders"]


@pytest.mark.usefixtures("loader")
@pytest.mark.parametrize("case", list(CASES))
def test_each_hostile_file_is_refused_naming_file_and_line(tmp_path: Path, case: str) -> None:
    content, says = CASES[case]
    path = write(tmp_path / "c.yaml", content)
    message = refusal(path)
    assert says in message
    assert message.startswith(f"invalid configuration: {path}")


@pytest.mark.usefixtures("loader")
@pytest.mark.parametrize("case", list(CASES))
def test_check_config_says_why_with_status_1_and_no_traceback(tmp_path: Path, case: str) -> None:
    content, says = CASES[case]
    path = write(tmp_path / "c.yaml", content)
    result = CliRunner().invoke(main, ["check-config", "-c", str(path)])
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert says in result.stderr
    assert "Traceback" not in result.output


def refusal_and_peak_memory(path: Path) -> tuple[str, int]:
    """The loader's refusal of `path` and the peak memory (bytes) traced while it read the file."""
    tracemalloc.start()
    try:
        message = refusal(path)
        return message, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.usefixtures("loader")
def test_an_alias_bomb_fails_in_little_memory(tmp_path: Path) -> None:
    # Expanded, the bomb is 387 million values (tens of GB as driftmon's nodes).
    path = write(tmp_path / "c.yaml", (GOOD + BILLION_LAUGHS + "\n").encode())
    message, peak = refusal_and_peak_memory(path)
    assert "alias bomb" in message
    assert peak < 64e6, f"{peak / 1e6:.0f} MB"


@pytest.mark.usefixtures("loader")
def test_a_merge_key_bomb_fails_too(tmp_path: Path) -> None:
    # Merge keys double the pairs at each level; here the mapping of each level is a key (never
    # walked as a value), so only the count of merged pairs stops it.
    levels = ["? &m0 {" + ", ".join(f"k{i}: {i}" for i in range(8)) + "}\n: x"]
    levels += [f"? &m{i} {{<<: [*m{i - 1}, *m{i - 1}]}}\n: x" for i in range(1, 40)]
    text = "x-keys:\n" + textwrap.indent("\n".join(levels), "  ") + "\nx-last: {<<: *m39}\n"
    path = write(tmp_path / "c.yaml", (GOOD + text).encode())
    message, peak = refusal_and_peak_memory(path)
    assert "aliases and merge keys repeat more than 250,000 values" in message
    assert peak < 64e6, f"{peak / 1e6:.0f} MB"


@pytest.mark.usefixtures("loader")
def test_aliases_sharing_settings_across_many_monitors_still_load(tmp_path: Path) -> None:
    # The first monitor's source, reference, window and 20 columns aliased into 399 more: about
    # 27,500 repeated values.
    columns = ", ".join(f"{{name: f{c}, kind: numeric}}" for c in range(20))
    first = (
        "  - name: m0\n"
        "    source: &source {kind: file, path: data}\n"
        "    timestamp_column: ts\n"
        "    reference: &reference {path: ref.parquet}\n"
        "    window: &window {size: 1h, delay: 5m}\n"
        f"    columns: &columns [{columns}]\n"
    )
    others = "".join(
        f"  - {{name: m{m}, source: *source, timestamp_column: ts, reference: *reference, "
        "window: *window, columns: *columns}\n"
        for m in range(1, 400)
    )
    path = write(tmp_path / "c.yaml", ("monitors:\n" + first + others).encode())
    monitors = load_config(path, {}).monitors
    assert len(monitors) == 400
    assert [c.name for c in monitors[399].columns] == [f"f{c}" for c in range(20)]
    assert monitors[399].source.path == str(tmp_path / "data")  # type: ignore[union-attr]


@pytest.mark.usefixtures("loader")
@pytest.mark.parametrize(
    ("text", "says"),
    [
        pytest.param("a: &x [1, *x]\n", ":1: a[1]: recursive alias: the value anchored at line 1", id="list"),
        pytest.param("a: &x {b: {c: *x}}\n", ":1: a.b.c: recursive alias", id="mapping"),
        pytest.param("a: &x {<<: *x}\n", ":1: a: recursive alias", id="merge of itself"),
        pytest.param("a: &x {b: {<<: *x}}\n", ":1: a.b: recursive alias", id="merge of its parent"),
        pytest.param("a: 1\nb: 2024-02-30\n", ":2: b: cannot read '2024-02-30' as timestamp", id="bad date"),
        pytest.param("a: !!int abc\n", ":1: a: cannot read 'abc' as int", id="bad int"),
        pytest.param("a: !!bool maybe\n", ":1: a: cannot read 'maybe' as bool", id="bad bool"),
        pytest.param("a: !!timestamp soon\n", ":1: a: cannot read 'soon' as timestamp", id="bad timestamp"),
        pytest.param("a: 1" + "0" * 5000 + "\n", ":1: a: cannot read '1000", id="5,000 digits"),
        pytest.param("? 2024-02-30\n: x\n", ":1: top level: cannot read '2024-02-30' as", id="bad date key"),
        pytest.param("a: 1\nb: [\x01]\n", ":2: not valid YAML: character #x0001", id="control character"),
        pytest.param("# nothing\n", "the file is empty (write `{}`", id="comments only"),
        pytest.param("a: " + "[" * 100 + "]" * 100 + "\n", "nested more than 64 levels deep", id="100 deep"),
        pytest.param("a: " + "[" * 3000 + "]" * 3000 + "\n", "nest", id="3,000 deep"),
    ],
)
def test_yaml_the_loaders_cannot_build_is_refused_with_its_place(
    tmp_path: Path, text: str, says: str
) -> None:
    assert says in refusal(write(tmp_path / "c.yaml", text.encode()))


@pytest.mark.parametrize(
    ("settings", "says"),
    [
        (
            {"window": "{size: 99999999999999999999d}"},
            "invalid duration '99999999999999999999d': out of range",
        ),
        ({"window": "{size: 36526d}"}, "out of range; at most 36525d (100 years)"),
        ({"window": "{size: 1h, delay: 999999999w}"}, "window.delay (monitor 'orders'): invalid duration"),
        ({"timeout": "9" * 5000 + "s"}, "timeout (monitor 'orders'): invalid duration '999"),
        ({"reference": "{start: '9999-12-31T23:00:00-05:00', end: 2024-02-01}"}, "is out of range in UTC"),
        ({"reference": "{start: 0001-01-01T00:00:00+05:00, end: 2024-02-01}"}, "is out of range in UTC"),
        (
            {"window": "{size: 1d, timezone: " + "x" * 300 + "}"},
            "window.timezone (monitor 'orders'): unknown time zone",
        ),
    ],
)
def test_values_out_of_range_are_validation_problems(
    tmp_path: Path, settings: dict[str, str], says: str
) -> None:
    text = monitor_with(**settings)
    (key,) = settings
    line = next(i for i, t in enumerate(text.splitlines(), 1) if t.startswith(f"    {key}:"))
    message = refusal(write(tmp_path / "c.yaml", text.encode()))
    assert says in message
    assert f"c.yaml:{line}: monitors[0].{key}" in message


def test_the_longest_duration_is_accepted(tmp_path: Path) -> None:
    path = write(tmp_path / "c.yaml", monitor_with(window="{size: 36525d}").encode())
    assert load_config(path, {}).monitors[0].window.size.days == 36525
