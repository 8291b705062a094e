"""`schemathesis run` against the OpenAPI document a real `driftmon serve` serves finds nothing.

Every check runs with schemathesis' defaults (server errors, undocumented status codes and
content types, response schemas, schema-violating requests accepted, Allow headers...),
except the two documented rules tests/service/schemathesis.toml explains. The number of
examples per operation is bounded (DRIFTMON_SCHEMATHESIS_EXAMPLES, default 15) and the seed
fixed, so a CI run is reproducible; raise the number to search harder.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import httpx

from .helpers import HOUR, file_monitor, free_port, poll, write_parquet
from .server import serve_process, write_config
from .test_serve import ENV, floor

HERE = Path(__file__).parent
TOKEN = "schemathesis-token-5d1c"
EXAMPLES = int(os.environ.get("DRIFTMON_SCHEMATHESIS_EXAMPLES", "15"))
SEED = 20261203


def schemathesis() -> str:
    found = Path(sys.executable).with_name("schemathesis")
    path = str(found) if found.exists() else shutil.which("schemathesis")
    assert path, "schemathesis is not installed (it is in the dev extras: pip install -e '.[dev]')"
    return path


def test_schemathesis_finds_nothing(tmp_path: Path) -> None:
    hour = floor(datetime.now(UTC), HOUR)
    ref = write_parquet(tmp_path / "ref.parquet", hour - 30 * HOUR, 24, rows=200, seed=7)
    write_parquet(tmp_path / "a" / "a.parquet", hour - 4 * HOUR, 2, seed=8)
    write_parquet(tmp_path / "a" / "b.parquet", hour - 2 * HOUR, 2, shift=1.0, seed=9)  # alerts
    write_parquet(tmp_path / "b" / "a.parquet", hour - 4 * HOUR, 4, seed=10)
    port = free_port()
    config = write_config(
        tmp_path / "driftmon.yaml",
        {
            "database": {"url": f"sqlite:///{tmp_path / 'driftmon.sqlite'}"},
            "server": {"port": port, "api_token": "${DRIFTMON_API_TOKEN}"},
            "scheduler": {"max_backfill_windows": 4},
            "monitors": [file_monitor("a", tmp_path / "a", ref), file_monitor("b", tmp_path / "b", ref)],
        },
    )
    auth = {"Authorization": f"Bearer {TOKEN}"}
    with serve_process(config, tmp_path, port=port, env={**ENV, "DRIFTMON_API_TOKEN": TOKEN}) as server:
        server.start()

        def caught_up() -> bool:
            runs = server.get("/api/v1/monitors/a/runs", headers=auth).json()
            return len(runs) == 4 and bool(server.get("/api/v1/alerts", headers=auth).json())

        poll(caught_up, timeout=120, what="the start-up catch-up (runs and alerts to test against)")
        command = [
            schemathesis(),
            "--no-color",
            "--config-file",
            str(HERE / "schemathesis.toml"),
            "run",
            f"{server.url}/openapi.json",
            "--header",
            f"Authorization: Bearer {TOKEN}",
            "--max-examples",
            str(EXAMPLES),
            "--seed",
            str(SEED),
            "--continue-on-failure",
            "--request-timeout",
            "120",
        ]
        done = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=900)
        report = done.stdout + done.stderr
        print(report)
        assert done.returncode == 0, report
        tested = re.search(r"Tested: (\d+)", report)
        cases = re.search(r"(\d+) generated", report)
        assert tested is not None, report
        assert cases is not None, report
        spec = httpx.get(f"{server.url}/openapi.json").json()
        operations = sum(len(methods) for methods in spec["paths"].values())
        assert int(tested.group(1)) == operations == 10
        assert int(cases.group(1)) >= 10 * EXAMPLES // 2
        assert server.stop() == 0
        log = server.log()
    assert " ERROR " not in log, log
    assert "Traceback" not in log, log
