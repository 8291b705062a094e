"""Demo data: two models' features and predictions as Parquet, with drift injected in some columns.

`generate_demo()` writes, under `driftmon-demo/` in the working directory by default:

    checkout/reference.parquet           the fraud model's validation data (the reference)
    checkout/live/date=YYYY-MM-DD/*.parquet   its live events, a hive-partitioned dataset
    churn/reference.parquet, churn/live/...   a churn model whose data stays stable
    manifest.json                        when the data starts, ends and drifts

Live events cover [anchor - 2 days, anchor + 2 days), hour-aligned, where the anchor is the
start of the current hour, so a running service keeps finding new windows for two days.
From `drift_start` = anchor - 12 hours the checkout model's data drifts:

- `amount`: the mean of log(amount) rises by 0.35 (purchases get about 40% larger);
- `country`: a country never seen in the reference ("BR") appears with 15% of the events;
- `session_seconds`: missing values rise from 2% to 25% (a broken client);
- `fraud_score` (the prediction): shifts up, as the model reacts to the new traffic.

`device`, `account_age_days`, `items_in_cart` and every churn column stay stable. Values are
drawn from generators seeded per model and hour, so the same anchor always gives the same data.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.parquet as pq

__all__ = ["DEMO_DIR", "DEMO_DIR_ENV", "DemoData", "generate_demo", "missing_directory_hint"]

DEMO_DIR = "driftmon-demo"
DEMO_DIR_ENV = "DRIFTMON_DEMO_DIR"  # config/demo.yaml reads it
FORMAT = 1
LIVE_BEFORE = timedelta(days=2)
LIVE_AFTER = timedelta(days=2)
DRIFT_BEFORE = timedelta(hours=12)
REFERENCE_SPAN = timedelta(days=7)
# Regenerate when fewer than this many hours of live data remain ahead of now.
MIN_AHEAD = timedelta(hours=12)
DATABASE_FILE = "driftmon.sqlite"
_SEED = 20_240_501
_HOUR = timedelta(hours=1)

Columns = dict[str, pa.Array]
Draw = Callable[[np.random.Generator, int, bool], Columns]

_COUNTRIES = ["US", "GB", "DE", "FR", "CA", "ES", "IT", "NL"]
_COUNTRY_P = np.array([0.40, 0.15, 0.12, 0.10, 0.08, 0.06, 0.05, 0.04])
_PLANS = ["basic", "standard", "premium"]


def missing_directory_hint(directory: str | os.PathLike[str]) -> str | None:
    """Name the fix when a missing directory is the demo's (its data not written yet), else None."""
    chosen = os.environ.get(DEMO_DIR_ENV)
    if Path(directory).name not in {DEMO_DIR, Path(chosen).name if chosen else DEMO_DIR}:
        return None
    command = f"driftmon demo --dir {chosen}" if chosen else "driftmon demo"
    return f"it is the demo's directory: run `{command}` first, it writes the demo's data there"


def explained(exc: Exception) -> Exception:
    """Return a store error with the fix a newcomer needs when its missing directory is the demo's."""
    from driftmon.store import MissingDirectoryError

    if isinstance(exc, MissingDirectoryError):
        hint = missing_directory_hint(exc.directory)
        if hint is not None:
            return exc.with_hint(hint)
    return exc


def _choice(rng: np.random.Generator, values: list[str], p: npt.NDArray[np.float64], n: int) -> pa.Array:
    return pa.array(np.asarray(values, dtype=object)[rng.choice(len(values), size=n, p=p)], pa.string())


def _checkout(rng: np.random.Generator, n: int, drifted: bool) -> Columns:
    amount = rng.lognormal(3.95 if drifted else 3.6, 0.9, n).round(2)
    if drifted:
        countries, p = [*_COUNTRIES, "BR"], np.append(_COUNTRY_P * 0.85, 0.15)
    else:
        countries, p = _COUNTRIES, _COUNTRY_P
    session = rng.lognormal(5.0, 1.0, n).round(1)
    missing = rng.random(n) < (0.25 if drifted else 0.02)
    score = rng.beta(3.0, 9.0, n) if drifted else rng.beta(2.0, 12.0, n)
    return {
        "amount": pa.array(amount, pa.float64()),
        "country": _choice(rng, countries, p, n),
        "device": _choice(rng, ["ios", "android", "web"], np.array([0.45, 0.40, 0.15]), n),
        "account_age_days": pa.array(rng.gamma(2.0, 200.0, n).round(1), pa.float64()),
        "session_seconds": pa.array(session, pa.float64(), mask=missing),
        "items_in_cart": pa.array(rng.poisson(2.0, n) + 1, pa.int64()),
        "fraud_score": pa.array(score.round(4), pa.float64()),
    }


def _churn(rng: np.random.Generator, n: int, drifted: bool) -> Columns:
    return {
        "tenure_months": pa.array(rng.geometric(1 / 24, n), pa.int64()),
        "plan": _choice(rng, _PLANS, np.array([0.5, 0.35, 0.15]), n),
        "monthly_charges": pa.array(np.clip(rng.normal(60.0, 20.0, n), 5.0, None).round(2), pa.float64()),
        "churn_probability": pa.array(rng.beta(2.0, 8.0, n).round(4), pa.float64()),
    }


@dataclass(frozen=True)
class _Model:
    name: str
    index: int
    rows_per_hour: int
    draw: Draw


_MODELS = (_Model("checkout", 1, 1200, _checkout), _Model("churn", 2, 800, _churn))
_REFERENCE_ROWS = 40_000


