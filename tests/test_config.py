"""Config: schema, defaults, merging, variables, secrets, and errors that name file, line and path."""

from __future__ import annotations

import re
import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from pydantic import BaseModel

from driftmon.cli import main
from driftmon.config import (
    DEFAULT_DATABASE_URL,
    DEFAULT_SIGNIFICANCE_LEVEL,
    AlertRule,
    BinDefaults,
    BinSettings,
    ColumnConfig,
    Config,
    DatabaseSettings,
    FileSourceConfig,
    LoggingSettings,
    MonitorConfig,
    NotifierSettings,
    ReferenceConfig,
    SchedulerSettings,
    ScheduleSettings,
    ServerSettings,
    SqlSourceConfig,
    WindowSettings,
    cron_trigger,
    format_duration,
    load_config,
    parse_duration,
)
from driftmon.core import DEFAULT_ALPHA, DEFAULT_MIN_SAMPLES, DEFAULT_NUMERIC_BINS, DEFAULT_TOP_K, STATISTICS
from driftmon.errors import (
    ConfigError,
    ConfigFileError,
    ConfigSyntaxError,
    ConfigValidationError,
    DuplicateMonitorError,
    DurationError,
    UnknownMonitorError,
    UnsetVariableError,
)

EXAMPLE = Path(__file__).resolve().parents[1] / "config" / "driftmon.example.yaml"
EXAMPLE_ENV = {
    "DRIFTMON_API_TOKEN": "token-for-tests",
    "ONCALL_WEBHOOK_URL": "https://hooks.example/T000/B000/secret",
    "WAREHOUSE_URL": "postgresql+psycopg://reader:warehouse-password@db:5432/warehouse",
}

MONITOR = """
monitors:
  - name: orders
    source: {kind: sql, url: "sqlite:///orders.sqlite", table: orders}
    timestamp_column: ts
    reference: {start: 2024-01-01, end: 2024-02-01}
    window: {size: 1h}
    columns: [amount, {name: country, kind: categorical}]
"""


def write(tmp_path: Path, text: str, name: str = "driftmon.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


def problems(exc: pytest.ExceptionInfo[ConfigError]) -> list[str]:
    return [str(p) for p in exc.value.problems]


def test_example_config_loads_and_documents_every_option() -> None:
    config = load_config(EXAMPLE, EXAMPLE_ENV)
    assert [m.name for m in config.monitors] == ["checkout-model", "search-ranker", "churn-model"]
    text = EXAMPLE.read_text()
    models: list[type[BaseModel]] = [
        Config,
        DatabaseSettings,
        ServerSettings,
        SchedulerSettings,
        LoggingSettings,
        NotifierSettings,
        MonitorConfig,
        SqlSourceConfig,
        FileSourceConfig,
        ReferenceConfig,
        WindowSettings,
        ScheduleSettings,
        ColumnConfig,
        BinSettings,
        BinDefaults,
        AlertRule,
    ]
    undocumented = [
        f"{model.__name__}.{field.alias or name}"
        for model in models
        for name, field in model.model_fields.items()
        if f"{field.alias or name}:" not in text
    ]
    assert undocumented == []


def test_minimal_monitor_gets_the_shared_defaults(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, MONITOR), {})
    # The default store sits beside the config file, wherever driftmon runs from.
    assert DEFAULT_DATABASE_URL == "sqlite:///driftmon.sqlite"
    assert config.database.url.get_secret_value() == f"sqlite:///{tmp_path / 'driftmon.sqlite'}"
    monitor = config.monitor("orders")
    assert monitor.alpha == DEFAULT_ALPHA
    assert monitor.min_samples == DEFAULT_MIN_SAMPLES
    assert monitor.statistics == STATISTICS
    assert monitor.schedule_interval == timedelta(hours=1)  # every window size
    assert monitor.window.delay == timedelta(0)
    assert monitor.reference.start == datetime(2024, 1, 1, tzinfo=UTC)
    settings = monitor.column_settings("amount")
    assert (settings.kind, settings.role, settings.n_bins, settings.top_k, settings.method) == (
        None,
        "feature",
        DEFAULT_NUMERIC_BINS,
        DEFAULT_TOP_K,
        "quantile",
    )
    # The default alert policy: js_divergence against the window's noise, with fixed floors.
    assert set(settings.alerts) == {"js_divergence"}
    policy = settings.alerts["js_divergence"]
    assert (policy.warning, policy.critical, policy.resolve) == (0.001, 0.04, 0.0005)
    assert (policy.warning_noise, policy.critical_noise, policy.resolve_noise) == (1.5, 4.0, 1.0)
    assert (policy.for_windows, policy.critical_for_windows) == (2, 1)
    with pytest.raises(UnknownMonitorError, match=r"no monitor named 'nope'.*'orders'"):
        config.monitor("nope")


