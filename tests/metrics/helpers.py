"""Builders for metrics inputs, and the exposition parsed back with prometheus_client's parser."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta

import pytest
from prometheus_client.parser import text_string_to_metric_families

from driftmon.core import STATISTICS, NullLevel
from driftmon.metrics import ColumnSpec, MonitorSpec, RunValues, Thresholds
from driftmon.results import ResultRecord

T0 = datetime(2026, 1, 1, tzinfo=UTC)
HOUR = timedelta(hours=1)
ODD_NAMES = (
    'say "hi"',
    "back\\slash",
    "new\nline",
    "naïve_größe_列",
    "a,b=c{d}",
    "trailing\\",
    "\\n literally",
    " spaced ",
)

Labels = frozenset[tuple[str, str]]
Parsed = dict[tuple[str, Labels], float]


def thresholds() -> dict[str, Thresholds]:
    return {"js_divergence": Thresholds(0.05, 0.15), "psi": Thresholds(None, 0.25)}


def monitor_spec(
    name: str = "m",
    columns: Iterable[str] = ("x", "y"),
    *,
    interval: float | None = 3600.0,
    full: bool = True,
) -> MonitorSpec:
    """Return a monitor whose columns alert on js_divergence and psi; `full`: every family exported."""
    columns = tuple(ColumnSpec(c, "feature", thresholds()) for c in columns)
    return MonitorSpec(name, columns, interval, full)


def outcome_column(
    monitor: str,
    column: str,
    status: str,
    end: datetime,
    baseline_version: int | None = None,
    n_live: int | None = None,
    n_reference: int | None = None,
    statistics: Mapping[str, float | None] | None = None,
    null: Mapping[str, NullLevel] | None = None,
) -> ResultRecord:
    """Return a run's column result for the window ending at `end` (statistics None: not computed)."""
    return ResultRecord(
        monitor,
        column,
        end - HOUR,
        end,
        status,
        baseline_version=baseline_version,
        n_live=n_live,
        n_reference=n_reference,
        scores={k: v for k, v in (statistics or {}).items() if v is not None},
        null_levels=dict(null or {}),
    )


def column_values(
    monitor: str, column: str, end: datetime, *, seed: float = 0.0, status: str = "ok"
) -> ResultRecord:
    """Return a result with every statistic and null level set, distinct per seed and statistic."""
    stats = {s: 0.01 * (i + 1) + seed for i, s in enumerate(STATISTICS)}
    nulls = {
        s: NullLevel(0.001 * (i + 1), 0.003 * (i + 1), 0.0001 * (i + 1) + seed / 10)
        for i, s in enumerate(STATISTICS)
    }
    return outcome_column(monitor, column, status, end, 3, 1000 + int(seed * 100), 5000, stats, nulls)


def run_values(
    monitor: str,
    start: datetime,
    status: str = "succeeded",
    *,
    rows: int | None = 500,
    late: timedelta = timedelta(minutes=5),
) -> RunValues:
    return RunValues(monitor, start, start + HOUR, status, start + HOUR + late, rows)


def parse(body: bytes) -> Parsed:
    """Return {(sample name, labels): value} of an exposition, failing on a repeated series."""
    out: Parsed = {}
    for family in text_string_to_metric_families(body.decode("utf-8")):
        for sample in family.samples:
            key = (sample.name, frozenset(sample.labels.items()))
            assert key not in out, f"series {key} appears twice"
            out[key] = sample.value
    return out


def series(parsed: Parsed, name: str) -> dict[Labels, float]:
    """Return the samples of one name, by labels."""
    return {labels: value for (sample, labels), value in parsed.items() if sample == name}


def labels(**pairs: str) -> Labels:
    return frozenset(pairs.items())


def value(parsed: Parsed, name: str, **pairs: str) -> float:
    return parsed[name, labels(**pairs)]


def promtool_path() -> str:
    """Return promtool's path, or skip (fail under CI=true) when it is not installed."""
    path = shutil.which("promtool")
    if path is None:
        message = "promtool is not installed (Debian package `prometheus`; .ci/run installs it)"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(f"CI=true but {message}")
        pytest.skip(message)
    return path


def promtool_check(body: bytes) -> str:
    """Run `promtool check metrics` on `body`; return everything it printed (empty when clean)."""
    done = subprocess.run(
        [promtool_path(), "check", "metrics"], input=body, capture_output=True, timeout=60, check=False
    )
    printed = (done.stdout + done.stderr).decode()
    assert (done.returncode == 0) == (printed == ""), (done.returncode, printed)
    return printed


def without(parsed: Parsed, names: Mapping[str, object] | Iterable[str]) -> Parsed:
    """Return the samples whose name does not start with any of `names`."""
    prefixes = tuple(names)
    return {key: v for key, v in parsed.items() if not key[0].startswith(prefixes)}
