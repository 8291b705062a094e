"""A real HTTP receiver on a free loopback port, scripted per request, for webhook tests."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Reply:
    status: int = 200
    body: bytes = b"ok"
    headers: dict[str, str] = field(default_factory=dict)
    stall: bool = False


class Receiver:
    """Record every POST; answer with the scripted replies in order, then 200."""

    def __init__(self) -> None:
        self.requests: list[Received] = []
        self.replies: list[Reply] = []
        self.release = threading.Event()
        self.lock = threading.Lock()
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def script(self, *replies: Reply) -> None:
        self.replies.extend(replies)

    def next_reply(self, received: Received) -> Reply:
        with self.lock:
            self.requests.append(received)
            return self.replies.pop(0) if self.replies else Reply()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    receiver: Receiver

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that timed out has gone by the time a stalled reply is written: expected here.
        pass


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        received = Received(
            self.path, {k.lower(): v for k, v in self.headers.items()}, self.rfile.read(length)
        )
        reply = self.server.receiver.next_reply(received)
        if reply.stall:
            self.server.receiver.release.wait(timeout=30)
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        self.wfile.write(reply.body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """Serve a Receiver on 127.0.0.1 in a thread; stop it (releasing stalled replies) afterwards."""
    recv = Receiver()
    server = _Server(("127.0.0.1", 0), _Handler)
    server.receiver = recv
    recv.port = server.server_address[1]
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="webhook-receiver", daemon=True
    )
    thread.start()
    try:
        yield recv
    finally:
        recv.release.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture
def closed_port() -> int:
    """Return a loopback port that nothing listens on."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port
