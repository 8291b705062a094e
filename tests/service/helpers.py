"""Data, configs and clocks for the service tests: Parquet and SQLite events, monitors from dicts."""

from __future__ import annotations

import socket
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import sqlalchemy as sa
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.engine import Engine

from driftmon.config import Config

T0 = datetime(2026, 3, 2, tzinfo=UTC)
HOUR = timedelta(hours=1)

Labels = frozenset[tuple[str, str]]
Parsed = dict[tuple[str, Labels], float]


@dataclass
class Clock:
    """A settable clock: `now` is what the scheduler sees."""

    now: datetime
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self) -> datetime:
        with self._lock:
            return self.now

    def advance(self, by: timedelta) -> datetime:
        with self._lock:
            self.now += by
            return self.now


def event_rows(
    start: datetime, windows: int, size: timedelta, *, rows: int, shift: float = 0.0, seed: int = 1
) -> tuple[list[datetime], np.ndarray[Any, Any], list[str]]:
    """Return (timestamps, x, c) for `windows` windows of `size` from `start`, `rows` rows each."""
    rng = np.random.default_rng(seed)
    stamps: list[datetime] = []
    for w in range(windows):
        offsets = np.sort(rng.uniform(0, size.total_seconds() * 0.999, rows))
        stamps.extend(start + w * size + timedelta(seconds=float(s)) for s in offsets)
    x = rng.normal(shift, 1.0, rows * windows)
    c = rng.choice(["a", "b", "c"], rows * windows, p=[0.5, 0.3, 0.2]).tolist()
    return stamps, x, c


def write_parquet(
    path: Path,
    start: datetime,
    windows: int,
    size: timedelta = HOUR,
    *,
    rows: int = 300,
    shift: float = 0.0,
    seed: int = 1,
) -> Path:
    """Write events (`event_time`, numeric `x`, categorical `c`) to one Parquet file."""
    stamps, x, c = event_rows(start, windows, size, rows=rows, shift=shift, seed=seed)
    table = pa.table(
        {
            "event_time": pa.array(stamps, pa.timestamp("us", tz="UTC")),
            "x": pa.array(x),
            "c": pa.array(c, pa.string()),
        }
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path)
    return path


def write_sqlite(
    path: Path, start: datetime, windows: int, size: timedelta = HOUR, *, rows: int = 300, seed: int = 1
) -> str:
    """Write events to table `events` of a SQLite file (rollback journal, so a writer blocks readers)."""
    stamps, x, c = event_rows(start, windows, size, rows=rows, seed=seed)
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS events (event_time TEXT, x REAL, c TEXT)")
        text = [s.strftime("%Y-%m-%dT%H:%M:%S.%fZ") for s in stamps]
        values = [(t, float(v), k) for t, v, k in zip(text, x, c, strict=True)]
        conn.executemany("INSERT INTO events VALUES (?, ?, ?)", values)
    conn.close()
    return f"sqlite:///{path}"


def monitor(
    name: str, source: Mapping[str, Any], reference: Mapping[str, Any], **settings: Any
) -> dict[str, Any]:
    """Return a raw monitor mapping: columns x (numeric) and c (categorical), 1-hour windows."""
    data: dict[str, Any] = {
        "name": name,
        "source": dict(source),
        "timestamp_column": "event_time",
        "reference": dict(reference),
        "window": {"size": "1h"},
        "columns": ["x", {"name": "c", "kind": "categorical"}],
        "min_samples": 100,
        "alerts": {"js_divergence": {"warning": 0.02, "critical": 0.05, "for_windows": 1}},
    }
    data.update(settings)
    return data


def file_monitor(name: str, live: Path | str, reference: Path, **settings: Any) -> dict[str, Any]:
    return monitor(name, {"kind": "file", "path": str(live)}, {"path": str(reference)}, **settings)


def config(*monitors: Mapping[str, Any], **sections: Any) -> Config:
    """Return a validated Config of these monitors and top-level sections."""
    return Config.model_validate({"monitors": list(monitors), **sections})


def free_port() -> int:
    """Return a TCP port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def poll(check: Callable[[], Any], *, timeout: float, what: str, every: float = 0.05) -> Any:
    """Call `check` until it returns something truthy or `timeout` seconds pass (then fail naming `what`)."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g}s waiting for {what} (last: {result!r})")
        time.sleep(every)


def in_source_query(engine: Engine, application_prefix: str) -> list[str]:
    """Return the application names (PGAPPNAME) starting with the prefix that are in a SQL source's query now.

    (pg_stat_activity keeps only a query's first 1 kB: the source's subquery name, not its text.)
    """
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT application_name FROM pg_stat_activity WHERE state = 'active' "
                "AND application_name LIKE :prefix AND query LIKE '%driftmon_source%'"
            ),
            {"prefix": f"{application_prefix}%"},
        )
        return [r.application_name for r in rows]


def parse(body: bytes | str) -> Parsed:
    """Return {(sample name, labels): value} of an exposition, failing on a repeated series."""
    text = body.decode() if isinstance(body, bytes) else body
    out: Parsed = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            key = (sample.name, frozenset(sample.labels.items()))
            assert key not in out, f"series {key} appears twice"
            out[key] = sample.value
    return out


def value(parsed: Parsed, name: str, **labels: str) -> float:
    return parsed[name, frozenset(labels.items())]


def series(parsed: Parsed, name: str) -> dict[Labels, float]:
    return {labels: v for (sample, labels), v in parsed.items() if sample == name}


def only(items: Iterable[Any]) -> Any:
    listed = list(items)
    assert len(listed) == 1, listed
    return listed[0]


def end_lease_holders(engine: Engine) -> None:
    """End the connections holding advisory locks on this engine's database (other than its own),
    as when their process is killed: PostgreSQL frees their leases."""
    with engine.connect() as conn:
        conn.execute(
            sa.text(
                "SELECT pg_terminate_backend(pid) FROM pg_locks "
                "WHERE locktype = 'advisory' AND granted AND pid <> pg_backend_pid() "
                "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
            )
        )
        conn.commit()
