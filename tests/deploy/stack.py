"""A real on-call loop here: driftmon serving the demo, Prometheus, Alertmanager, a webhook receiver.

Everything listens on 127.0.0.1 on free ports, keeps its state in a temporary directory and
is stopped by `Stack.stop()`. Prometheus scrapes every second and evaluates the shipped demo
rules every second; Alertmanager uses the shipped config with its receivers pointed at a
local HTTP receiver and its group waits shortened.

driftmon starts with `--no-catch-up`, and the stack replays the demo's last 24 hourly windows
through the API only once Prometheus holds a scrape of the state before them. So Prometheus
sees runs finish and alert states change between two of its samples, however loaded the
machine (a start-up catch-up can be over before the first scrape that does not time out).

Prometheus scrapes that one driftmon as two targets, `instance="driftmon-a"` and
`instance="driftmon-b"`: two replicas that follow one store export the same series, which is
what the shipped rules and dashboard must collapse into one alert and one line per column.
(Real replicas, each running its own scheduler: tests/service/test_replicas_prometheus.py.)
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, TypeVar

import httpx
import yaml

from driftmon.config import load_config
from driftmon.scheduler import recent_windows
from tests.deploy.conftest import DEMO_CONFIG, DEPLOY, REPO

T = TypeVar("T")

REPLAYED_WINDOWS = 24  # config/demo.yaml: scheduler.max_backfill_windows
# The `instance` labels of the two targets Prometheus scrapes the one driftmon as.
REPLICAS = ("driftmon-a", "driftmon-b")


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_for(what: str, check: Callable[[], T | None], timeout: float, interval: float = 0.5) -> T:
    """Poll `check` until it returns something other than None, or fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            result = check()
        except (httpx.HTTPError, OSError) as exc:
            last, result = exc, None
        if result is not None:
            return result
        time.sleep(interval)
    raise TimeoutError(f"{what}: not within {timeout:.0f}s" + (f" (last error: {last})" if last else ""))


