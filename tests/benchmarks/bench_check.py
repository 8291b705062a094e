"""driftmon.check() against plain numpy doing the same work and Evidently's Report, in one process.

Run: .venv/bin/python -m tests.benchmarks.bench_check [--rows N] [--columns C] [--big-rows N]
     [--repeats R] [--skip-big] [--skip-evidently]

Data: a reference and a live frame of N rows (1M by default) x C float64 columns (20), NaN-free
and generated here with a fixed seed; every other live column is shifted by 0.05 sd.

- numpy same-work: per column, np.quantile decile edges on the whole reference, np.histogram of
  both frames over them (open outer bins), additive smoothing, then both KL directions, JS, PSI
  and Hellinger. check() does that and more: its no-drift calibration (noise level, p-value) and
  a result DataFrame.
- Evidently: `Report([DataDriftPreset()]).run(live, reference)`, timed once (it is slow); skipped
  with a message when evidently is not installed (it is no dependency of driftmon, not even a dev
  one: `pip install evidently` into the venv to run it) or cannot be imported (evidently 0.7
  needs pandas 2: run this benchmark from a venv with `pip install -e . evidently "pandas<3"`).
- Input types: the same check() on a pyarrow Table and a polars DataFrame (polars if installed).
- Big: check() on `--big-rows` (10M) x C in a fresh child process. Its RSS high-water mark
  (VmHWM) is reset once the frames are built, so the peak printed is the one during check(),
  next to the data's size and the process's RSS with the frames (imports included).

Goals from the issue, printed beside the figures, never asserted: check >= 5x numpy same-work and
>= 30x Evidently on 1M x 20; 10M x 20 in <= 4 s with peak RSS <= data + 10%. Wall-clock figures
on a shared machine vary run to run; CPU seconds (all threads) are printed next to them.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa

import driftmon
from driftmon.core import DEFAULT_ALPHA, DEFAULT_NUMERIC_BINS

SEED = 20261203
GOAL_NUMPY = 5.0
GOAL_EVIDENTLY = 30.0
GOAL_BIG_SECONDS = 4.0
GOAL_RSS_OVER_DATA = 1.10


def frames(rows: int, columns: int, seed: int = SEED) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Two frames of float64 columns, each one numpy block of the frame's own (no copy made)."""
    rng = np.random.default_rng(seed)
    names = [f"x{i:02d}" for i in range(columns)]
    reference = rng.normal(size=(columns, rows))
    live = rng.normal(size=(columns, rows))
    live[1::2] += 0.05
    return (
        pd.DataFrame(reference.T, columns=names, copy=False),
        pd.DataFrame(live.T, columns=names, copy=False),
    )


def best(run: Callable[[], object], repeats: int) -> tuple[float, float]:
    """Best wall seconds of `repeats` runs after a warm-up, and the CPU seconds of that run."""
    run()
    wall, cpu = float("inf"), float("inf")
    for _ in range(repeats):
        gc.collect()
        w, c = time.perf_counter(), time.process_time()
        run()
        w, c = time.perf_counter() - w, time.process_time() - c
        if w < wall:
            wall, cpu = w, c
    return wall, cpu


def _smooth(counts: npt.NDArray[np.int64], alpha: float) -> npt.NDArray[np.float64]:
    s = counts + alpha
    return s / s.sum()


def numpy_same_work(reference: pd.DataFrame, live: pd.DataFrame) -> dict[str, float]:
    """What a careful numpy user writes: exact quantile edges, histograms, the five statistics."""
    qs = np.linspace(0.0, 1.0, DEFAULT_NUMERIC_BINS + 1)[1:-1]
    out = {}
    for name in reference.columns:
        ref, cur = reference[name].to_numpy(), live[name].to_numpy()
        edges = np.unique(np.quantile(ref, qs))
        bounds = np.concatenate(([-np.inf], edges, [np.inf]))
        p = _smooth(np.histogram(ref, bins=bounds)[0], DEFAULT_ALPHA)
        q = _smooth(np.histogram(cur, bins=bounds)[0], DEFAULT_ALPHA)
        m = 0.5 * (p + q)
        js = 0.5 * np.sum(q * np.log2(q / m)) + 0.5 * np.sum(p * np.log2(p / m))
        kl_live_ref = np.sum(q * np.log2(q / p))
        kl_ref_live = np.sum(p * np.log2(p / q))
        psi = np.sum((q - p) * np.log(q / p))
        hellinger = np.sqrt(0.5 * np.sum((np.sqrt(q) - np.sqrt(p)) ** 2))
        out[name] = float(js)
        del kl_live_ref, kl_ref_live, psi, hellinger
    return out


def evidently_report(reference: pd.DataFrame, live: pd.DataFrame) -> Callable[[], object] | str:
    """A run of Evidently's Report, or why there is none."""
    os.environ.setdefault("DO_NOT_TRACK", "1")
    try:
        from evidently import Report
        from evidently.presets import DataDriftPreset
    except ModuleNotFoundError:
        return "evidently is not installed; `pip install evidently` into the venv to compare"
    except ImportError as exc:  # e.g. evidently 0.7 imports a pandas internal that pandas 3 dropped
        return f"evidently cannot be imported here ({exc}); try a venv with pandas 2"

    def run() -> object:
        return Report([DataDriftPreset()]).run(current_data=live, reference_data=reference)

    return run


def _rss_kib(field: str) -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/self/status")


