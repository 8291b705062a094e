"""Source throughput: streamed Parquet counting and PostgreSQL push-down, each against a baseline.

Run: .venv/bin/python -m tests.benchmarks.bench_sources [--rows N] [--skip-postgres]

Data: N rows (10M by default) of 20 numeric and 5 categorical columns plus a timestamp, all in
one window; generated here with a fixed seed.

(a) Parquet: the FileSource counts the window batch by batch; the baseline reads the same
    columns into one pandas DataFrame and counts that. Each runs in a fresh child process, so
    its peak RSS (VmHWM) is its own; the RSS of a child that only imports is printed too.
(b) PostgreSQL: the data is COPYed into a throwaway database on the server named by
    DRIFTMON_TEST_POSTGRES_URL (default postgresql+psycopg://postgres@127.0.0.1:5432/test).
    The SqlSource counts the window inside the database; the baseline fetches the window's rows
    into pandas (pd.read_sql_query) and counts them. Both connect through a byte-counting TCP
    relay so the bytes each moves over the wire are measured, not estimated. Both results are
    checked to be equal. Goals from the issue: (a) >= 30M values/s and < 1 GB peak RSS;
    (b) push-down >= 5x faster than the baseline. Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq

SEED = 20240601
N_NUMERIC = 20
N_CATEGORICAL = 5
CHUNK_ROWS = 1_000_000
START = datetime(2024, 1, 1, tzinfo=UTC)
SPAN = timedelta(days=1)
POSTGRES_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def numeric_names() -> list[str]:
    return [f"n{i:02d}" for i in range(N_NUMERIC)]


def categorical_names() -> list[str]:
    return [f"c{i}" for i in range(N_CATEGORICAL)]


def chunks(rows: int) -> Iterator[pa.Table]:
    """Yield the data in chunks: sorted timestamps over one day, mixed distributions, some nulls."""
    rng = np.random.default_rng(SEED)
    step = SPAN / rows
    for offset in range(0, rows, CHUNK_ROWS):
        n = min(CHUNK_ROWS, rows - offset)
        ts = np.datetime64(START.replace(tzinfo=None), "us") + (
            (np.arange(offset, offset + n) * step.total_seconds() * 1e6).astype("timedelta64[us]")
        )
        columns: dict[str, Any] = {"ts": pa.array(ts, pa.timestamp("us", tz="UTC"))}
        for i, name in enumerate(numeric_names()):
            values = rng.lognormal(0.0, 1.0, n) if i % 2 else rng.normal(i, 1.0 + i / 10, n)
            values[rng.random(n) < 0.01] = np.nan
            columns[name] = pa.array(values, from_pandas=True)
        for i, name in enumerate(categorical_names()):
            size = 10 * (i + 1)
            weights = 1.0 / np.arange(1, size + 1)
            codes = rng.choice(size, n, p=weights / weights.sum())
            labels = pa.array([f"{name}_v{k}" for k in range(size)])
            columns[name] = pa.DictionaryArray.from_arrays(pa.array(codes, pa.int32()), labels)
        yield pa.table(columns)


def specs_for(sample: pa.Table) -> dict[str, Any]:
    from driftmon.core import fit_bins

    return {
        name: fit_bins(sample.column(name), column=name) for name in numeric_names() + categorical_names()
    }


def peak_rss_mb() -> float:
    """Return this process's peak resident memory (VmHWM: unlike ru_maxrss, not inherited at exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024.0
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # not Linux: best effort


# -- (a) Parquet, measured in child processes ----------------------------------------------------


def child_parquet(path: str, mode: str) -> dict[str, Any]:
    from driftmon.config import FileSourceConfig
    from driftmon.core import count_values
    from driftmon.sources import FileSource
    from driftmon.windows import Window

    if mode == "imports":
        import pandas  # noqa: F401

        return {"seconds": 0.0, "cpu": 0.0, "rows": 0, "rss_mb": peak_rss_mb()}
    first = next(pq.ParquetFile(path).iter_batches(batch_size=100_000))
    specs = specs_for(pa.Table.from_batches([first]))
    window = Window(START, START + SPAN)
    started, cpu = time.perf_counter(), os.times()
    if mode == "stream":
        with FileSource(FileSourceConfig(path=path), "ts") as source:
            counted = source.count(specs, window)
        rows, counts = counted.rows, {k: h.counts.tolist() for k, h in counted.histograms.items()}
    else:
        import pandas as pd

        frame = pd.read_parquet(path, columns=["ts", *specs])
        frame = frame[(frame["ts"] >= pd.Timestamp(window.start)) & (frame["ts"] < pd.Timestamp(window.end))]
        rows = len(frame)
        counts = {k: count_values(spec, frame[k], k).counts.tolist() for k, spec in specs.items()}
    seconds = time.perf_counter() - started
    end = os.times()
    cpu_seconds = end.user - cpu.user + end.system - cpu.system
    return {"seconds": seconds, "cpu": cpu_seconds, "rows": rows, "rss_mb": peak_rss_mb(), "counts": counts}


