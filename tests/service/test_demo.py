"""The README's first command: `driftmon demo` then `driftmon serve -c config/demo.yaml`.

Within 60 seconds of the server starting, /metrics must show divergences for every demo
column and at least one alert in warning or critical state.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from driftmon.config import load_config
from driftmon.metrics import STATISTIC_METRICS

from .helpers import free_port, poll, series
from .server import serve_process, write_config

DEMO_CONFIG = Path(__file__).resolve().parents[2] / "config" / "demo.yaml"


def test_the_demo_shows_every_column_and_an_alert_within_60_seconds(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "DRIFTMON_DATABASE_URL"}
    env["DRIFTMON_DEMO_DIR"] = str(tmp_path / "driftmon-demo")
    subprocess.run(
        [sys.executable, "-m", "driftmon", "demo", "--dir", env["DRIFTMON_DEMO_DIR"]],
        cwd=tmp_path,
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
    )
    columns = {(m.name, c.name) for m in load_config([DEMO_CONFIG], env).monitors for c in m.columns}
    port = free_port()
    overlay = write_config(tmp_path / "port.yaml", {"server": {"port": port}})
    with serve_process([DEMO_CONFIG, overlay], tmp_path, port=port, env=env) as server:
        started = time.monotonic()
        server.start()

        def shown() -> bool:
            parsed = server.metrics()[1]
            scored = {
                (dict(labels)["monitor"], dict(labels)["column"])
                for labels in series(parsed, STATISTIC_METRICS["js_divergence"].value)
            }
            alerting = [v for v in series(parsed, "driftmon_column_alert_state").values() if v >= 1]
            return scored == columns and bool(alerting)

        poll(shown, timeout=60 - (time.monotonic() - started), what="every demo column scored and an alert")
        assert server.stop(signal.SIGINT) == 0


def test_before_driftmon_demo_every_command_says_to_run_it(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DRIFTMON_DATABASE_URL", "DRIFTMON_DEMO_DIR")}
    # The README's way: from a copy of the repository's config/, where no driftmon-demo/ exists yet.
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "demo.yaml").write_text(DEMO_CONFIG.read_text(encoding="utf-8"), encoding="utf-8")
    commands = {
        "serve": ["serve", "-c", "config/demo.yaml", "--port", str(free_port())],
        "backfill": ["backfill", "-c", "config/demo.yaml", "--last", "24"],
        "run": ["run", "-c", "config/demo.yaml", "--monitor", "checkout-fraud"],
    }
    for name, args in commands.items():
        done = subprocess.run(
            [sys.executable, "-m", "driftmon", *args],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 1, (name, done.stdout, done.stderr)
        assert f"directory {str(tmp_path / 'driftmon-demo')!r} does not exist" in done.stderr, name
        assert "run `driftmon demo` first" in done.stderr, (name, done.stderr)
    # With the demo kept elsewhere, the fix names that directory.
    elsewhere = tmp_path / "kept" / "demo"
    done = subprocess.run(
        [sys.executable, "-m", "driftmon", *commands["run"]],
        cwd=tmp_path,
        env={**env, "DRIFTMON_DEMO_DIR": str(elsewhere)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1
    assert f"run `driftmon demo --dir {elsewhere}` first" in done.stderr
