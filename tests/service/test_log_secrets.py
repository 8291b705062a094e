"""No secret at any log level: webhook tokens, the API token and database passwords never reach a line.

httpx logs each request's full URL (a webhook's token included) and httpcore logs connection
details at DEBUG; driftmon's handler scrubs every configured secret from each formatted line.
"""

from __future__ import annotations

import io
import json
import logging
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import make_url

from driftmon.alerts import WebhookNotifier
from driftmon.config import Config
from driftmon.service import config_secrets, configure_logging

from .helpers import HOUR, file_monitor, free_port, poll, write_parquet
from .server import Receiver, serve_process, write_config
from .test_report import notification
from .test_serve import ENV, floor

# Slack-shaped: the last segment is the secret, the query carries another.
WEBHOOK_TOKEN = "xZ9kQ2mN7pL4vR8sT1wY6bC3"
QUERY_TOKEN = "q7Hd2Kp9Lm4Nx8Rt"
WEBHOOK_PATH = f"/services/T04ABCDEF/B05GHIJKL/{WEBHOOK_TOKEN}?token={QUERY_TOKEN}"
API_TOKEN = "api-Tk-5f3a9c1e7b2d8046"
DB_PASSWORD = "pg-Pw-3e8f1a6c9d"


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """Put the root logger and the libraries' levels back as they were."""
    root = logging.getLogger()
    names = ["httpx", "httpcore", "alembic", "apscheduler", "uvicorn.access"]
    saved = root.level, list(root.handlers), {n: logging.getLogger(n).level for n in names}
    try:
        yield
    finally:
        root.handlers[:] = saved[1]
        root.setLevel(saved[0])
        for name, level in saved[2].items():
            logging.getLogger(name).setLevel(level)


def secrets_in(text: str, secrets: list[str]) -> list[str]:
    return [s for s in secrets if s in text]


def test_the_handler_scrubs_every_configured_secret_from_debug_lines_and_tracebacks(
    tmp_path: Path, restore_logging: None
) -> None:
    database = f"postgresql+psycopg://driftmon:{DB_PASSWORD}@db.internal:5432/drift"
    with Receiver(WEBHOOK_PATH) as receiver:
        cfg = Config.model_validate(
            {
                "server": {"api_token": API_TOKEN},
                "notifiers": [{"name": "oncall", "url": receiver.url}],
                "logging": {"level": "DEBUG"},
            }
        )
        secrets = config_secrets(cfg, database)
        assert {receiver.url, WEBHOOK_TOKEN, QUERY_TOKEN, API_TOKEN, DB_PASSWORD} <= set(secrets)
        for fmt in ("text", "json"):
            stream = io.StringIO()
            configure_logging(cfg.logging.model_copy(update={"format": fmt}), stream, secrets=secrets)
            notifier = WebhookNotifier(receiver.url, dead_letter_path=tmp_path / "dead.jsonl")
            with notifier:
                assert notifier.send(notification()).delivered
            try:
                response = httpx.post(receiver.url, json={})
                quoted = json.dumps(receiver.url)
                raise RuntimeError(f"{response.request.url} {API_TOKEN} {database} {quoted}")
            except RuntimeError:
                logging.getLogger("driftmon.test").exception("failed with %s", receiver.url)
            out = stream.getvalue()
            assert secrets_in(out, [WEBHOOK_TOKEN, QUERY_TOKEN, API_TOKEN, DB_PASSWORD]) == [], out
            # The lines are there, secrets hidden: httpx's request line, httpcore's DEBUG lines.
            shown = f"http://127.0.0.1:{receiver.port}/***"
            assert f"HTTP Request: POST {shown}" in out
            assert "httpcore.http11" in out
            assert "driftmon:***@db.internal:5432/drift" in out
            assert "Traceback" in out or '"exception"' in out
        assert len(receiver.received()) == 4


