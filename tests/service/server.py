"""`driftmon serve` as a real subprocess on a free port, and a real webhook receiver."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from .helpers import Parsed, free_port, parse, poll


def write_config(path: Path, data: Mapping[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(dict(data), sort_keys=False))
    return path


class ServerProcess:
    """One `driftmon serve -c CONFIG` process, its stderr kept in a file of the working directory."""

    def __init__(
        self,
        config: Path | Sequence[Path],
        workdir: Path,
        *,
        port: int,
        env: Mapping[str, str] | None = None,
        args: Sequence[str] = (),
    ) -> None:
        self.configs = [config] if isinstance(config, Path) else list(config)
        self.args = list(args)
        self.workdir = workdir
        self.url = f"http://127.0.0.1:{port}"
        self.env = {**os.environ, **(env or {})}
        self.starts = 0
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path = workdir / "serve-0.log"

    def start(self, timeout: float = 60.0) -> ServerProcess:
        """Start the server and wait until /healthz answers (fail with its log if it exits)."""
        self.starts += 1
        self.log_path = self.workdir / f"serve-{self.starts}.log"
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "driftmon",
                    "serve",
                    *(f"--config={c}" for c in self.configs),
                    *self.args,
                ],
                cwd=self.workdir,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        poll(self._healthy, timeout=timeout, what=f"driftmon serve on {self.url} to answer /healthz")
        return self

    def _healthy(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            raise AssertionError(f"driftmon serve exited with {self.process.returncode}:\n{self.log()}")
        try:
            return httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def log(self) -> str:
        """Return everything the current process has logged."""
        return self.log_path.read_text(errors="replace")

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return httpx.get(f"{self.url}{path}", timeout=30, **kwargs)

    def metrics(self) -> tuple[bytes, Parsed]:
        body = self.get("/metrics").content
        return body, parse(body)

    def send(self, signum: int) -> None:
        assert self.process is not None
        self.process.send_signal(signum)

    def stop(self, signum: int = signal.SIGTERM, timeout: float = 60.0) -> int:
        """Send `signum` and return the exit status (fail if it does not exit within `timeout`)."""
        assert self.process is not None
        self.process.send_signal(signum)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise AssertionError(f"driftmon serve did not exit within {timeout:g}s:\n{self.log()}") from None

    def wait(self, timeout: float = 60.0) -> int:
        """Wait for the process to exit by itself; return its status."""
        assert self.process is not None
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise AssertionError(f"driftmon serve did not exit within {timeout:g}s:\n{self.log()}") from None

    def kill(self) -> None:
        """SIGKILL: no handler runs, nothing is cleaned up."""
        assert self.process is not None
        self.process.kill()
        self.process.wait(30)

    def close(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(30)


@contextmanager
def serve_process(
    config: Path | Sequence[Path],
    workdir: Path,
    *,
    port: int,
    env: Mapping[str, str] | None = None,
    args: Sequence[str] = (),
) -> Iterator[ServerProcess]:
    server = ServerProcess(config, workdir, port=port, env=env, args=args)
    try:
        yield server
    finally:
        server.close()


class Receiver:
    """A webhook endpoint on a free local port that keeps every JSON body it receives.

    It answers on any path; `url` is the one it is known by (webhook URLs often carry a token).
    While `refusing`, it keeps nothing and answers 503 with a Retry-After of `retry_after` seconds.
    """

    def __init__(self, path: str = "/hook", retry_after: int = 1) -> None:
        self.port = free_port()
        self.path = path
        self.bodies: list[dict[str, Any]] = []
        self.refusing = False
        self.refused = 0
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = json.loads(self.rfile.read(length))
                with receiver._lock:
                    refused = receiver.refusing
                    if refused:
                        receiver.refused += 1
                    else:
                        receiver.bodies.append(body)
                if refused:
                    self.send_response(503)
                    self.send_header("Retry-After", str(retry_after))
                    self.send_header("Content-Length", "0")
                else:
                    self.send_response(204)
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{self.path}"

    def received(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self.bodies)

    def refuse(self, refusing: bool = True) -> None:
        """Refuse (503) every delivery from now on, or accept them again with `refusing=False`."""
        with self._lock:
            self.refusing = refusing

    def __enter__(self) -> Receiver:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


def promtool_check(body: bytes) -> str:
    """Run `promtool check metrics` on `body` and return its output; skip (fail under CI) without it."""
    path = shutil.which("promtool")
    if path is None:
        message = "promtool is not installed (Debian package `prometheus`; .ci/run installs it)"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(f"CI=true but {message}")
        pytest.skip(message)
    done = subprocess.run(
        [path, "check", "metrics"], input=body, capture_output=True, timeout=60, check=False
    )
    printed = (done.stdout + done.stderr).decode()
    assert (done.returncode == 0) == (printed == ""), (done.returncode, printed)
    return printed


def wait_until(moment: float) -> None:
    """Wait until the wall clock reaches `moment` (time.time()): the server runs on real time."""
    poll(
        lambda: time.time() >= moment,
        timeout=max(0.0, moment - time.time()) + 5,
        what="time to pass",
        every=0.1,
    )
