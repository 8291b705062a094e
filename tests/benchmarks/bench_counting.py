"""Counting throughput against naive numpy baselines timed in the same run, and streaming memory.

Run: .venv/bin/python -m tests.benchmarks.bench_counting [--quick] [--clock cpu]

Numeric rows compare count_values() with np.bincount(np.searchsorted(edges, x, side="right"));
categorical rows compare it with np.unique(values, return_counts=True) on the same column as a
numpy array. Every figure is the best of a few runs after a warm-up, on the wall clock or, with
`--clock cpu`, on this process's CPU time: steadier on a shared machine, and every kernel timed
here is single-threaded, so the two agree on an idle one. The memory rows stream an iterator of
chunks through count_values() under tracemalloc (plus Arrow's allocator) and print the peak next
to the size of one chunk and of the whole input.
"""

from __future__ import annotations

import argparse
import gc
import time
import tracemalloc
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa

from driftmon.core import BinSpec, CategoricalBins, count_values, fit_categorical_bins, fit_numeric_bins

SEED = 20240601
GOAL_RATIO = 3.0
GOAL_THROUGHPUT = 60e6


@dataclass(frozen=True)
class Row:
    case: str
    n: int
    bins: int
    ours: float  # values per second
    baseline: float  # values per second

    @property
    def ratio(self) -> float:
        return self.ours / self.baseline


Clock = Callable[[], float]
CLOCKS: dict[str, Clock] = {"wall": time.perf_counter, "cpu": time.process_time}


def best_seconds(run: Callable[[], object], repeats: int, clock: Clock) -> float:
    run()  # warm-up: first-touch page faults and lazy imports are not counting speed
    best = float("inf")
    for _ in range(repeats):
        gc.collect()
        start = clock()
        run()
        best = min(best, clock() - start)
    return best


def numeric_data(kind: str, n: int, rng: np.random.Generator) -> npt.NDArray[np.float64]:
    if kind == "normal":
        return rng.normal(0.0, 1.0, size=n)
    return rng.lognormal(0.0, 1.5, size=n)


def category_codes(n: int, n_categories: int, rng: np.random.Generator) -> npt.NDArray[np.int64]:
    """Zipf-like codes over twice as many categories as kept, so `other` is busy too."""
    weights = 1.0 / np.arange(1, 2 * n_categories + 1)
    return rng.choice(2 * n_categories, size=n, p=weights / weights.sum())


def bench_numeric(n: int, bins: int, kind: str, repeats: int, clock: Clock) -> Row:
    rng = np.random.default_rng(SEED)
    spec = fit_numeric_bins(numeric_data(kind, 100_000, rng), n_bins=bins)
    x = numeric_data(kind, n, rng)
    edges = np.asarray(spec.edges)
    ours = best_seconds(lambda: count_values(spec, x), repeats, clock)
    naive = best_seconds(
        lambda: np.bincount(np.searchsorted(edges, x, side="right"), minlength=edges.size + 1), repeats, clock
    )
    expected = np.bincount(np.searchsorted(edges, x, side="right"), minlength=edges.size + 1)
    if count_values(spec, x).counts[:-1].tolist() != expected.tolist():
        raise SystemExit(f"numeric counts disagree with the baseline for {kind}, {bins} bins")
    return Row(f"numeric {kind}, quantile edges", n, spec.n_bins - 1, n / ours, n / naive)