def child_big(rows: int, columns: int) -> None:
    """Time one check() on big frames; print JSON with its peak RSS (this process is fresh)."""
    small_ref, small_live = frames(1000, columns, seed=1)
    driftmon.check(small_ref, small_live)  # imports and first calls are not the figure
    del small_ref, small_live
    reference, live = frames(rows, columns)
    data = reference.memory_usage(index=False).sum() + live.memory_usage(index=False).sum()
    gc.collect()
    before = _rss_kib("VmRSS")
    with open("/proc/self/clear_refs", "w") as clear:
        clear.write("5")  # reset VmHWM to the current RSS: the peak below is check()'s
    wall, cpu = time.perf_counter(), time.process_time()
    result = driftmon.check(reference, live)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    peak = _rss_kib("VmHWM")
    if (result["status"] != "ok").any():
        raise SystemExit(f"big check failed: {result[['column', 'status', 'error']]}")
    print(
        json.dumps(
            {"wall": wall, "cpu": cpu, "data": int(data), "before": before * 1024, "peak": peak * 1024}
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--columns", type=int, default=20)
    parser.add_argument("--big-rows", type=int, default=10_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--skip-big", action="store_true")
    parser.add_argument("--skip-evidently", action="store_true")
    parser.add_argument("--child-big", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_big:
        child_big(args.big_rows, args.columns)
        return
    bench_small(args)
    if not args.skip_big:
        bench_big(args)


def bench_small(args: argparse.Namespace) -> None:
    reference, live = frames(args.rows, args.columns)
    shape = f"{args.rows:,} rows x {args.columns} columns"
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"driftmon.check on {shape} (reference and live), {os.cpu_count()} CPUs, load average {load}")
    print(f"{'case':<44} {'wall s':>8} {'cpu s':>8}  ratio")

    ours, ours_cpu = best(lambda: driftmon.check(reference, live), args.repeats)
    print(f"{'check (default: sampled edges, one thread)':<44} {ours:8.3f} {ours_cpu:8.3f}")
    threads, threads_cpu = best(lambda: driftmon.check(reference, live, workers=None), args.repeats)
    print(
        f"{'check, workers=None (a thread per CPU)':<44} {threads:8.3f} {threads_cpu:8.3f}  "
        f"{threads / ours:5.2f}x the default's time"
    )
    exact, exact_cpu = best(lambda: driftmon.check(reference, live, sample=None), args.repeats)
    print(f"{'check, sample=None (exact edges)':<44} {exact:8.3f} {exact_cpu:8.3f}")

    base, base_cpu = best(lambda: numpy_same_work(reference, live), args.repeats)
    ratio = base / ours
    verdict = "meets" if ratio >= GOAL_NUMPY else "MISSES"
    print(
        f"{'numpy same-work (quantile, histogram, stats)':<44} {base:8.3f} {base_cpu:8.3f}  "
        f"check is {ratio:.1f}x faster ({verdict} the {GOAL_NUMPY:g}x goal; cpu {base_cpu / ours_cpu:.1f}x)"
    )
    js_ours = driftmon.check(reference, live).set_index("column")["js_divergence"]
    js_numpy = numpy_same_work(reference, live)
    gap = max(abs(js_ours[name] - value) for name, value in js_numpy.items())
    print(f"  largest |js_divergence(check) - js_divergence(numpy)|: {gap:.2e} bits (sampled vs exact edges)")

    arrow_ref, arrow_live = pa.Table.from_pandas(reference), pa.Table.from_pandas(live)
    arrow, arrow_cpu = best(lambda: driftmon.check(arrow_ref, arrow_live), args.repeats)
    print(f"{'check on pyarrow Tables':<44} {arrow:8.3f} {arrow_cpu:8.3f}")
    try:
        import polars as pl
    except ImportError:
        print("check on polars DataFrames: skipped (polars is not installed: pip install 'driftmon[polars]')")
    else:
        polars_ref, polars_live = pl.from_arrow(arrow_ref), pl.from_arrow(arrow_live)
        polars, polars_cpu = best(lambda: driftmon.check(polars_ref, polars_live), args.repeats)
        print(f"{'check on polars DataFrames':<44} {polars:8.3f} {polars_cpu:8.3f}")

    report = "--skip-evidently" if args.skip_evidently else evidently_report(reference, live)
    if isinstance(report, str):
        print(f"Evidently Report: skipped ({report})")
    else:
        w, c = time.perf_counter(), time.process_time()
        report()
        ev, ev_cpu = time.perf_counter() - w, time.process_time() - c
        ratio = ev / ours
        verdict = "meets" if ratio >= GOAL_EVIDENTLY else "MISSES"
        print(
            f"{'Evidently Report([DataDriftPreset()])':<44} {ev:8.3f} {ev_cpu:8.3f}  "
            f"check is {ratio:.1f}x faster ({verdict} the {GOAL_EVIDENTLY:g}x goal)"
        )


def bench_big(args: argparse.Namespace) -> None:
    code = [sys.executable, "-m", "tests.benchmarks.bench_check", "--child-big"]
    code += ["--big-rows", str(args.big_rows), "--columns", str(args.columns)]
    figures: dict[str, Any] = json.loads(
        subprocess.run(code, check=True, capture_output=True, text=True).stdout
    )
    gib = 1 << 30
    over = figures["peak"] / figures["data"]
    print(
        f"check on {args.big_rows:,} x {args.columns} in a fresh process: {figures['wall']:.2f} s wall, "
        f"{figures['cpu']:.2f} s cpu ({'meets' if figures['wall'] <= GOAL_BIG_SECONDS else 'MISSES'} "
        f"the {GOAL_BIG_SECONDS:g} s goal)"
    )
    print(f"  load average after it: {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print(
        f"  data {figures['data'] / gib:.2f} GiB, RSS with the frames {figures['before'] / gib:.2f} GiB, "
        f"peak RSS during check {figures['peak'] / gib:.2f} GiB = data x {over:.3f} "
        f"({'meets' if over <= GOAL_RSS_OVER_DATA else 'MISSES'} the data + 10% goal)"
    )


if __name__ == "__main__":
    main()