def run_child(*args: str) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-m", "tests.benchmarks.bench_sources", *args],
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        raise SystemExit(f"child {args} failed:\n{out.stderr}")
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def bench_parquet(rows: int, workdir: Path) -> None:
    path = workdir / "window.parquet"
    started = time.perf_counter()
    writer: pq.ParquetWriter | None = None
    for table in chunks(rows):
        writer = writer or pq.ParquetWriter(path, table.schema)
        writer.write_table(table)
    assert writer is not None
    writer.close()
    size_mb = path.stat().st_size / 1e6
    print(f"(a) Parquet: wrote {rows:,} rows, {size_mb:,.0f} MB in {time.perf_counter() - started:.1f} s")
    imports = run_child("--child-parquet", str(path), "imports")
    stream = run_child("--child-parquet", str(path), "stream")
    pandas = run_child("--child-parquet", str(path), "pandas")
    if stream["counts"] != pandas["counts"] or stream["rows"] != pandas["rows"]:
        raise SystemExit("streamed counts differ from the pandas baseline")
    values = rows * (N_NUMERIC + N_CATEGORICAL)
    print(f"    imports only:            peak RSS {imports['rss_mb']:7,.0f} MB")
    for name, result in (("FileSource (streamed)", stream), ("pandas read + count", pandas)):
        rate = values / result["seconds"]
        print(
            f"    {name:<24} {result['seconds']:6.2f} s  {rate / 1e6:6.1f}M values/s  "
            f"peak RSS {result['rss_mb']:7,.0f} MB  (CPU {result['cpu']:.1f} s)"
        )
    print(
        f"    streamed vs pandas: {pandas['seconds'] / stream['seconds']:.2f}x the speed, "
        f"{stream['rss_mb'] / pandas['rss_mb']:.2f}x the peak memory; goal >= 30M values/s, < 1024 MB"
    )


# -- (b) PostgreSQL push-down vs fetching into pandas ----------------------------------------------


