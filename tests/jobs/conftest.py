"""Fixtures for job tests: a migrated store on each backend, Parquet events, monitors built from dicts."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from driftmon.config import Config, MonitorConfig

T0 = datetime(2026, 3, 2, tzinfo=UTC)
HOUR = timedelta(hours=1)

# A column maker: (generator, number of rows, hour index) -> Arrow array.
Maker = Callable[[np.random.Generator, int, int], pa.Array]


def normal(mean: float = 0.0) -> Maker:
    return lambda rng, n, _: pa.array(rng.normal(mean, 1.0, n))


def categories(values: list[str], p: list[float] | None = None) -> Maker:
    return lambda rng, n, _: pa.array(rng.choice(values, n, p=p).tolist(), pa.string())


STABLE: dict[str, Maker] = {"x": normal(), "y": normal(5.0), "c": categories(["a", "b", "c"])}


def write_events(
    path: Path,
    start: datetime,
    hours: int,
    makers: Mapping[str, Maker],
    *,
    rows_per_hour: int = 500,
    seed: int = 1,
) -> int:
    """Write `hours` hours of events from `start` (an `event_time` and one column per maker)."""
    rng = np.random.default_rng(seed)
    parts = []
    for h in range(hours):
        stamps = [
            start + h * HOUR + timedelta(seconds=float(s))
            for s in np.sort(rng.uniform(0, 3599, rows_per_hour))
        ]
        columns: dict[str, Any] = {"event_time": pa.array(stamps, pa.timestamp("us", tz="UTC"))}
        columns.update({name: make(rng, rows_per_hour, h) for name, make in makers.items()})
        parts.append(pa.table(columns))
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.concat_tables(parts), path)
    return hours * rows_per_hour


def monitor(
    live: Path | str, reference: Mapping[str, Any], columns: list[Any], **settings: Any
) -> MonitorConfig:
    """Build a validated file-source monitor named `m` with 1-hour windows."""
    data: dict[str, Any] = {
        "name": "m",
        "source": {"kind": "file", "path": str(live)},
        "timestamp_column": "event_time",
        "reference": dict(reference),
        "window": {"size": "1h"},
        "columns": columns,
        "min_samples": 100,
    }
    data.update(settings)
    return Config.model_validate({"monitors": [data]}).monitors[0]


@pytest.fixture
def data(tmp_path: Path) -> Path:
    """A reference file (the day before T0) and 6 hours of stable live events from T0."""
    write_events(tmp_path / "reference.parquet", T0 - 24 * HOUR, 24, STABLE, rows_per_hour=400, seed=7)
    write_events(tmp_path / "live" / "part-0.parquet", T0, 6, STABLE, seed=8)
    return tmp_path


@pytest.fixture
def stable(data: Path) -> MonitorConfig:
    """A monitor on the stable data: x and y numeric, c categorical (kinds inferred)."""
    return monitor(data / "live", {"path": str(data / "reference.parquet")}, ["x", "y", "c"])