@dataclass(frozen=True)
class DemoData:
    """Where the demo data is and what it covers; `generated` is False when it was already there."""

    directory: Path
    anchor: datetime
    live_start: datetime
    live_end: datetime
    drift_start: datetime
    generated: bool
    removed_database: bool = False

    @property
    def database(self) -> Path:
        return self.directory / DATABASE_FILE


def _hour_table(model: _Model, hour: datetime, drift_start: datetime) -> pa.Table:
    number = int(hour.timestamp()) // 3600
    rng = np.random.default_rng([_SEED, model.index, number])
    # A daily cycle of traffic (busiest in the afternoon, UTC) that leaves distributions unchanged.
    n = int(model.rows_per_hour * (1.0 + 0.4 * np.sin(2 * np.pi * (hour.hour - 9) / 24)))
    offsets = np.sort(rng.integers(0, 3_600_000_000, n))
    stamps = np.datetime64(hour.replace(tzinfo=None), "us") + offsets.astype("timedelta64[us]")
    columns = {"event_time": pa.array(stamps, pa.timestamp("us", tz="UTC"))}
    columns.update(model.draw(rng, n, hour >= drift_start))
    return pa.table(columns)


def _write_live(model: _Model, root: Path, start: datetime, end: datetime, drift_start: datetime) -> None:
    day = start
    while day < end:
        next_day = min(end, (day + timedelta(days=1)).replace(hour=0))
        folder = root / f"date={day:%Y-%m-%d}"
        folder.mkdir(parents=True, exist_ok=True)
        writer: pq.ParquetWriter | None = None
        hour = day
        try:
            while hour < next_day:
                table = _hour_table(model, hour, drift_start)
                if writer is None:
                    writer = pq.ParquetWriter(folder / "part-0.parquet", table.schema)
                writer.write_table(table)  # one row group per hour: scans skip other hours
                hour += _HOUR
        finally:
            if writer is not None:
                writer.close()
        day = next_day


def _write_reference(model: _Model, path: Path, end: datetime) -> None:
    rng = np.random.default_rng([_SEED, model.index, 0])
    n = _REFERENCE_ROWS
    span_us = int(REFERENCE_SPAN.total_seconds() * 1_000_000)
    start = np.datetime64((end - REFERENCE_SPAN).replace(tzinfo=None), "us")
    stamps = start + np.sort(rng.integers(0, span_us, n)).astype("timedelta64[us]")
    columns = {"event_time": pa.array(stamps, pa.timestamp("us", tz="UTC"))}
    columns.update(model.draw(rng, n, False))
    pq.write_table(pa.table(columns), path)


def _utc(moment: datetime) -> datetime:
    # A naive time is UTC, as everywhere in driftmon.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _read_manifest(directory: Path) -> dict[str, Any] | None:
    try:
        data = json.loads((directory / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("format") == FORMAT else None


def _existing(directory: Path, data: dict[str, Any]) -> DemoData | None:
    try:
        anchor = datetime.fromisoformat(data["anchor"])
    except (KeyError, TypeError, ValueError):
        return None
    if not all((directory / m.name / "reference.parquet").is_file() for m in _MODELS):
        return None
    return DemoData(
        directory, anchor, anchor - LIVE_BEFORE, anchor + LIVE_AFTER, anchor - DRIFT_BEFORE, generated=False
    )


def _remove_database(directory: Path) -> bool:
    removed = False
    for suffix in ("", "-wal", "-shm", "-journal"):
        path = directory / f"{DATABASE_FILE}{suffix}"
        if path.exists():
            path.unlink()
            removed = True
    return removed


def generate_demo(
    directory: str | Path = DEMO_DIR, *, now: datetime | None = None, force: bool = False
) -> DemoData:
    """Write the demo data into `directory` unless data for this time is there already.

    Without `now`, existing data is kept while it still reaches 12 hours past the current time;
    with `now`, it is kept if it was made for the same hour. New data replaces the old files and
    removes the demo's own store (`driftmon.sqlite` in `directory`), whose results described them.
    """
    root = Path(directory)
    current = _utc(now) if now is not None else datetime.now(UTC)
    anchor = current.replace(minute=0, second=0, microsecond=0)
    manifest = _read_manifest(root)
    existing = _existing(root, manifest) if manifest is not None else None
    if existing is not None and not force:
        fresh = existing.anchor == anchor if now is not None else existing.live_end - current >= MIN_AHEAD
        if fresh and existing.live_start <= current:
            return existing
    root.mkdir(parents=True, exist_ok=True)
    # Without a manifest, half-written data from an interrupted run is never taken as complete.
    (root / "manifest.json").unlink(missing_ok=True)
    live_start, live_end, drift_start = anchor - LIVE_BEFORE, anchor + LIVE_AFTER, anchor - DRIFT_BEFORE
    for model in _MODELS:
        folder = root / model.name
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
        _write_reference(model, folder / "reference.parquet", live_start)
        _write_live(model, folder / "live", live_start, live_end, drift_start)
    removed = _remove_database(root)
    (root / "manifest.json").write_text(
        json.dumps(
            {
                "format": FORMAT,
                "anchor": anchor.isoformat(),
                "live_start": live_start.isoformat(),
                "live_end": live_end.isoformat(),
                "drift_start": drift_start.isoformat(),
                "drifted_columns": {"checkout": ["amount", "country", "session_seconds", "fraud_score"]},
            },
            indent=2,
        )
        + "\n",
        encoding="utf-8",
    )
    return DemoData(root, anchor, live_start, live_end, drift_start, generated=True, removed_database=removed)
