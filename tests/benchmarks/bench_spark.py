"""Counting in Spark (the spark source) vs `toPandas()` then counting in driftmon.

N rows x 20 float columns of Parquet on a local Spark; each measurement runs in a fresh process
so peak memory is its own. Prints, per row count and method: wall time of the count (the
driver already started), peak RSS of the Python driver and of the JVM, bytes returned to
Python, and values per second. Not a timed test: figures for the note and docs.

    python -m tests.benchmarks.bench_spark --rows 2000000 20000000
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

COLUMNS = 20
CHUNK = 1_000_000
EDGES = tuple(float(e) for e in np.linspace(-2.0, 2.0, 9))  # 10 value bins + missing
CONF = {
    "spark.sql.shuffle.partitions": "2",
    "spark.ui.enabled": "false",
    "spark.driver.memory": "6g",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    "spark.driver.maxResultSize": "0",
}


def write_data(path: Path, rows: int) -> None:
    """Write `rows` x 20 normal floats (1% NaN) in row groups of a million rows."""
    rng = np.random.default_rng(0)
    schema = pa.schema([(f"c{j}", pa.float64()) for j in range(COLUMNS)])
    with pq.ParquetWriter(path, schema) as writer:
        for start in range(0, rows, CHUNK):
            n = min(CHUNK, rows - start)
            arrays = []
            for _ in range(COLUMNS):
                values = rng.normal(size=n)
                values[rng.random(n) < 0.01] = np.nan
                arrays.append(pa.array(values))
            writer.write_table(pa.Table.from_arrays(arrays, schema=schema))


def _jvm_peak_kib() -> int:
    """Return the peak RSS (VmHWM) of this process's java children, in KiB."""
    total = 0
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            status = Path(f"/proc/{pid}/status").read_text()
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        ppid = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("PPid:"))
        if ppid == os.getpid() and b"java" in cmdline:
            total += next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:"))
    return total


def measure(path: str, rows: int, method: str) -> dict[str, Any]:
    """Start a local driver, then time one count of every column by `method`."""
    from driftmon.config import SparkSourceConfig
    from driftmon.core import NumericBins, count_values
    from driftmon.sources import SparkSource

    config = SparkSourceConfig(master="local[2]", conf=CONF, path=path)
    source = SparkSource(config, None)
    source.spark.range(1).count()  # the driver is up before the clock starts
    specs = {f"c{j}": NumericBins(EDGES) for j in range(COLUMNS)}
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    if method == "push-down":
        counted = source.count(specs, None)
        histograms = counted.histograms
        returned = 8 * (1 + sum(len(s.edges) + 2 for s in specs.values()))  # one row of longs
    else:
        frame = source.spark.read.parquet(path).toPandas()
        returned = int(frame.memory_usage(index=False, deep=True).sum())
        histograms = {n: count_values(s, frame[n], n) for n, s in specs.items()}
    wall = time.perf_counter() - started
    total = sum(h.n for h in histograms.values())
    assert total == rows * COLUMNS, (total, rows)
    return {
        "rows": rows,
        "method": method,
        "wall_s": wall,
        "python_peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "python_peak_before_mib": rss_before / 1024,
        "jvm_peak_mib": _jvm_peak_kib() / 1024,
        "bytes_returned": returned,
        "values_per_s": rows * COLUMNS / wall,
        "checksum": [int(x) for x in histograms["c0"].counts],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[2_000_000, 20_000_000])
    parser.add_argument("--methods", nargs="+", default=["push-down", "toPandas"])
    parser.add_argument("--measure", nargs=3, metavar=("PATH", "ROWS", "METHOD"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        path, rows, method = args.measure
        print(json.dumps(measure(path, int(rows), method)))
        return
    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for rows in args.rows:
            path = Path(tmp) / f"data-{rows}.parquet"
            write_data(path, rows)
            size = path.stat().st_size
            for method in args.methods:
                out = subprocess.run(
                    [
                        sys.executable,
                        "-m",
                        "tests.benchmarks.bench_spark",
                        "--measure",
                        str(path),
                        str(rows),
                        method,
                    ],
                    capture_output=True,
                    text=True,
                    check=False,
                )
                if out.returncode != 0:
                    print(f"{rows:>11,} {method:<10} FAILED: {out.stderr.strip().splitlines()[-1:]}")
                    continue
                result = json.loads(out.stdout.strip().splitlines()[-1])
                result["parquet_mib"] = size / 2**20
                results.append(result)
                print(
                    f"{rows:>11,} rows x {COLUMNS} ({size / 2**20:,.0f} MiB Parquet) {method:<10} "
                    f"wall {result['wall_s']:7.2f} s  python peak {result['python_peak_mib']:7,.0f} MiB  "
                    f"jvm peak {result['jvm_peak_mib']:7,.0f} MiB  "
                    f"returned {result['bytes_returned']:>13,} B  "
                    f"{result['values_per_s'] / 1e6:7.1f} M values/s",
                    flush=True,
                )
            path.unlink()
    by = {(r["rows"], r["method"]): r for r in results}
    for rows in args.rows:
        push, pandas = by.get((rows, "push-down")), by.get((rows, "toPandas"))
        if push and pandas:
            assert push["checksum"] == pandas["checksum"], "the two methods disagree"
            print(
                f"{rows:>11,} rows: wall push-down / toPandas {push['wall_s'] / pandas['wall_s']:.2f}, "
                f"python peak {push['python_peak_mib'] / pandas['python_peak_mib']:.2f}, "
                f"jvm peak {push['jvm_peak_mib'] / pandas['jvm_peak_mib']:.2f}; "
                f"{pandas['bytes_returned'] / push['bytes_returned']:,.0f}x fewer bytes returned"
            )
    if len(args.rows) > 1:
        first, last = args.rows[0], args.rows[-1]
        for method in args.methods:
            a, b = by.get((first, method)), by.get((last, method))
            if a and b:
                print(
                    f"{method}: {a['values_per_s'] / 1e6:.1f} M values/s at {first:,} rows -> "
                    f"{b['values_per_s'] / 1e6:.1f} M values/s at {last:,} rows"
                )


if __name__ == "__main__":
    main()