class CountingRelay:
    """A TCP relay to PostgreSQL that counts the bytes it carries in each direction."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.to_client = 0
        self.to_server = 0
        self._lock = threading.Lock()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def reset(self) -> None:
        with self._lock:
            self.to_client = self.to_server = 0

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            server = socket.create_connection(self.target)
            threading.Thread(target=self._pipe, args=(client, server, "to_server"), daemon=True).start()
            threading.Thread(target=self._pipe, args=(server, client, "to_client"), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket, counter: str) -> None:
        try:
            while data := source.recv(1 << 20):
                sink.sendall(data)
                with self._lock:
                    setattr(self, counter, getattr(self, counter) + len(data))
        except OSError:
            pass
        finally:
            for s in (source, sink):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        self._listener.close()


def load_postgres(url: str, rows: int) -> None:
    import psycopg
    from sqlalchemy.engine import make_url

    libpq = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    numeric = ", ".join(f"{n} double precision" for n in numeric_names())
    text = ", ".join(f"{c} text" for c in categorical_names())
    started = time.perf_counter()
    with psycopg.connect(libpq, autocommit=True) as conn:
        conn.execute(f"CREATE TABLE events (ts timestamptz, {numeric}, {text})")
        for table in chunks(rows):
            plain = table.cast(
                pa.schema(
                    [
                        pa.field(f.name, f.type.value_type if pa.types.is_dictionary(f.type) else f.type)
                        for f in table.schema
                    ]
                )
            )
            sink = pa.BufferOutputStream()
            pcsv.write_csv(plain, sink)
            with conn.cursor().copy("COPY events FROM STDIN WITH (FORMAT csv, HEADER true)") as copy:
                copy.write(sink.getvalue().to_pybytes())
        conn.execute("VACUUM (FREEZE, ANALYZE) events")
        size = conn.execute("SELECT pg_total_relation_size('events')").fetchone()
    assert size is not None
    print(
        f"(b) PostgreSQL: COPYed {rows:,} rows, table {size[0] / 1e6:,.0f} MB, "
        f"in {time.perf_counter() - started:.1f} s"
    )


def bench_postgres(rows: int, server_url: str, reuse: str | None = None) -> None:
    import pandas as pd
    import sqlalchemy as sa
    from sqlalchemy.engine import make_url

    from driftmon.config import SqlSourceConfig
    from driftmon.core import count_values
    from driftmon.sources import SqlSource
    from driftmon.windows import Window

    name = reuse or f"driftmon_bench_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first()
        if not exists:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    base = make_url(server_url).set(database=name)
    relay = CountingRelay(base.host or "127.0.0.1", base.port or 5432)
    try:
        if exists:
            print(f"(b) PostgreSQL: reusing the {rows:,}-row table in database {name}")
        else:
            load_postgres(base.render_as_string(hide_password=False), rows)
        via_relay = base.set(host="127.0.0.1", port=relay.port).render_as_string(hide_password=False)
        sample = next(chunks(min(rows, 100_000)))
        specs = specs_for(sample)
        window = Window(START, START + SPAN)
        columns = ", ".join(specs)
        engine = sa.create_engine(via_relay)
        with engine.connect() as conn:  # warm the OS cache so both contenders read from memory
            conn.execute(sa.text("SELECT count(*), sum(n00), min(c0) FROM events")).all()

        relay.reset()
        with SqlSource(SqlSourceConfig(url=via_relay, table="events"), "ts") as source:
            started = time.perf_counter()
            counted = source.count(specs, window)
            push_seconds = time.perf_counter() - started
        push_bytes = relay.to_client + relay.to_server

        relay.reset()
        started = time.perf_counter()
        query = sa.text(f"SELECT {columns} FROM events WHERE ts >= :start AND ts < :end")
        with engine.connect() as conn:
            parts = list(
                pd.read_sql_query(
                    query, conn, params={"start": window.start, "end": window.end}, chunksize=500_000
                )
            )
        frame = pd.concat(parts, ignore_index=True)
        baseline = {k: count_values(spec, frame[k], k).counts.tolist() for k, spec in specs.items()}
        fetch_seconds = time.perf_counter() - started
        fetch_bytes = relay.to_client + relay.to_server
        engine.dispose()
        pushed = {k: h.counts.tolist() for k, h in counted.histograms.items()}
        if pushed != baseline or counted.rows != len(frame):
            raise SystemExit("pushed-down counts differ from the pandas baseline")
        values = rows * (N_NUMERIC + N_CATEGORICAL)
        for label, seconds, moved in (
            ("SqlSource push-down", push_seconds, push_bytes),
            ("fetch into pandas + count", fetch_seconds, fetch_bytes),
        ):
            print(
                f"    {label:<26} {seconds:7.2f} s  {values / seconds / 1e6:6.1f}M values/s  "
                f"{moved:>15,} bytes over the wire"
            )
        print(
            f"    push-down vs fetch: {fetch_seconds / push_seconds:.1f}x faster, "
            f"{fetch_bytes / max(push_bytes, 1):,.0f}x fewer bytes; goal >= 5x faster"
        )
    finally:
        relay.close()
        if reuse is None:
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--skip-parquet", action="store_true")
    parser.add_argument(
        "--reuse-database",
        metavar="NAME",
        help="keep the PostgreSQL data in this database between runs (loaded once, never dropped)",
    )
    parser.add_argument("--child-parquet", nargs=2, metavar=("PATH", "MODE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_parquet:
        print(json.dumps(child_parquet(*args.child_parquet)))
        return
    load = os.getloadavg()[0]
    print(
        f"{args.rows:,} rows x ({N_NUMERIC} numeric + {N_CATEGORICAL} categorical) columns, one window; "
        f"{os.cpu_count()} CPUs, load average {load:.1f} at the start"
    )
    if not args.skip_parquet:
        with tempfile.TemporaryDirectory(prefix="driftmon-bench-") as workdir:
            bench_parquet(args.rows, Path(workdir))
    if not args.skip_postgres:
        url = os.environ.get("DRIFTMON_TEST_POSTGRES_URL", POSTGRES_DEFAULT)
        bench_postgres(args.rows, url, args.reuse_database)


if __name__ == "__main__":
    main()