def test_errors_name_file_line_path_and_expectation(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        monitors:
          - name: orders
            source: {kind: sql, url: "sqlite:///x.sqlite", table: t}
            timestamp_column: ts
            reference: {previous: 7d}
            window: {size: 1h, delay: ten minutes}
            alpha: lots
            columns:
              - name: amount
                bins: {n_bin: 5}
              - name: country
                kind: cathegorical
          - name: other
            timestamp_column: ts
            reference: {previous: 7d}
            window: {size: 1h}
            columns: [x]
        """,
    )
    with pytest.raises(ConfigValidationError) as exc:
        load_config(path, {})
    found = problems(exc)
    assert (
        f"{path}:7: monitors[0].window.delay (monitor 'orders'): invalid duration 'ten minutes'" in found[0]
    )
    joined = "\n".join(found)
    assert f"{path}:8: monitors[0].alpha (monitor 'orders'): expected a valid number" in joined
    assert (
        f"{path}:11: monitors[0].columns[0].bins.n_bin (monitor 'orders', column 'amount'): "
        "unknown key 'n_bin'; did you mean 'n_bins'?"
    ) in joined
    assert (
        "monitors[0].columns[1].kind (monitor 'orders', column 'country'): "
        "expected 'numeric' or 'categorical'"
    ) in joined
    assert f"{path}:14: monitors[1] (monitor 'other'): required key 'source' is missing" in joined
    assert str(exc.value).startswith(f"invalid configuration ({len(found)} problems):")


def test_unknown_top_level_key_and_bad_source_kind(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        databse: {url: "sqlite:///x"}
        monitors:
          - name: m
            source: {kind: kafka}
            timestamp_column: ts
            reference: {previous: 1d}
            window: {size: 1h}
            columns: [x]
        """,
    )
    with pytest.raises(ConfigValidationError) as exc:
        load_config(path, {})
    joined = "\n".join(problems(exc))
    assert f"{path}:2: databse: unknown key 'databse'; did you mean 'database'?" in joined
    assert "monitors[0].source (monitor 'm'): expected 'kind: sql'" in joined


def test_files_merge_by_name_and_later_files_win(tmp_path: Path) -> None:
    base = write(tmp_path, MONITOR + "database: {retention_days: 30}\n", "base.yaml")
    override = write(
        tmp_path,
        """
        database: {url: "sqlite:///prod.sqlite"}
        monitors:
          - name: orders
            window: {delay: 5m}
            statistics: [psi]
            columns:
              - {name: country, bins: {top_k: 3}}
              - {name: basket, kind: numeric}
          - name: refunds
            source: {kind: file, path: refunds.parquet}
            timestamp_column: ts
            reference: {previous: 7d}
            window: {size: 1d}
            columns: [amount]
        """,
        "prod.yaml",
    )
    config = load_config([base, override], {})
    assert config.database.url.get_secret_value() == f"sqlite:///{tmp_path / 'prod.sqlite'}"
    assert config.database.retention_days == 30  # mappings merge key by key
    orders = config.monitor("orders")
    assert orders.window == WindowSettings(size=timedelta(hours=1), delay=timedelta(minutes=5))
    assert orders.statistics == ("psi",)  # other lists are replaced
    assert [c.name for c in orders.columns] == ["amount", "country", "basket"]
    assert orders.column("country").kind == "categorical"
    assert orders.column_settings("country").top_k == 3
    refunds = config.monitor("refunds")
    assert isinstance(refunds.source, FileSourceConfig)
    assert refunds.source.path == str(tmp_path / "refunds.parquet")  # relative to its config file