def bench_categorical(n: int, bins: int, flavour: str, repeats: int, clock: Clock) -> Row:
    rng = np.random.default_rng(SEED)
    codes = category_codes(n, bins, rng)
    values: object
    if flavour == "int":
        values = codes
        as_numpy: npt.NDArray[np.generic] = codes
    else:
        words = np.array([f"category-{i:04d}" for i in range(2 * bins)], dtype=object)[codes]
        values = pa.array(words, type=pa.string()) if flavour == "pyarrow" else pd.Series(words, dtype="str")
        as_numpy = words
    spec = fit_categorical_bins(values, top_k=bins)
    ours = best_seconds(lambda: count_values(spec, values), repeats, clock)
    naive = best_seconds(lambda: np.unique(as_numpy, return_counts=True), max(1, repeats // 2), clock)
    check_categorical(spec, values, as_numpy)
    label = {
        "int": "categorical int64 (numpy)",
        "pyarrow": "categorical str (pyarrow)",
        "pandas": "categorical str (pandas)",
    }
    return Row(label[flavour], n, bins, n / ours, n / naive)


def check_categorical(spec: CategoricalBins, values: object, as_numpy: npt.NDArray[np.generic]) -> None:
    uniq, counts = np.unique(as_numpy, return_counts=True)
    index = spec.index()
    expected = np.zeros(spec.n_bins, dtype=np.int64)
    for value, c in zip(uniq.tolist(), counts.tolist(), strict=True):
        expected[index.get(value, spec.other_index)] += c
    if count_values(spec, values).counts.tolist() != expected.tolist():
        raise SystemExit("categorical counts disagree with the baseline")


def stream_peak(consume: Callable[[Iterator[object]], object], chunks: Callable[[], Iterator[object]]) -> int:
    """Peak bytes while counting: tracemalloc (Python, numpy) plus Arrow's own allocator.

    Arrow buffers bypass tracemalloc, so a proxy pool records their peak; the sum of the two
    peaks is an upper bound on what was held at once.
    """
    gc.collect()
    arrow_pool = pa.proxy_memory_pool(pa.default_memory_pool())
    previous_pool = pa.default_memory_pool()
    pa.set_memory_pool(arrow_pool)
    tracemalloc.start()
    try:
        consume(chunks())
        return tracemalloc.get_traced_memory()[1] + arrow_pool.max_memory()
    finally:
        tracemalloc.stop()
        pa.set_memory_pool(previous_pool)


def drain(chunks: Iterator[object]) -> None:
    for _ in chunks:
        pass


def counter(spec: BinSpec) -> Callable[[Iterator[object]], object]:
    return lambda chunks: count_values(spec, chunks)


def bench_memory(n: int, chunk: int) -> list[tuple[str, int, int, int, int]]:
    """Per streamed column: (case, peak counting, peak just iterating, one chunk, whole input) bytes."""
    rng = np.random.default_rng(SEED)
    numeric_spec = fit_numeric_bins(rng.normal(size=100_000), n_bins=10)
    wide_spec = fit_numeric_bins(rng.normal(size=100_000), n_bins=50)
    words = np.array([f"category-{i:04d}" for i in range(100)], dtype=object)
    text_spec = fit_categorical_bins(words[category_codes(100_000, 50, rng)], top_k=50)

    def floats() -> Iterator[npt.NDArray[np.float64]]:
        local = np.random.default_rng(SEED)
        for _ in range(n // chunk):
            yield local.normal(size=chunk)

    def texts() -> Iterator[pa.Array]:
        local = np.random.default_rng(SEED)
        for _ in range(n // chunk):
            yield pa.array(words[category_codes(chunk, 50, local)], type=pa.string())

    def series() -> Iterator[pd.Series]:
        for array in texts():
            yield pd.Series(array.to_numpy(zero_copy_only=False), dtype="str")

    one_text = pa.array(words[category_codes(chunk, 50, rng)], type=pa.string()).nbytes
    cases: list[tuple[str, BinSpec, Callable[[], Iterator[object]], int]] = [
        ("numeric float64, 10 bins", numeric_spec, floats, chunk * 8),
        ("numeric float64, 50 bins", wide_spec, floats, chunk * 8),
        ("categorical str (pyarrow), 50 bins", text_spec, texts, one_text),
        ("categorical str (pandas), 50 bins", text_spec, series, one_text),
    ]
    return [
        (case, stream_peak(counter(spec), make), stream_peak(drain, make), one, one * (n // chunk))
        for case, spec, make, one in cases
    ]


def rate(x: float) -> str:
    return f"{x / 1e6:8.1f}M/s"


def mb(x: float) -> str:
    return f"{x / 2**20:8.1f} MB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1M values only, fewer repeats")
    parser.add_argument("--clock", choices=sorted(CLOCKS), default="wall", help="what to time (default wall)")
    args = parser.parse_args()
    clock = CLOCKS[args.clock]
    sizes = [1_000_000] if args.quick else [1_000_000, 10_000_000]
    rows: list[Row] = []
    for n in sizes:
        repeats = 5 if n <= 1_000_000 else 3
        for bins in (10, 50):
            for kind in ("normal", "lognormal"):
                rows.append(bench_numeric(n, bins, kind, repeats, clock))
            for flavour in ("pyarrow", "pandas", "int"):
                rows.append(bench_categorical(n, bins, flavour, repeats, clock))

    print(f"counting throughput, best of several runs on the {args.clock} clock:")
    print(f"{'case':34} {'values':>10} {'bins':>4} {'driftmon':>11} {'baseline':>11} {'ratio':>7}")
    for r in rows:
        print(f"{r.case:34} {r.n:>10,} {r.bins:>4} {rate(r.ours)} {rate(r.baseline)} {r.ratio:6.1f}x")
    print(
        "baselines: numeric np.bincount(np.searchsorted(edges, x, side='right')); "
        "categorical np.unique(numpy column, return_counts=True)"
    )

    goal = [r for r in rows if r.case.startswith("numeric") and r.bins == 10]
    met = all(r.ratio >= GOAL_RATIO and r.ours >= GOAL_THROUGHPUT for r in goal)
    print(
        f"goal (numeric, 10 bins: >= {GOAL_RATIO:.0f}x baseline, >= {GOAL_THROUGHPUT / 1e6:.0f}M values/s): "
        f"{'met' if met else 'NOT met'}; worst {min(r.ours for r in goal) / 1e6:.1f}M/s, "
        f"{min(r.ratio for r in goal):.1f}x"
    )

    n_stream, chunk = (2_000_000 if args.quick else 10_000_000), 100_000
    print(
        f"\nstreaming {n_stream:,} values as an iterator of {n_stream // chunk} chunks of {chunk:,} values:"
    )
    print(
        f"{'case':34} {'peak':>11} {'iterating':>11} {'one chunk':>11} {'whole input':>11} {'peak/chunk':>10}"
    )
    for case, peak, iterating, one, whole in bench_memory(n_stream, chunk):
        print(f"{case:34} {mb(peak)} {mb(iterating)} {mb(one)} {mb(whole)} {peak / one:9.1f}x")
    print(
        "peak: traced Python/numpy allocations plus Arrow's pool while counting; iterating: the same "
        "while only draining the iterator (what making the chunks costs on its own)"
    )


if __name__ == "__main__":
    main()
