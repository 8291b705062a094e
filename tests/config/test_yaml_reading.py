"""Reading YAML config files: libyaml and pure-Python loading agree, and lines stay right in large files."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml

from driftmon.config import load_config, yamlfile
from driftmon.config.yamlfile import FileReading, Node, read_config_file
from driftmon.errors import ConfigError, ConfigValidationError, UnsetVariableError

LIBYAML = bool(getattr(yaml, "__with_libyaml__", False))
# Monitors in the large files: libyaml reads a thousand quickly, the pure-Python parser is slower.
LARGE = {"libyaml": 1000, "pure-python": 300}
LOADERS = [
    pytest.param(yaml.SafeLoader, id="pure-python"),
    pytest.param(
        getattr(yaml, "CSafeLoader", None),
        id="libyaml",
        marks=pytest.mark.skipif(not LIBYAML, reason="PyYAML was built without libyaml"),
    ),
]

# Scalars of every implicit type, quoted twins of plain ones (a quoted `123` stays text),
# explicit tags, anchors, aliases, merge keys, the `=` value key, block and flow styles.
RICH = r"""
# a comment
x-common: &common
  alpha: 0.5
  enabled: yes
  min_samples: 0x10
x-window: &window {size: 1h, delay: 5m}
database: {url: "${DB_URL}", retention_days: "${DAYS:-14}"}
server:
  api_token: ${TOKEN}
  public_url: "https://x.example/$${literal}/${HOST:-localhost}"
scalars:
  int: 123
  quoted_int: "123"
  single_quoted: '123'
  negative: -7
  octal: 0o17
  old_octal: 017
  sexagesimal: 1:30
  float: 1.5e+3
  dot_float: .5
  inf: -.inf
  nan: .nan
  true: true
  yes_word: Yes
  off_word: off
  null_word: null
  tilde: ~
  empty:
  date: 2024-01-01
  timestamp: 2024-01-01T10:00:00+02:00
  binary: !!binary aGVsbG8=
  str_tag: !!str 123
  int_tag: !!int "42"
  float_tag: !!float "1"
  text: plain text:with a colon # and a comment
  literal: |
    two
    lines
  folded: >-
    one
    line
  unicode: "caf\u00e9 \U0001F600"
  "123": numeric-looking key
  123: integer key
  =: value key
  list: [1, "1", one, 1.0, ~, [nested, {a: 1}]]
monitors:
  - name: first
    <<: *common
    source: {kind: file, path: data/first.parquet}
    reference: {path: /abs/reference.parquet}
    window: *window
    columns: [a, {name: b, kind: numeric}]
  - <<: [*common, {description: merged}]
    name: second
    source: {kind: file, path: "${DATA_DIR}/second.parquet"}
    reference: {path: "ref/${MISSING}.parquet"}
    window:
      <<: *window
    columns:
      - name: c
        alerts: {psi: {warning: 0.1}}
"""
RICH_ENV = {"DB_URL": "postgresql://app:${PW}@db/x", "TOKEN": "tok-secret", "DATA_DIR": "/data"}


def located(node: Node) -> Any:
    """Return the tree as plain values paired with their lines, for comparing trees."""
    if isinstance(node.value, dict):
        return node.line, {k: located(v) for k, v in node.value.items()}
    if isinstance(node.value, list):
        return node.line, [located(v) for v in node.value]
    return node.line, type(node.value).__name__, node.value


def text_keys_only(value: Any) -> Any:
    """Return `value` without the mapping entries whose keys are not text (the reader refuses them)."""
    if isinstance(value, dict):
        return {k: text_keys_only(v) for k, v in value.items() if isinstance(k, str)}
    if isinstance(value, list):
        return [text_keys_only(v) for v in value]
    return value


def line_of(text: str, fragment: str) -> int:
    """Return the 1-based line of the only line holding `fragment`."""
    lines = [i for i, line in enumerate(text.splitlines(), 1) if fragment in line]
    assert len(lines) == 1, (fragment, lines)
    return lines[0]


def read_with(
    monkeypatch: pytest.MonkeyPatch, loader: Any, path: Path, env: dict[str, str]
) -> tuple[Node, FileReading]:
    monkeypatch.setattr(yamlfile, "_LOADER", loader)
    return read_config_file(path, env)


def error_with(monkeypatch: pytest.MonkeyPatch, loader: Any, path: Path, env: dict[str, str]) -> list[str]:
    """Return the error's class and problems when load_config reads `path` with `loader`."""
    monkeypatch.setattr(yamlfile, "_LOADER", loader)
    with pytest.raises(ConfigError) as exc:
        load_config(path, env)
    return [type(exc.value).__name__, *(str(p) for p in exc.value.problems)]