def test_relative_paths_resolve_from_the_directory_of_the_file_that_writes_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "base").mkdir()
    (tmp_path / "over").mkdir()
    base = write(
        tmp_path / "base",
        """
        defaults: {window: {size: 1h}}
        notifiers:
          - {name: hook, url: "http://127.0.0.1:9/hook"}
          - {name: kept, url: "http://127.0.0.1:9/kept", dead_letter: "${DL:-logs/kept.jsonl}"}
        monitors:
          - name: files
            source: {kind: file, path: "${LIVE:-live}/*.parquet"}
            timestamp_column: ts
            reference: {path: ref.parquet}
            columns: [amount]
          - name: sql
            source: {kind: sql, url: "sqlite:///${WAREHOUSE:-warehouse.sqlite}?timeout=5", table: t}
            timestamp_column: ts
            reference: {start: 2024-01-01, end: 2024-02-01}
            columns: [amount]
        """,
    )
    over = write(
        tmp_path / "over",
        """
        database: {url: "${STORE:-sqlite:///store/driftmon.sqlite}"}
        monitors:
          - {name: files, reference: {path: ../shared/ref.parquet}}
        """,
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # the working directory plays no part
    config = load_config([base, over], {"LIVE": "incoming"})
    assert (
        config.database.url.get_secret_value()
        == f"sqlite:///{tmp_path / 'over' / 'store' / 'driftmon.sqlite'}"
    )
    files = config.monitor("files")
    assert isinstance(files.source, FileSourceConfig)
    assert files.source.path == str(tmp_path / "base" / "incoming" / "*.parquet")  # from ${LIVE} too
    assert files.reference.path == str(tmp_path / "over" / ".." / "shared" / "ref.parquet")
    sql = config.monitor("sql")
    assert (
        sql.source.url.get_secret_value() == f"sqlite:///{tmp_path / 'base' / 'warehouse.sqlite'}?timeout=5"
    )
    # Defaults written in no file: beside the first file.
    assert [n.dead_letter for n in config.notifiers] == [
        str(tmp_path / "base" / "driftmon-dead-letters.jsonl"),
        str(tmp_path / "base" / "logs" / "kept.jsonl"),
    ]
    # Absolute paths, in-memory and non-SQLite URLs are kept as written.
    absolute = load_config(
        write(tmp_path, "database: {url: 'sqlite:////var/lib/driftmon.sqlite'}\n", "abs.yaml"), {}
    )
    assert absolute.database.url.get_secret_value() == "sqlite:////var/lib/driftmon.sqlite"
    memory = load_config(write(tmp_path, "database: {url: 'sqlite://'}\n", "memory.yaml"), {})
    assert memory.database.url.get_secret_value() == "sqlite://"
    postgres = load_config(
        write(tmp_path, "database: {url: '${PG}'}\n", "pg.yaml"), {"PG": "postgresql://u:secret@db/x"}
    )
    assert postgres.database.url.get_secret_value() == "postgresql://u:secret@db/x"


def test_forms_are_replaced_whole_not_mixed(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        defaults:
          source: {kind: sql, url: "sqlite:///w.sqlite", table: events}
          schedule: {interval: 10m}
          reference: {previous: 7d}
          window: {size: 1h}
          timestamp_column: ts
          bins: {n_bins: 4}
        monitors:
          - name: by-cron
            schedule: {cron: "0 * * * *"}
            reference: {start: 2024-01-01, end: 2024-01-02}
            source: {query: "SELECT * FROM events"}
            columns: [{name: x, bins: {edges: [0, 1]}}]
          - name: files
            source: {kind: file, path: data.csv}
            columns: [x]
        """,
    )
    config = load_config(path, {})
    by_cron = config.monitor("by-cron")
    assert by_cron.schedule == ScheduleSettings(cron="0 * * * *")
    assert by_cron.reference.mode == "fixed"
    assert isinstance(by_cron.source, SqlSourceConfig)
    assert (by_cron.source.table, by_cron.source.query) == (None, "SELECT * FROM events")
    assert by_cron.column_settings("x").edges == (0.0, 1.0)
    files = config.monitor("files")
    assert isinstance(files.source, FileSourceConfig)
    assert files.source.file_format == "csv"
    assert files.column_settings("x").n_bins == 4


def test_duplicate_monitor_names_in_one_file_are_an_error(tmp_path: Path) -> None:
    path = write(tmp_path, MONITOR + MONITOR.replace("monitors:\n", ""))
    with pytest.raises(DuplicateMonitorError) as exc:
        load_config(path, {})
    assert exc.value.name == "orders"
    assert str(exc.value) == (
        f"invalid configuration: {path}:10: monitors[1].name: monitor name 'orders' is used twice in "
        "this file (lines 3 and 10); monitor names must be unique (to change a monitor from another "
        "file, repeat its name in a later file)"
    )
    assert isinstance(exc.value, ValueError)


def test_duplicate_names_built_in_code_are_rejected_too() -> None:
    monitor = {
        "name": "m",
        "source": {"kind": "file", "path": "x.parquet"},
        "timestamp_column": "ts",
        "reference": {"previous": "1d"},
        "window": {"size": "1h"},
        "columns": ["a"],
    }
    with pytest.raises(ValueError, match="monitor names must be unique; repeated: 'm'"):
        Config.model_validate({"monitors": [monitor, monitor]})


def test_environment_variables_are_substituted(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        database: {url: "${DB_URL}", retention_days: "${DAYS:-14}"}
        server: {port: "${PORT}", public_url: "https://x.example/$${literal}"}
        """,
    )
    config = load_config(path, {"DB_URL": "sqlite:///from-env.sqlite", "PORT": "8123"})
    assert config.database.url.get_secret_value() == f"sqlite:///{tmp_path / 'from-env.sqlite'}"
    assert config.database.retention_days == 14
    assert config.server.port == 8123
    assert config.server.public_url == "https://x.example/${literal}"


def test_unset_variables_are_named_with_where_they_are_used(tmp_path: Path) -> None:
    path = write(
        tmp_path, 'database:\n  url: "postgresql://u:${DB_PASSWORD}@h/db"\nserver: {api_token: "${TOKEN}"}\n'
    )
    with pytest.raises(UnsetVariableError) as exc:
        load_config(path, {})
    assert exc.value.variables == ("DB_PASSWORD", "TOKEN")
    assert problems(exc) == [
        f"{path}:2: database.url: environment variable DB_PASSWORD is not set (referenced as "
        "${DB_PASSWORD}); export it, or give a default with ${DB_PASSWORD:-default}",
        f"{path}:3: server.api_token: environment variable TOKEN is not set (referenced as ${{TOKEN}}); "
        "export it, or give a default with ${TOKEN:-default}",
    ]


def test_malformed_variable_reference(tmp_path: Path) -> None:
    path = write(tmp_path, 'server: {public_url: "https://${HOST"}\n')
    with pytest.raises(
        ConfigValidationError, match=r"server.public_url: malformed variable reference '\$\{HOST"
    ):
        load_config(path, {"HOST": "x"})


def test_secrets_never_appear_in_reprs_dumps_or_errors(tmp_path: Path) -> None:
    secret = "s3cr3t-Passw0rd"
    path = write(
        tmp_path,
        """
        server: {api_token: "${TOKEN}"}
        monitors:
          - name: m
            source: {kind: sql, url: "postgresql+psycopg://app:${PW}@db/x", table: t}
            timestamp_column: ts
            reference: {previous: 7d}
            window: {size: "${PW}"}
            columns: [a]
        """,
    )
    env = {"PW": secret, "TOKEN": "tok-" + secret}
    with pytest.raises(ConfigValidationError) as exc:
        load_config(path, env)
    assert secret not in str(exc.value)
    assert "window.size (monitor 'm'): invalid duration '***'" in str(exc.value)
    path.write_text(path.read_text().replace('"${PW}"}', "1h}"))
    config = load_config(path, env)
    monitor = config.monitor("m")
    for text in (repr(config), str(config), config.model_dump_json(), monitor.source_description):
        assert secret not in text
    assert monitor.source_description == "postgresql+psycopg://app:***@db/x table 't'"


def test_passwords_and_tokens_written_in_the_file_are_refused(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        database: {url: "postgresql://app:hunter22@db/driftmon"}
        server: {api_token: "plain-token"}
        """,
    )
    with pytest.raises(ConfigValidationError) as exc:
        load_config(path, {})
    text = str(exc.value)
    assert "hunter22" not in text
    assert "plain-token" not in text
    assert f"{path}:2: database.url: the URL holds a password written into the file" in text
    assert f"{path}:3: server.api_token: the API token must come from the environment" in text


def test_invalid_database_url_does_not_echo_it(tmp_path: Path) -> None:
    path = write(tmp_path, 'database: {url: "${URL}"}\n')
    with pytest.raises(ConfigValidationError) as exc:
        load_config(path, {"URL": "not a url :: secret-bits"})
    assert "secret-bits" not in str(exc.value)
    assert "database.url: not a valid SQLAlchemy database URL" in str(exc.value)


@pytest.mark.parametrize(
    ("alerts", "message"),
    [
        ({"psi": {"warning": 0.3, "critical": 0.2}}, "warning (0.3) must not be above critical (0.2)"),
        ({"psi": {"warning": 0.1, "resolve": 0.1}}, "resolve (0.1) must be below warning (0.1)"),
        ({"psi": {"resolve": 0.1}}, "resolve is set but neither warning nor critical is"),
        ({"psi": {"warning": -1}}, "greater than or equal to 0"),
        ({"psi": {"warning": 0.1, "significance_level": 1.5}}, "less than 1"),
        ({"entropy": {"warning": 0.1}}, "Input should be 'kl_live_ref'"),
    ],
)
def test_alert_rules_are_validated(alerts: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        MonitorConfig.model_validate(monitor_data(alerts=alerts))


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


def test_column_alerts_override_monitor_defaults_key_by_key() -> None:
    monitor = MonitorConfig.model_validate(
        monitor_data(
            alerts={
                "js_divergence": {"warning": 0.05, "critical": 0.2, "for_windows": 3},
                "psi": {"critical": 0.3},
            },
            columns=[
                "a",
                {"name": "b", "alerts": {"js_divergence": {"warning": 0.1}, "hellinger": {"warning": 0.2}}},
                {"name": "c", "alerts": {"psi": {"critical": None}}},
            ],
        )
    )
    a = monitor.column_settings("a").alerts
    assert a["js_divergence"].warning == 0.05
    assert a["js_divergence"].resolve == 0.05  # defaults to warning: no hysteresis
    assert a["js_divergence"].require_significance is True
    assert a["js_divergence"].significance_level == DEFAULT_SIGNIFICANCE_LEVEL
    assert a["psi"].resolve == 0.3
    assert a["psi"].for_windows == 2  # the policy's persistence
    assert a["psi"].critical_noise == 4.0  # and its noise multiple for the level that is set
    assert a["psi"].warning_noise is None
    b = monitor.column_settings("b").alerts
    assert (b["js_divergence"].warning, b["js_divergence"].critical, b["js_divergence"].for_windows) == (
        0.1,
        0.2,
        3,
    )
    assert set(b) == {"js_divergence", "psi", "hellinger"}
    assert "psi" not in monitor.column_settings("c").alerts  # an explicit null removes the threshold


def test_merged_column_alerts_are_checked_and_name_the_column() -> None:
    with pytest.raises(
        ValueError,
        match=re.escape(
            "columns[1] ('b') alerts after merging: warning (0.5) must not be above critical (0.2)"
        ),
    ):
        MonitorConfig.model_validate(
            monitor_data(
                alerts={"psi": {"warning": 0.1, "critical": 0.2}},
                columns=["a", {"name": "b", "alerts": {"psi": {"warning": 0.5}}}],
            )
        )


def test_alerts_on_statistics_not_computed() -> None:
    with pytest.raises(ValueError, match="alerts on statistics that are not computed: hellinger"):
        MonitorConfig.model_validate(monitor_data(statistics=["psi"], alerts={"hellinger": {"warning": 0.1}}))


@pytest.mark.parametrize(
    ("columns", "message"),
    [
        ([{"name": "a", "kind": "categorical", "bins": {"n_bins": 5}}], "cannot take numeric bin settings"),
        ([{"name": "a", "kind": "numeric", "bins": {"top_k": 5}}], "cannot take 'top_k'"),
        ([{"name": "a", "bins": {"edges": [1, 3, 2]}}], "edge 1 = 3.0 is not below edge 2 = 2.0"),
        ([{"name": "a", "bins": {"edges": [1, 2], "n_bins": 4}}], "explicit 'edges' replace"),
        ([{"name": "a", "bins": {"n_bins": 0}}], "greater than or equal to 1"),
        (["a", "a"], "columns listed twice: 'a'"),
        (["ts"], "timestamp column 'ts' cannot also be a watched column"),
        ([], "at least 1 item"),
        (["bad\nname"], "control character"),
    ],
)
def test_column_settings_are_validated(columns: list[Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        MonitorConfig.model_validate(monitor_data(columns=columns))


def test_explicit_edges_imply_a_numeric_column() -> None:
    monitor = MonitorConfig.model_validate(monitor_data(columns=[{"name": "a", "bins": {"edges": [0, 1]}}]))
    settings = monitor.column_settings("a")
    assert settings.resolved_kind == "numeric"
    assert settings.fit_options()["edges"] == (0.0, 1.0)


def test_any_column_name_is_accepted_and_monitor_names_are_restricted() -> None:
    odd = 'x"; DROP TABLE t; --'
    assert MonitorConfig.model_validate(monitor_data(columns=[odd])).columns[0].name == odd
    with pytest.raises(ValueError, match="may use only letters, digits"):
        MonitorConfig.model_validate(monitor_data(name="orders/v2"))


@pytest.mark.parametrize(
    ("reference", "message"),
    [
        ({}, "reference needs a fixed range"),
        ({"start": "2024-01-01"}, "reference needs a fixed range"),
        ({"previous": "7d", "start": "2024-01-01"}, "cannot also set start"),
        ({"table": "a", "path": "b"}, "one of table, query or path, got table and path"),
        ({"refit_every": "1d", "table": "a"}, "'refit_every' applies to a rolling reference only"),
        ({"start": "2024-02-01", "end": "2024-01-01"}, "is not before end"),
        ({"start": "yesterday", "end": "2024-01-01"}, "invalid timestamp 'yesterday'"),
        ({"table": "other"}, "reference 'table'/'query' need a sql source"),
    ],
)
def test_reference_forms_are_validated(reference: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        MonitorConfig.model_validate(monitor_data(reference=reference))


def test_reference_forms_and_their_source() -> None:
    sql = {"kind": "sql", "url": "sqlite:///a.sqlite", "table": "live"}
    separate = MonitorConfig.model_validate(
        monitor_data(source=sql, reference={"query": "SELECT * FROM training", "end": "2024-01-01T00:00:00"})
    )
    assert separate.reference.mode == "separate"
    assert separate.reference.end == datetime(2024, 1, 1, tzinfo=UTC)  # naive is UTC
    ref_source = separate.reference_source()
    assert isinstance(ref_source, SqlSourceConfig)
    assert (ref_source.table, ref_source.query) == (None, "SELECT * FROM training")
    rolling = MonitorConfig.model_validate(monitor_data(reference={"previous": "7d"}))
    assert rolling.reference.refit_interval == timedelta(days=7)
    assert rolling.reference_source() == rolling.source
    offset = MonitorConfig.model_validate(
        monitor_data(reference={"start": "2024-01-01T02:00:00+02:00", "end": "2024-01-02"})
    )
    assert offset.reference.start == datetime(2024, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30s", 30),
        ("10m", 600),
        ("1h", 3600),
        ("7d", 7 * 86400),
        ("2w", 14 * 86400),
        ("1h30m", 5400),
        (" 1H ", 3600),
    ],
)
def test_durations(text: str, expected: int) -> None:
    value = parse_duration(text)
    assert value == timedelta(seconds=expected)
    assert parse_duration(format_duration(value)) == value


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("10", None),
        ("1.5h", None),
        ("", None),
        (600, "a bare number has no unit"),
        ("-5m", None),
        (None, "got NoneType"),
    ],
)
def test_bad_durations(value: object, reason: str | None) -> None:
    with pytest.raises(DurationError, match="expected a whole number followed by a unit") as exc:
        parse_duration(value)
    if reason:
        assert reason in str(exc.value)


def test_window_and_schedule_settings() -> None:
    with pytest.raises(ValueError, match="must be longer than zero"):
        WindowSettings.model_validate({"size": "0s"})
    with pytest.raises(ValueError, match="exactly one of 'interval'"):
        ScheduleSettings.model_validate({"interval": "1h", "cron": "0 * * * *"})
    with pytest.raises(ValueError, match="has 3 fields; expected 5"):
        ScheduleSettings.model_validate({"cron": "0 * *"})
    with pytest.raises(ValueError, match="day of week '9' is not 0-7"):
        ScheduleSettings.model_validate({"cron": "0 9 * * 9"})
    monitor = MonitorConfig.model_validate(monitor_data(schedule={"cron": "0 9 * * 1-5"}))
    assert monitor.schedule_interval is None
    assert monitor.cron == "0 9 * * 1-5"


def test_cron_weekdays_follow_crontab_not_apscheduler_numbering() -> None:
    saturday = datetime(2024, 1, 6, tzinfo=UTC)
    assert cron_trigger("0 9 * * 1").get_next_fire_time(None, saturday) == datetime(2024, 1, 8, 9, tzinfo=UTC)
    assert cron_trigger("0 9 * * 0").get_next_fire_time(None, saturday) == datetime(2024, 1, 7, 9, tzinfo=UTC)
    assert cron_trigger("0 9 * * 7").get_next_fire_time(None, saturday) == datetime(2024, 1, 7, 9, tzinfo=UTC)
    assert cron_trigger("0 9 * * 5-7").get_next_fire_time(None, saturday) == datetime(
        2024, 1, 6, 9, tzinfo=UTC
    )


def test_config_hash_tracks_settings_but_not_passwords() -> None:
    def monitor(url: str, **extra: Any) -> MonitorConfig:
        return MonitorConfig.model_validate(
            monitor_data(source={"kind": "sql", "url": url, "table": "t"}, **extra)
        )

    base = monitor("postgresql://app:one@db/x")
    assert base.config_hash() == monitor("postgresql://app:one@db/x").config_hash()
    assert base.config_hash() == monitor("postgresql://app:two@db/x").config_hash()
    assert base.config_hash() != monitor("postgresql://app:one@db/y").config_hash()
    assert base.config_hash() != monitor("postgresql://app:one@db/x", alpha=1.0).config_hash()
    assert len(base.config_hash()) == 64
    one = Config.model_validate({"monitors": [monitor_data()]})
    assert one.config_hash() == Config.model_validate({"monitors": [monitor_data()]}).config_hash()
    assert one.config_hash() != Config.model_validate({"monitors": [monitor_data(name="n")]}).config_hash()


def test_defaults_keys_and_errors_point_at_the_defaults_section(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        defaults:
          window: {size: 1 hour}
          timestamp_column: ts
          reference: {previous: 1d}
          source: {kind: file, path: a.parquet}
        monitors:
          - {name: a, columns: [x]}
          - {name: b, columns: [x]}
        """,
    )
    with pytest.raises(ConfigValidationError) as exc:
        load_config(path, {})
    assert problems(exc) == [
        f"{path}:3: defaults.window.size: invalid duration '1 hour': unknown unit 'hour'; write 1h"
    ]
    with pytest.raises(ValueError, match="defaults cannot set 'name'"):
        Config.model_validate({"defaults": {"name": "x"}})


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("monitors: [\n", "not valid YAML"),
        ("- a\n- b\n", "the top level must be a mapping"),
        (
            "server:\n  port: 1\n  port: 2\n",
            "server.port: key 'port' appears twice in one mapping (lines 2 and 3)",
        ),
        (
            "server: !!python/object:os.system {}\n",
            "server: unsupported tag tag:yaml.org,2002:python/object:os.system",
        ),
        ("server: {port: !!python/name:os.system 1}\n", "not valid YAML"),
    ],
)
def test_yaml_problems(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigSyntaxError, match=re.escape(message)) as exc:
        load_config(path, {})
    assert str(path) in str(exc.value)


