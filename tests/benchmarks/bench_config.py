"""load_config on a large config: 1,000 monitors x 20 columns by default, as `driftmon serve` must load.

Run: .venv/bin/python -m tests.benchmarks.bench_config [--monitors 1000] [--columns 20] [--repeat 5]

Writes the config bench_scrape starts the service with, then prints the best and the median
of `repeat` calls of load_config (wall and CPU), and its steps one by one:

- yaml: PyYAML composing the YAML nodes (on libyaml when PyYAML has it);
- read: read_config_file, the yaml step plus the located tree (file:line of every value,
  `${VAR}` substitution, relative paths, the plain value for validation);
- validate: Config.model_validate (defaults applied, every monitor and column checked);
- the rest of load_config (unique monitor names, merging, freeing the trees), by difference.

The cyclic garbage collector runs as it does in `driftmon serve` (load_config does not pause
it: a reload runs while worker threads are live). Also prints the import time of
driftmon.config in a fresh interpreter. Wall times move with the machine's load (printed
too); CPU times less so. No goal is asserted: this prints figures.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import yaml

from driftmon.config import Config, load_config, yamlfile
from tests.benchmarks.bench_metrics import specs
from tests.benchmarks.bench_scrape import config

GOAL_SECONDS = 0.5


def timed(run: Callable[[], object], repeat: int) -> tuple[float, float, float]:
    """Return (best wall, median wall, best CPU) seconds over `repeat` calls."""
    walls, cpus = [], []
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        run()
        cpus.append(time.process_time() - cpu)
        walls.append(time.perf_counter() - wall)
    return min(walls), statistics.median(walls), min(cpus)


def show(label: str, figures: tuple[float, float, float]) -> None:
    best, median, cpu = figures
    print(
        f"{label:<34} best {best * 1000:7.1f} ms   median {median * 1000:7.1f} ms   cpu {cpu * 1000:7.1f} ms"
    )


def compose(path: Path) -> None:
    loader = yamlfile._LOADER(path.read_text(encoding="utf-8"))
    try:
        loader.get_single_node()
    finally:
        loader.dispose()


def import_time() -> float:
    code = "import time; t = time.perf_counter(); import driftmon.config; print(time.perf_counter() - t)"
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    return float(out.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--monitors", type=int, default=1000)
    parser.add_argument("--columns", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="driftmon-bench-config-") as tmp:
        path = Path(tmp) / "driftmon.yaml"
        data = config(specs(args.monitors, args.columns), Path(tmp), 9999)
        path.write_text(yaml.dump(data, Dumper=getattr(yaml, "CSafeDumper", yaml.SafeDumper)))
        env = dict(os.environ)
        print(
            f"config: {args.monitors} monitors x {args.columns} columns, {path.stat().st_size / 1e6:.2f} MB; "
            f"YAML loader {yamlfile._LOADER.__name__}; load average {os.getloadavg()[0]:.2f}"
        )
        load_config(path, env)  # warm up: pydantic's validators, regexes, the file in the page cache
        total = timed(lambda: load_config(path, env), args.repeat)
        show("load_config", total)

        plain = yamlfile.read_config_file(path, env)[0].plain()
        composed = timed(lambda: compose(path), args.repeat)
        read = timed(lambda: yamlfile.read_config_file(path, env), args.repeat)
        validated = timed(lambda: Config.model_validate(plain), args.repeat)
        show("  yaml (compose nodes)", composed)
        show("  read (yaml + located tree)", read)
        show("  validate", validated)
        rest = tuple(t - r - v for t, r, v in zip(total, read, validated, strict=True))
        show("  rest, by difference", (rest[0], rest[1], rest[2]))
    print(f"import driftmon.config (fresh interpreter): {import_time() * 1000:.0f} ms")
    verdict = "under" if total[0] < GOAL_SECONDS else "OVER"
    print(f"load_config best {total[0]:.3f} s: {verdict} the goal of {GOAL_SECONDS} s")


if __name__ == "__main__":
    main()