def write(tmp_path: Path, text: str, name: str = "driftmon.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_the_fast_loader_is_used_when_pyyaml_has_libyaml() -> None:
    assert yamlfile._LOADER is (yaml.CSafeLoader if LIBYAML else yaml.SafeLoader)


@pytest.mark.parametrize("loader", LOADERS)
def test_values_are_what_pyyaml_safe_load_reads(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, loader: Any
) -> None:
    # Without `${...}`, source paths, URLs or a token, reading changes no value: the plain tree is
    # PyYAML's own safe_load (keys that are not text are refused, with their line).
    text = RICH[: RICH.index("database:")] + RICH[RICH.index("scalars:") : RICH.index("monitors:")]
    path = write(tmp_path, text)
    tree, reading = read_with(monkeypatch, loader, path, {})
    expected = yaml.safe_load(text)
    assert tree.plain() == text_keys_only(expected)
    assert tree.plain()["scalars"]["quoted_int"] == "123"
    assert tree.plain()["scalars"]["int"] == 123
    assert [str(p) for p in reading.problems] == [
        f"{path}:{line_of(text, 'true: true')}: scalars: keys must be text, got True",
        f"{path}:{line_of(text, '123: integer key')}: scalars: keys must be text, got 123",
    ]


@pytest.mark.skipif(not LIBYAML, reason="PyYAML was built without libyaml")
def test_libyaml_and_pure_python_read_the_same_tree(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    path = write(tmp_path, RICH)
    fast, fast_reading = read_with(monkeypatch, yaml.CSafeLoader, path, RICH_ENV)
    pure, pure_reading = read_with(monkeypatch, yaml.SafeLoader, path, RICH_ENV)
    assert located(fast) == located(pure)
    assert fast.plain() == pure.plain()
    assert reading_of(fast_reading) == reading_of(pure_reading)
    # and the tree is what the reader promises: substituted, resolved, located
    monitors = fast.value["monitors"].value
    assert monitors[0].value["source"].value["path"].value == str(tmp_path / "data/first.parquet")
    assert monitors[0].value["alpha"].value == 0.5  # merged from the anchor
    assert monitors[1].value["description"].value == "merged"
    assert monitors[1].value["window"].plain() == {"size": "1h", "delay": "5m"}
    assert monitors[1].value["source"].value["path"].value == "/data/second.parquet"
    assert fast.value["server"].value["public_url"].value == "https://x.example/${literal}/localhost"
    assert fast.value["scalars"].value["="].value == "value key"
    assert fast.value["monitors"].value[0].value["columns"].value[1].line == line_of(RICH, "{name: b, kind")
    assert fast_reading.unset == [
        ("MISSING", str(path), line_of(RICH, "${MISSING}"), "monitors[1].reference.path")
    ]
    assert fast_reading.secrets == {"postgresql://app:${PW}@db/x", "tok-secret", "/data"}


def reading_of(reading: FileReading) -> tuple[Any, ...]:
    return sorted(reading.secrets), reading.unset, [str(p) for p in reading.problems]


BAD_FILES = [
    pytest.param("server:\n  port: 1\n  port: 2\n", id="duplicate key"),
    pytest.param("monitors:\n  - name: a\n    columns: [x]\n    columns: [y]\n", id="duplicate nested key"),
    pytest.param("server: !!python/object:os.system {}\n", id="unsupported container tag"),
    pytest.param("server: {port: !!python/name:os.system 1}\n", id="unknown scalar tag"),
    pytest.param("- a\n- b\n", id="top level list"),
    pytest.param("just text\n", id="top level scalar"),
    pytest.param("a: &x {b: 1}\nc: {<<: 5}\n", id="merge of a scalar"),
    pytest.param("a: {<<: [1]}\n", id="merge of a list of scalars"),
    pytest.param("x: &w {size: 1h}\nwindow:\n  <<: *w\n  size: 2h\n", id="merged key written again"),
    pytest.param("server: {port: '${PORT}'}\nmonitors: [{name: '${NAME}'}]\n", id="unset variables"),
    pytest.param("server: {public_url: 'https://${HOST'}\n", id="malformed reference"),
    pytest.param(
        'database: {url: "postgresql://app:hunter22@db/x"}\nserver: {api_token: plain}\n',
        id="secrets in file",
    ),
    pytest.param("server: {port: eighty}\n[1]: x\n", id="bad value and key"),
]


@pytest.mark.skipif(not LIBYAML, reason="PyYAML was built without libyaml")
@pytest.mark.parametrize("text", BAD_FILES)
def test_libyaml_and_pure_python_report_the_same_errors(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, text: str
) -> None:
    path = write(tmp_path, text)
    fast = error_with(monkeypatch, yaml.CSafeLoader, path, {})
    pure = error_with(monkeypatch, yaml.SafeLoader, path, {})
    assert fast == pure
    assert all(str(path) in problem for problem in fast[1:])


@pytest.mark.skipif(not LIBYAML, reason="PyYAML was built without libyaml")
@pytest.mark.parametrize(
    "text", ["monitors: [\n", "a: b: c\n", "a:\n  - x\n b: 1\n", "a: 'open\n", "a: *nowhere\n"]
)
def test_syntax_errors_name_the_file_and_line_with_either_loader(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, text: str
) -> None:
    # The two parsers word their complaints differently; both say where.
    path = write(tmp_path, text)
    for loader in (yaml.CSafeLoader, yaml.SafeLoader):
        problems = error_with(monkeypatch, loader, path, {})
        assert problems[0] == "ConfigSyntaxError"
        assert problems[1].startswith(f"{path}:")
        assert "not valid YAML" in problems[1]


def large(loader: Any) -> int:
    return LARGE["pure-python" if loader is yaml.SafeLoader else "libyaml"]


def dump(data: dict[str, Any]) -> str:
    """Write `data` as block-style YAML, one value a line (PyYAML's dumper takes seconds for large files)."""

    def scalar(value: Any) -> str:
        return value if isinstance(value, str) else json.dumps(value)

    def block(value: Any, indent: str) -> list[str]:
        lines: list[str] = []
        if isinstance(value, dict):
            for key, item in value.items():
                if isinstance(item, dict | list) and item:
                    lines += [f"{indent}{key}:", *block(item, indent + "  ")]
                else:
                    lines.append(f"{indent}{key}: {scalar(item)}")
            return lines
        for item in value:
            nested = (
                block(item, indent + "  ")
                if isinstance(item, dict | list)
                else [indent + "  " + scalar(item)]
            )
            lines += [f"{indent}- {nested[0].lstrip()}", *nested[1:]]
        return lines

    text = "\n".join(block(data, "")) + "\n"
    return text


def big_config(n_monitors: int, n_columns: int) -> dict[str, Any]:
    return {
        "defaults": {
            "source": {"kind": "file"},
            "timestamp_column": "event_time",
            "window": {"size": "1h"},
            "alerts": {"psi": {"warning": 0.1, "critical": 0.25}},
        },
        "monitors": [
            {
                "name": f"monitor_{m:04d}",
                "source": {"path": f"data/{m}"},
                "reference": {"path": "reference.parquet"},
                "columns": [{"name": f"feature_{c:02d}", "kind": "numeric"} for c in range(n_columns)],
            }
            for m in range(n_monitors)
        ],
    }


@pytest.mark.parametrize("loader", LOADERS)
def test_lines_and_paths_are_right_deep_in_a_large_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, loader: Any
) -> None:
    n = large(loader)
    data = big_config(n, 8)
    data["monitors"][n - 63]["columns"][3]["kind"] = "numerical"
    data["monitors"][n - 10]["window"] = {"size": "1 hour"}
    data["monitors"][n - 1]["columns"][7]["bins"] = {"n_bin": 5}
    text = dump(data)
    path = write(tmp_path, text)
    problems = error_with(monkeypatch, loader, path, {})
    assert problems == [
        "ConfigValidationError",
        f"{path}:{line_of(text, 'kind: numerical')}: monitors[{n - 63}].columns[3].kind "
        f"(monitor 'monitor_{n - 63:04d}', column 'feature_03'): "
        "expected 'numeric' or 'categorical', got 'numerical'",
        f"{path}:{line_of(text, 'size: 1 hour')}: monitors[{n - 10}].window.size "
        f"(monitor 'monitor_{n - 10:04d}'): "
        "invalid duration '1 hour': unknown unit 'hour'; write 1h",
        f"{path}:{line_of(text, 'n_bin: 5')}: monitors[{n - 1}].columns[7].bins.n_bin "
        f"(monitor 'monitor_{n - 1:04d}', column 'feature_07'): unknown key 'n_bin'; did you mean 'n_bins'? "
        "(expected one of: coverage, edges, method, n_bins, top_k)",
    ]


@pytest.mark.parametrize("loader", LOADERS)
def test_a_large_file_reads_its_values_variables_and_paths(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, loader: Any
) -> None:
    data = big_config(large(loader), 10)
    data["monitors"][271]["columns"][7]["name"] = "${COLUMN}"
    data["monitors"][288]["reference"]["path"] = "${REF_DIR:-/refs}/r.parquet"
    text = dump(data)
    path = write(tmp_path, text)
    monkeypatch.setattr(yamlfile, "_LOADER", loader)
    config = load_config(path, {"COLUMN": "from_env"})
    assert len(config.monitors) == large(loader)
    assert config.monitors[271].columns[7].name == "from_env"
    assert config.monitors[0].source.path == str(tmp_path / "data/0")  # type: ignore[union-attr]
    assert config.monitors[0].reference.path == str(tmp_path / "reference.parquet")
    assert config.monitors[288].reference.path == "/refs/r.parquet"
    data["monitors"][150]["columns"][3]["name"] = "${UNSET_COLUMN}"
    path.write_text(dump(data))
    with pytest.raises(UnsetVariableError) as exc:
        load_config(path, {"COLUMN": "x"})
    assert [str(p) for p in exc.value.problems] == [
        f"{path}:{line_of(path.read_text(), '${UNSET_COLUMN}')}: monitors[150].columns[3].name: "
        "environment variable UNSET_COLUMN is not set (referenced as ${UNSET_COLUMN}); "
        "export it, or give a default with ${UNSET_COLUMN:-default}"
    ]


@pytest.mark.parametrize("loader", LOADERS)
def test_duplicate_key_deep_in_a_large_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, loader: Any
) -> None:
    text = dump(big_config(large(loader), 5))
    lines = text.splitlines()
    target = lines.index("  - name: monitor_0277")
    lines.insert(target + 1, "    name: monitor_0277")  # `name:` twice in monitors[277]
    path = write(tmp_path, "\n".join(lines) + "\n")
    assert error_with(monkeypatch, loader, path, {}) == [
        "ConfigSyntaxError",
        f"{path}:{target + 2}: monitors[277].name: key 'name' appears twice in one mapping "
        f"(lines {target + 1} and {target + 2})",
    ]


