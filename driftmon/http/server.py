"""HttpServer: uvicorn serving the app from a background thread, on a socket bound up front.

The socket is bound in the caller's thread, so a port in use is a clear error at start-up
instead of a log line from a thread. The server runs off the main thread, which leaves signal
handling to the service (uvicorn installs its handlers only on the main thread).
"""

from __future__ import annotations

import logging
import socket
import threading
import time

import uvicorn
from fastapi import FastAPI

from driftmon.errors import DriftmonError

log = logging.getLogger(__name__)


class ListenError(DriftmonError, OSError):
    """The server cannot listen on the configured host and port."""


def _bind(host: str, port: int) -> socket.socket:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise ListenError(f"cannot listen on {host}:{port}: unknown host ({exc.strerror})") from None
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
    except OSError as exc:
        sock.close()
        raise ListenError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    sock.set_inheritable(True)
    return sock


class HttpServer:
    """Serve `app` on host:port (port 0 picks a free port; see `port`)."""

    def __init__(self, app: FastAPI, host: str, port: int, *, access_log: bool = False) -> None:
        self.host = host
        self._socket = _bind(host, port)
        self.port: int = self._socket.getsockname()[1]
        config = uvicorn.Config(
            app,
            log_config=None,  # records go to driftmon's handlers (text or JSON)
            access_log=access_log,
            lifespan="off",
            server_header=False,
            timeout_graceful_shutdown=5,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, name="driftmon-http", daemon=True
        )

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def start(self, timeout: float = 30.0) -> None:
        """Start serving; return once requests are accepted, or raise ListenError."""
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive():
                raise ListenError(f"the HTTP server on {self.url} stopped during start-up (see the log)")
            if time.monotonic() > deadline:
                raise ListenError(f"the HTTP server on {self.url} did not start within {timeout:g}s")
            time.sleep(0.01)
        log.info("serving on %s (pages at /, /metrics, /healthz, /readyz, /api/v1, /docs)", self.url)

    def stop(self, timeout: float = 10.0) -> None:
        """Stop accepting requests, finish those in flight, and wait for the server thread."""
        self._server.should_exit = True
        self._thread.join(timeout)
        self._socket.close()