def test_an_empty_file_is_refused_an_empty_mapping_is_an_empty_config_and_anchors_work(
    tmp_path: Path,
) -> None:
    # An empty file is more often a file cut short than a choice: `{}` says so on purpose.
    for text in ("", "\n  \n", "# nothing yet\n"):
        with pytest.raises(ConfigSyntaxError, match=re.escape("the file is empty (write `{}`")):
            load_config(write(tmp_path, text), {})
    assert load_config(write(tmp_path, "{}\n"), {}).monitors == []
    path = write(
        tmp_path, "x-window: &hourly {size: 1h, delay: 5m}\n" + MONITOR.replace("{size: 1h}", "*hourly")
    )
    with pytest.raises(ConfigValidationError, match="x-window: unknown key 'x-window'"):
        load_config(path, {})


def test_missing_config_file(tmp_path: Path) -> None:
    message = re.escape("nope.yaml: cannot read the config file: no such file")
    with pytest.raises(ConfigFileError, match=message) as exc:
        load_config(tmp_path / "nope.yaml", {})
    assert isinstance(exc.value, OSError)
    assert isinstance(exc.value, ConfigError)
    with pytest.raises(ConfigValidationError, match="no config file given"):
        load_config([], {})


def test_check_config_command(tmp_path: Path) -> None:
    good = write(tmp_path, MONITOR, "good.yaml")
    runner = CliRunner()
    result = runner.invoke(main, ["check-config", "-c", str(good)])
    assert result.exit_code == 0, result.output
    assert (
        result.output
        == f"OK: {good}: 1 monitor(s): orders\n  orders: alerts on js_divergence (the default policy)\n"
    )
    bad = write(tmp_path, MONITOR.replace("1h", "1 hour"), "bad.yaml")
    result = runner.invoke(main, ["check-config", "-c", str(good), "-c", str(bad)])
    assert result.exit_code == 1
    assert f"{bad}:7: monitors[0].window.size (monitor 'orders'): invalid duration '1 hour'" in result.stderr
    result = runner.invoke(main, ["check-config", "-c", str(EXAMPLE)], env=dict.fromkeys(EXAMPLE_ENV))
    assert result.exit_code == 1
    assert "environment variable DRIFTMON_API_TOKEN is not set" in result.stderr
    result = runner.invoke(main, ["check-config", "-c", str(EXAMPLE)], env=EXAMPLE_ENV)
    assert result.exit_code == 0, result.stderr