def test_plain_of_a_merged_tree_matches_its_nodes(tmp_path: Path) -> None:
    base = write(tmp_path, RICH, "base.yaml")
    override = write(
        tmp_path,
        """
        monitors:
          - name: first
            alpha: 3
            columns: [{name: a, kind: categorical}, z]
        scalars: {int: 7}
        """,
        "override.yaml",
    )
    from driftmon.config.loader import merge_trees

    trees = [read_config_file(f, RICH_ENV | {"MISSING": "m"})[0] for f in (base, override)]
    merged = merge_trees(trees)

    def rebuilt(node: Node) -> Any:
        if isinstance(node.value, dict):
            return {k: rebuilt(v) for k, v in node.value.items()}
        if isinstance(node.value, list):
            return [rebuilt(v) for v in node.value]
        return node.value

    assert merged.plain() == rebuilt(merged)
    monitor = merged.plain()["monitors"][0]
    assert monitor["alpha"] == 3
    assert monitor["columns"] == [
        {"name": "a", "kind": "categorical"},
        {"name": "b", "kind": "numeric"},
        {"name": "z"},
    ]
    assert merged.plain()["scalars"]["int"] == 7
    assert merged.plain()["scalars"]["quoted_int"] == "123"


def test_validation_problems_are_the_same_for_both_loaders_on_the_example(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    example = Path(__file__).resolve().parents[2] / "config" / "driftmon.example.yaml"
    env = {
        "DRIFTMON_API_TOKEN": "t0ken",
        "ONCALL_WEBHOOK_URL": "https://h.example/x",
        "WAREHOUSE_URL": "sqlite://",
    }
    configs = []
    for loader in (yaml.SafeLoader, getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
        monkeypatch.setattr(yamlfile, "_LOADER", loader)
        configs.append(load_config(example, env))
    assert configs[0] == configs[1]
    assert configs[0].config_hash() == configs[1].config_hash()
    with pytest.raises(ConfigValidationError):
        load_config(example, env | {"WAREHOUSE_URL": "not a url"})
