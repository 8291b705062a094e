"""Spark sessions of spark sources: created on first use, shared by the sources of one process.

pyspark is an optional dependency (`driftmon[spark]`), imported here on first use only.

A classic Spark driver lives in this process (one JVM, one SparkContext), so every classic
spark source of a driftmon process must name the same master and settings; a second one is
refused with a clear error instead of silently running on the first one's cluster. Spark
Connect (`sc://`) sessions are remote: one per distinct URL and settings.

Before a session is created, the master's address is tried over TCP: a standalone master or
Connect server that does not answer fails the run at once (the Spark client would otherwise
retry for minutes before giving up). Sessions are not stopped when a source is closed: the
next window reuses them, which saves the seconds a driver takes to start.
"""

from __future__ import annotations

import re
import socket
import threading
from typing import Any, TypeAlias

from driftmon.config import SparkSourceConfig
from driftmon.errors import SourceError, SourceUnreachableError

# Applied unless the source's `conf` says otherwise: naive timestamps are UTC as everywhere in
# driftmon, and a service's log is no place for progress bars.
DEFAULT_SPARK_CONF = {
    "spark.app.name": "driftmon",
    "spark.sql.session.timeZone": "UTC",
    "spark.ui.showConsoleProgress": "false",
    "spark.log.level": "ERROR",
}
CONNECT_TIMEOUT_SECONDS = 10
_STANDALONE_PORT = 7077
_CONNECT_PORT = 15002

_CONDITION = re.compile(r"\[([A-Z][A-Z0-9_]*(?:\.[A-Z0-9_]+)*)\]")

# A session is shared by the sources naming the same master and settings (sorted).
_Key: TypeAlias = tuple[str, tuple[tuple[str, str], ...]]

_lock = threading.Lock()
_classic: tuple[_Key, Any] | None = None
_remote: dict[_Key, Any] = {}


def _addresses(master: str) -> list[tuple[str, int]]:
    """Return the host:port pairs a spark:// or sc:// master names (none for local, yarn, k8s)."""
    if master.startswith("spark://"):
        hosts, default = master.removeprefix("spark://"), _STANDALONE_PORT
    elif master.startswith("sc://"):
        hosts, default = master.removeprefix("sc://").split("/", 1)[0].split(";", 1)[0], _CONNECT_PORT
    else:
        return []
    out = []
    for part in hosts.split(","):  # spark://h1:7077,h2:7077 names standby masters
        host, _, port = part.rpartition(":") if part.rpartition(":")[2].isdigit() else (part, "", "")
        out.append((host.strip("[]") or "localhost", int(port) if port else default))
    return out


def check_reachable(config: SparkSourceConfig, description: str) -> None:
    """Raise SourceUnreachableError unless one of the master's addresses accepts a TCP connection."""
    addresses = _addresses(config.master)
    reasons = []
    for host, port in addresses:
        try:
            with socket.create_connection((host, port), timeout=CONNECT_TIMEOUT_SECONDS):
                return
        except OSError as exc:
            reasons.append(f"{host}:{port}: {exc.strerror or exc}")
    if addresses:
        what = "Spark Connect server" if config.connect else "Spark master"
        raise SourceUnreachableError(description, f"{what} does not answer ({'; '.join(reasons)})")


def _import_pyspark(description: str) -> Any:
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:
        raise SourceError(
            description, f"pyspark is not installed ({exc}); install it with pip install 'driftmon[spark]'"
        ) from None
    return SparkSession


def spark_session(config: SparkSourceConfig, description: str) -> Any:
    """Return the Spark session for this source's master and settings, creating it on first use."""
    global _classic
    settings = {**DEFAULT_SPARK_CONF, **config.conf}
    key: _Key = (config.master, tuple(sorted(settings.items())))
    with _lock:
        if config.connect and key in _remote:
            return _remote[key]
        if not config.connect and _classic is not None and _classic[0] == key:
            return _classic[1]
        check_reachable(config, description)
        if not config.connect and _classic is not None:
            raise SourceError(description, _clash(_classic[0], key))
        session_class = _import_pyspark(description)
        builder = session_class.builder
        builder = builder.remote(config.master) if config.connect else builder.master(config.master)
        for name, value in settings.items():
            builder = builder.config(name, value)
        try:
            session = builder.create() if config.connect else builder.getOrCreate()
        except Exception as exc:  # the JVM or the Connect client: any failure means no session
            raise SourceUnreachableError(
                description, f"cannot start a Spark session: {first_line(exc)}"
            ) from None
        if config.connect:
            _remote[key] = session
        else:
            _classic = (key, session)
        return session


def _clash(running: _Key, wanted: _Key) -> str:
    if running[0] != wanted[0]:
        return (
            f"this process already runs a Spark driver for master {running[0]!r}; a process holds one "
            f"classic Spark driver, so every spark source must use the same master (or Spark Connect sc://)"
        )
    ours, theirs = dict(running[1]), dict(wanted[1])
    differ = sorted(k for k in ours.keys() | theirs.keys() if ours.get(k) != theirs.get(k))
    return (
        f"this process already runs a Spark driver with other settings ({', '.join(differ)} differ); "
        "give every spark source on one master the same conf (e.g. in defaults.source.conf)"
    )


def first_line(exc: BaseException) -> str:
    """Return the first meaningful line of a Spark error (no JVM stack trace, no py4j wrapper)."""
    java = getattr(exc, "java_exception", None)  # py4j's "An error occurred while calling o42.load"
    text = str(java.toString() if java is not None else exc).strip()
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith(("JVM stacktrace", "at ", "\tat ")):
            return line[:500]
    return type(exc).__name__


def error_condition(exc: BaseException, text: str) -> str:
    """Return Spark's error condition (TABLE_OR_VIEW_NOT_FOUND, ...) of an error, or ''."""
    getter = getattr(exc, "getCondition", None) or getattr(exc, "getErrorClass", None)
    condition = getter() if callable(getter) else None
    if condition:
        return str(condition)
    found = _CONDITION.search(text)
    return found.group(1) if found else ""