# --- the default alert policy ---------------------------------------------------------------------


def test_alerts_none_turns_every_alert_off_and_a_column_may_bring_its_own() -> None:
    monitor = MonitorConfig.model_validate(
        monitor_data(alerts="none", columns=["a", {"name": "b", "alerts": {"psi": {"warning": 0.1}}}])
    )
    assert monitor.column_settings("a").alerts == {}
    assert set(monitor.column_settings("b").alerts) == {"psi"}


def test_a_statistic_set_to_none_drops_only_that_rule() -> None:
    monitor = MonitorConfig.model_validate(
        monitor_data(alerts={"js_divergence": "none", "psi": {"critical": 0.25}})
    )
    assert set(monitor.column_settings("a").alerts) == {"psi"}
    column_off = MonitorConfig.model_validate(monitor_data(columns=[{"name": "a", "alerts": "none"}, "b"]))
    assert column_off.column_settings("a").alerts == {}
    assert set(column_off.column_settings("b").alerts) == {"js_divergence"}


def test_own_thresholds_replace_the_policys_levels_as_a_set_and_keep_its_other_keys() -> None:
    monitor = MonitorConfig.model_validate(monitor_data(alerts={"js_divergence": {"warning": 0.0001}}))
    rule = monitor.column_settings("a").alerts["js_divergence"]
    # The policy's critical (0.04) and resolve (0.0005) are gone with its warning: no order error.
    assert (rule.warning, rule.critical, rule.resolve) == (0.0001, None, 0.0001)
    assert (rule.warning_noise, rule.critical_noise, rule.for_windows) == (1.5, None, 2)
    tuned = MonitorConfig.model_validate(monitor_data(alerts={"js_divergence": {"for_windows": 3}}))
    kept = tuned.column_settings("a").alerts["js_divergence"]
    assert (kept.warning, kept.critical, kept.for_windows) == (0.001, 0.04, 3)


def test_the_policy_applies_only_where_its_statistic_is_computed() -> None:
    monitor = MonitorConfig.model_validate(monitor_data(statistics=["psi"]))
    assert monitor.column_settings("a").alerts == {}


def test_check_config_says_which_monitors_alert_and_which_never_can(tmp_path: Path) -> None:
    import json

    path = tmp_path / "c.yaml"
    monitors = [
        monitor_data(name="policy"),
        monitor_data(name="off", alerts="none"),
        monitor_data(name="psi-only", statistics=["psi"]),
        monitor_data(
            name="custom", alerts={"psi": {"warning": 0.1}}, columns=["a", {"name": "b", "alerts": "none"}]
        ),
    ]
    path.write_text(json.dumps({"monitors": monitors}))
    result = CliRunner().invoke(main, ["check-config", "-c", str(path)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()[1:]
    assert lines == [
        "  policy: alerts on js_divergence (the default policy)",
        "  off: alerts off: no column has an alert rule (it never alerts)",
        "  psi-only: alerts off: no column has an alert rule (it never alerts)",
        "  custom: alerts on js_divergence, psi (custom rules); no alert rule for b",
    ]