def test_spark_credentials_are_secrets_too(restore_logging: None) -> None:
    s3_key = "s3-Sk-9b2e7d4f1a6c"
    connect_token = "sc-Tk-4d1f8a2b6e9c"
    cfg = Config.model_validate(
        {
            "monitors": [
                {
                    "name": "lake",
                    "source": {
                        "kind": "spark",
                        "table": "db.events",
                        "master": f"sc://spark.internal:15002;use_ssl=true;token={connect_token}",
                        "conf": {"spark.hadoop.fs.s3a.secret.key": s3_key, "spark.sql.shuffle.partitions": 8},
                    },
                    "timestamp_column": "ts",
                    "reference": {"start": "2026-01-01T00:00:00Z", "end": "2026-01-02T00:00:00Z"},
                    "window": {"size": "1h"},
                    "columns": ["x"],
                }
            ]
        }
    )
    secrets = config_secrets(cfg)
    assert {s3_key, connect_token} <= set(secrets)
    assert "8" not in secrets
    assert "true" not in secrets
    stream = io.StringIO()
    configure_logging(cfg.logging, stream, secrets=secrets)
    logging.getLogger("driftmon.test").warning("spark said: %s and %s", s3_key, connect_token)
    assert secrets_in(stream.getvalue(), [s3_key, connect_token]) == [], stream.getvalue()


@pytest.mark.postgres
def test_serve_at_debug_logs_no_secret(tmp_path: Path, postgres_url: str) -> None:
    """A real server at DEBUG on PostgreSQL sends a webhook: no token or password in its log."""
    url = make_url(postgres_url)
    if not url.password:  # trust authentication ignores it; otherwise the URL already has one
        url = url.set(password=DB_PASSWORD)
    password = str(url.password)
    database_url = url.render_as_string(hide_password=False)
    env = {**ENV, "DRIFTMON_DATABASE_URL": database_url, "DRIFTMON_API_TOKEN": API_TOKEN}
    upgrade = [sys.executable, "-m", "driftmon", "db", "upgrade"]
    subprocess.run(upgrade, env=env, check=True, capture_output=True, timeout=120)
    hour = floor(datetime.now(UTC), HOUR)
    ref = write_parquet(tmp_path / "ref.parquet", hour - 30 * HOUR, 24, rows=200, seed=7)
    write_parquet(tmp_path / "live" / "a.parquet", hour - 2 * HOUR, 2, shift=1.0, seed=8)  # drifted
    port = free_port()
    with Receiver(WEBHOOK_PATH) as receiver:
        env["ONCALL_WEBHOOK_URL"] = receiver.url
        config = write_config(
            tmp_path / "driftmon.yaml",
            {
                "server": {"port": port, "api_token": "${DRIFTMON_API_TOKEN}"},
                "scheduler": {"max_backfill_windows": 2},
                "logging": {"level": "DEBUG"},
                "notifiers": [{"name": "oncall", "url": "${ONCALL_WEBHOOK_URL}", "retries": 1}],
                "monitors": [file_monitor("m", tmp_path / "live", ref)],
            },
        )
        with serve_process(config, tmp_path, port=port, env=env) as server:
            server.start()
            poll(receiver.received, timeout=90, what="an alert to reach the webhook")
            auth = {"Authorization": f"Bearer {API_TOKEN}"}
            assert server.get("/api/v1/monitors/m/runs", headers=auth).status_code == 200
            wrong = {"Authorization": "Bearer wrong"}
            assert server.get("/api/v1/monitors", headers=wrong).status_code == 401
            poll(
                lambda: "HTTP Request: POST" in server.log(),
                timeout=30,
                what="httpx to log the webhook request",
            )
            assert server.stop() == 0
            log = server.log()
    assert secrets_in(log, [WEBHOOK_TOKEN, QUERY_TOKEN, API_TOKEN, password]) == []
    assert " DEBUG httpcore." in log  # DEBUG lines of the HTTP client were written, scrubbed
    assert f"HTTP Request: POST http://127.0.0.1:{receiver.port}/***" in log
    assert "driftmon stopped" in log
