"""The `kind: spark` source settings: targets, masters, conf as text, secrets kept out of sight."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from driftmon.config import MonitorConfig, SparkSourceConfig, load_config

REPO = Path(__file__).resolve().parents[2]


def monitor(source: dict[str, Any], reference: dict[str, Any] | None = None) -> MonitorConfig:
    return MonitorConfig.model_validate(
        {
            "name": "m",
            "source": source,
            "timestamp_column": "ts",
            "reference": reference or {"start": "2026-01-01T00:00:00Z", "end": "2026-01-02T00:00:00Z"},
            "window": {"size": "1h"},
            "columns": ["x"],
        }
    )


def test_defaults_and_conf_values_as_text() -> None:
    config = SparkSourceConfig.model_validate(
        {"table": "db.events", "conf": {"spark.sql.shuffle.partitions": 8, "spark.sql.ansi.enabled": True}}
    )
    assert config.master == "local[*]"
    assert config.conf == {"spark.sql.shuffle.partitions": "8", "spark.sql.ansi.enabled": "true"}
    assert config.accuracy == 10_000
    assert config.description == "spark local[*] table 'db.events'"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "exactly one of 'table', 'query' or 'path', got none"),
        ({"table": "t", "path": "p"}, "got table and path"),
        ({"table": "t", "format": "delta"}, "'format' applies to 'path' only"),
        ({"table": "t", "master": "mesos://h:5050"}, "not one Spark knows"),
        ({"path": "p", "format": "csv"}, "format"),
        ({"table": "t", "accuracy": 0}, "accuracy"),
    ],
)
def test_bad_settings_are_refused(data: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        SparkSourceConfig.model_validate(data)


@pytest.mark.parametrize(
    "master", ["local", "local[4]", "local[*,2]", "yarn", "spark://a:7077,b:7077", "sc://h:15002"]
)
def test_known_masters(master: str) -> None:
    assert SparkSourceConfig(master=master, table="t").master == master


def test_a_connect_token_and_secret_conf_stay_out_of_descriptions_and_hashes() -> None:
    source = {
        "kind": "spark",
        "master": "sc://spark.internal:15002/;token=t0p-s3cret;user_id=driftmon",
        "conf": {"spark.hadoop.fs.s3a.secret.key": "aws-s3cret", "spark.sql.shuffle.partitions": "4"},
        "path": "s3a://lake/events",
    }
    first = monitor(source)
    assert "t0p-s3cret" not in first.source_description
    assert "token=***" in first.source_description
    other = monitor(
        {
            **source,
            "master": source["master"].replace("t0p-s3cret", "other"),
            "conf": {**source["conf"], "spark.hadoop.fs.s3a.secret.key": "x"},
        }
    )
    assert first.config_hash() == other.config_hash()  # secrets change nothing
    tuned = monitor({**source, "conf": {**source["conf"], "spark.sql.shuffle.partitions": "8"}})
    assert tuned.config_hash() != first.config_hash()


def test_a_spark_reference_names_other_spark_data() -> None:
    source = {"kind": "spark", "table": "db.events", "conf": {"a": "1"}}
    by_path = monitor(source, {"path": "s3a://lake/training", "format": "delta"}).reference_source()
    assert isinstance(by_path, SparkSourceConfig)
    assert (by_path.table, by_path.path, by_path.format, by_path.conf) == (
        None,
        "s3a://lake/training",
        "delta",
        {"a": "1"},
    )
    by_query = monitor(source, {"query": "SELECT * FROM db.training"}).reference_source()
    assert isinstance(by_query, SparkSourceConfig)
    assert by_query.query == "SELECT * FROM db.training"
    assert by_query.table is None
    with pytest.raises(ValidationError, match="needs a spark source"):
        monitor({"kind": "file", "path": "x.parquet"}, {"path": "y", "format": "delta"})


def test_the_spark_example_validates_and_keeps_urls_as_given(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("S3_ACCESS_KEY", "AKIA-example")
    monkeypatch.setenv("S3_SECRET_KEY", "secret-example")
    config = load_config(REPO / "config" / "spark.example.yaml")
    (watched,) = config.monitors
    assert isinstance(watched.source, SparkSourceConfig)
    assert watched.source.path == "s3a://lake/ranking/scored"
    assert watched.source.conf["spark.hadoop.fs.s3a.secret.key"] == "secret-example"
