"""SIGHUP with a bad config: a real `driftmon serve` keeps its running config, stays up and says why."""

from __future__ import annotations

import logging
import os
import signal
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from driftmon.service import Service
from tests.config.hostile import hostile

from .helpers import HOUR, file_monitor, free_port, poll, write_parquet
from .helpers import config as validated
from .server import ServerProcess, serve_process, write_config

ENV = {k: v for k, v in os.environ.items() if k != "DRIFTMON_DATABASE_URL"}


def settings(tmp_path: Path, port: int, monitors: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "database": {"url": f"sqlite:///{tmp_path / 'driftmon.sqlite'}"},
        "server": {"port": port},
        "monitors": monitors,
    }


def monitors(server: ServerProcess) -> list[tuple[str, str, str]]:
    response = server.get("/api/v1/monitors")
    assert response.status_code == 200, response.text
    return [(m["name"], m["window"], m["description"]) for m in response.json()]


def refusals(server: ServerProcess) -> list[str]:
    return [line for line in server.log().splitlines() if "reload refused" in line]


def test_a_reload_with_a_bad_config_keeps_the_running_one_and_logs_why(tmp_path: Path) -> None:
    hour = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    ref = write_parquet(tmp_path / "ref.parquet", hour - 30 * HOUR, 24, rows=200, seed=7)
    write_parquet(tmp_path / "live" / "a.parquet", hour - 3 * HOUR, 4, seed=8)
    a = file_monitor("a", tmp_path / "live", ref, description="the running config")
    port = free_port()
    config = write_config(tmp_path / "driftmon.yaml", settings(tmp_path, port, [a]))
    cases = hostile(config.read_text())
    with serve_process(config, tmp_path, port=port, env=ENV) as server:
        server.start()
        running = monitors(server)
        assert running == [("a", "1h", "the running config")]
        for n, (case, (content, says)) in enumerate(cases.items(), 1):
            if content is None:
                config.unlink()
            else:
                config.write_bytes(content)
            server.send(signal.SIGHUP)
            found = poll(lambda n=n: refusals(server)[n - 1 :], timeout=60, what=f"the {case} to be refused")
            assert says in found[0], (case, found)
            assert str(config) in found[0]
            assert "the running configuration stays in force" in found[0]
            assert server.process is not None
            assert server.process.poll() is None, server.log()
            assert server.get("/readyz").status_code == 200
            assert monitors(server) == running, case
        assert "Traceback" not in server.log()

        # and a good config is still taken afterwards
        b = file_monitor("b", tmp_path / "live", ref)
        write_config(config, settings(tmp_path, port, [a, b]))
        server.send(signal.SIGHUP)
        poll(lambda: "configuration reloaded" in server.log(), timeout=60, what="the good config to load")
        assert [name for name, *_ in monitors(server)] == ["a", "b"]
        assert server.stop() == 0


def test_a_reload_that_fails_unexpectedly_also_keeps_the_running_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # The last line of defence: an error that is not a ConfigError (a bug in reading) is logged
    # with its traceback, and the service goes on as it was.
    service = Service([str(tmp_path / "driftmon.yaml")])
    running = service.config = validated(file_monitor("a", tmp_path / "live", tmp_path / "ref.parquet"))

    def broken() -> None:
        raise OverflowError("Python int too large to convert to C int")

    monkeypatch.setattr(service, "_load", broken)
    with caplog.at_level(logging.ERROR, logger="driftmon.service.service"):
        assert service.reload() is False
    assert service.config is running
    (record,) = caplog.records
    assert "reload refused, the running configuration stays in force" in record.getMessage()
    assert record.exc_info is not None
    assert record.exc_info[0] is OverflowError