def spawn(
    root: Path, name: str, args: list[str], cwd: Path, env: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    """Start a process in its own session, its output in `root/<name>.log`."""
    with (root / f"{name}.log").open("wb") as log:
        return subprocess.Popen(
            args, cwd=cwd, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True
        )


def log_tail(root: Path, name: str) -> str:
    """Return the tail of a process's output, for failure messages."""
    text = (root / f"{name}.log").read_text(encoding="utf-8", errors="replace")
    return text[-4000:]


def wait_ready(
    root: Path, name: str, process: subprocess.Popen[bytes], url: str, timeout: float = 60
) -> None:
    """Wait until `url` answers 200; fail with the process's log if it exits or never does."""

    def answered() -> bool | None:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited with {process.returncode}:\n{log_tail(root, name)}")
        return True if httpx.get(url, timeout=2).status_code == 200 else None

    try:
        wait_for(f"{name} ready at {url}", answered, timeout=timeout)
    except TimeoutError as exc:
        raise TimeoutError(f"{exc}\n{log_tail(root, name)}") from None


def write_prometheus_config(root: Path, config: dict[str, Any]) -> Path:
    """Write Prometheus' configuration to `root/prometheus.yml`."""
    path = root / "prometheus.yml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


def prometheus_args(binary: str, root: Path, port: int) -> list[str]:
    """Return the command line of a Prometheus on `root/prometheus.yml`, its data in `root`."""
    return [
        binary,
        f"--config.file={root / 'prometheus.yml'}",
        f"--storage.tsdb.path={root / 'prometheus-data'}",
        f"--web.listen-address=127.0.0.1:{port}",
    ]


@dataclass
class Receiver:
    """A local webhook receiver: records every JSON body POSTed to it, by path."""

    port: int = field(default_factory=free_port)
    posts: list[tuple[str, Any]] = field(default_factory=list)

    def start(self) -> None:
        """Serve on 127.0.0.1 in a background thread."""
        posts, lock = self.posts, threading.Lock()

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with lock:
                    posts.append((self.path, json.loads(body)))
                self.send_response(200)
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass  # the test reports what it received

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop serving and close the socket (nothing to do if it never started)."""
        if not hasattr(self, "_server"):
            return
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"


@dataclass
class Stack:
    """The processes of the loop, their ports and logs."""

    root: Path
    driftmon_port: int = field(default_factory=free_port)
    prometheus_port: int = field(default_factory=free_port)
    alertmanager_port: int = field(default_factory=free_port)
    receiver: Receiver = field(default_factory=Receiver)
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    started_at: float = 0.0

    @property
    def prometheus(self) -> str:
        return f"http://127.0.0.1:{self.prometheus_port}"

    @property
    def driftmon(self) -> str:
        return f"http://127.0.0.1:{self.driftmon_port}"

    def _spawn(self, name: str, args: list[str], cwd: Path, env: dict[str, str] | None = None) -> None:
        self.processes[name] = spawn(self.root, name, args, cwd, env)

    def log(self, name: str) -> str:
        """Return the tail of a process's output, for failure messages."""
        return log_tail(self.root, name)

    def _alertmanager_config(self) -> Path:
        config = yaml.safe_load((DEPLOY / "alertmanager" / "alertmanager.yml").read_text(encoding="utf-8"))
        config["route"].update(group_wait="1s", group_interval="1s")
        config["templates"] = [str(DEPLOY / "alertmanager" / "templates" / "*.tmpl")]
        slack_url = self.root / "slack-webhook-url"
        slack_url.write_text(self.receiver.url("/slack"), encoding="utf-8")
        for receiver in config["receivers"]:
            for webhook in receiver.get("webhook_configs", []):
                webhook["url"] = self.receiver.url("/webhook")
            for slack in receiver.get("slack_configs", []):
                slack["api_url_file"] = str(slack_url)
        path = self.root / "alertmanager.yml"
        path.write_text(yaml.safe_dump(config), encoding="utf-8")
        return path

    def _prometheus_config(self) -> Path:
        config = {
            "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
            "rule_files": [str(DEPLOY / "prometheus" / "demo.rules.yml")],
            "alerting": {
                "alertmanagers": [{"static_configs": [{"targets": [f"127.0.0.1:{self.alertmanager_port}"]}]}]
            },
            "scrape_configs": [
                {
                    "job_name": "driftmon",
                    "static_configs": [
                        {"targets": [f"127.0.0.1:{self.driftmon_port}"], "labels": {"instance": replica}}
                        for replica in REPLICAS
                    ],
                }
            ],
        }
        return write_prometheus_config(self.root, config)

    def start(self, prometheus: str, alertmanager: str) -> None:
        """Start the receiver, Alertmanager, Prometheus and then driftmon; wait until each answers."""
        self.receiver.start()
        self._spawn(
            "alertmanager",
            [
                alertmanager,
                f"--config.file={self._alertmanager_config()}",
                f"--storage.path={self.root / 'alertmanager-data'}",
                f"--web.listen-address=127.0.0.1:{self.alertmanager_port}",
                "--cluster.listen-address=",
            ],
            cwd=self.root,
        )
        self._prometheus_config()
        self._spawn("prometheus", prometheus_args(prometheus, self.root, self.prometheus_port), cwd=self.root)
        for name, url in (
            ("alertmanager", f"http://127.0.0.1:{self.alertmanager_port}/-/ready"),
            ("prometheus", f"{self.prometheus}/-/ready"),
        ):
            self._ready(name, url)
        self._start_driftmon()

    def _start_driftmon(self) -> None:
        demo = self.root / "demo"
        env = {**os.environ, "DRIFTMON_DEMO_DIR": str(demo)}
        env.pop("DRIFTMON_DATABASE_URL", None)
        subprocess.run(
            [sys.executable, "-m", "driftmon", "demo", "--dir", str(demo)],
            cwd=self.root,
            env=env,
            check=True,
            capture_output=True,
            timeout=120,
        )
        overrides = self.root / "driftmon.yaml"
        overrides.write_text(
            yaml.safe_dump({"server": {"host": "127.0.0.1", "port": self.driftmon_port}}), encoding="utf-8"
        )
        configs = [str(REPO / DEMO_CONFIG), str(overrides)]
        self.started_at = time.time()
        self._spawn(
            "driftmon",
            [sys.executable, "-m", "driftmon", "serve", "--no-catch-up", "-c", configs[0], "-c", configs[1]],
            cwd=self.root,
            env=env,
        )
        self._ready("driftmon", f"{self.driftmon}/readyz")
        self.replay(configs, env)

    def latest(self, expr: str) -> list[dict[str, Any]]:
        """Return the series of an instant query at Prometheus' now."""
        response = httpx.get(f"{self.prometheus}/api/v1/query", params={"query": expr}, timeout=30)
        result: list[dict[str, Any]] = response.json()["data"]["result"]
        return result

    def replay(self, configs: list[str], env: dict[str, str]) -> None:
        """Run the demo's last 24 windows of each monitor through the API, oldest first.

        First wait until Prometheus holds a scrape of every monitor with no run counted yet (and
        the alert states at ok), so the runs and state changes land between two of its samples.
        """
        saved = {k: os.environ.get(k) for k in env}
        os.environ.update(env)  # config/demo.yaml reads DRIFTMON_DEMO_DIR
        try:
            config = load_config(configs)
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
        monitors = [m for m in config.monitors if m.enabled]

        def scraped_before_runs() -> bool | None:
            counts = self.latest("driftmon_monitor_run_duration_seconds_count")
            return True if {s["metric"]["monitor"] for s in counts} >= {m.name for m in monitors} else None

        wait_for("Prometheus scraping driftmon before any run", scraped_before_runs, timeout=120)
        now = datetime.now(UTC)
        for monitor in monitors:
            for window in recent_windows(monitor, now, REPLAYED_WINDOWS):
                self._run_window(monitor.name, window.end)

    def _run_window(self, monitor: str, end: datetime) -> None:
        url = f"{self.driftmon}/api/v1/monitors/{monitor}/runs"

        def ran() -> bool | None:
            # 409: the monitor's scheduled tick is running windows (it runs them oldest first too).
            response = httpx.post(url, json={"window_end": end.isoformat()}, timeout=120)
            if response.status_code == 409:
                return None
            if response.status_code != 200 or response.json().get("status") == "failed":
                raise AssertionError(f"POST {url} {end.isoformat()}: {response.status_code} {response.text}")
            return True

        wait_for(f"monitor {monitor} window ending {end.isoformat()} run", ran, timeout=120)

    def _ready(self, name: str, url: str) -> None:
        wait_ready(self.root, name, self.processes[name], url)

    def stop(self) -> None:
        """Stop every process (SIGTERM, then SIGKILL after 20 s) and the receiver."""
        for process in reversed(list(self.processes.values())):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        self.receiver.stop()

    def query(self, expr: str, start: float | None = None, step: str = "2s") -> list[dict[str, Any]]:
        """Run a range query from `start` (default: driftmon's start) to now; return its series."""
        now = time.time()
        params: dict[str, str | float] = {
            "query": expr,
            "start": start or self.started_at,
            "end": now,
            "step": step,
        }
        response = httpx.get(f"{self.prometheus}/api/v1/query_range", params=params, timeout=30)
        body = response.json()
        if body.get("status") != "success":
            raise AssertionError(f"Prometheus refused {expr!r}: {body.get('error')}")
        result: list[dict[str, Any]] = body["data"]["result"]
        return result

    def label_values(self, label: str, match: str) -> list[str]:
        """Return a label's values over the series `match` selects (Grafana's label_values())."""
        params = {"match[]": match, "start": self.started_at, "end": time.time()}
        response = httpx.get(f"{self.prometheus}/api/v1/label/{label}/values", params=params, timeout=30)
        values: list[str] = response.json()["data"]
        return values
