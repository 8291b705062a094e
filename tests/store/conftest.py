"""Fixtures for store tests: a migrated database on each backend and its session factory."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from driftmon.core import Comparison, Histogram, NumericBins, compare, count_values, fit_numeric_bins
from driftmon.jobs import column_result, failed_column_result
from driftmon.results import ResultRecord
from driftmon.store import (
    BaselineRecord,
    add_baseline,
    claim_run,
    current_revision,
    finish_run,
    make_engine,
)
from driftmon.store.migrate import alembic_config
from driftmon.store.models import Monitor
from driftmon.windows import Window

T0 = datetime(2026, 1, 1, tzinfo=UTC)
HOUR = timedelta(hours=1)
STALE = timedelta(minutes=30)
WINDOW = Window(T0, T0 + HOUR)


def scored_result(comparison: Comparison, baseline: BaselineRecord, window: Window = WINDOW) -> ResultRecord:
    """A column's result as a run builds it (the store takes the window from the run it finishes)."""
    return column_result(comparison, baseline, monitor=baseline.monitor, window=window)


def failed_result(
    column: str,
    error: str | BaseException,
    *,
    baseline: BaselineRecord | None = None,
    monitor: str = "m",
    window: Window = WINDOW,
) -> ResultRecord:
    """A column that could not be scored, as a run records it."""
    return failed_column_result(column, error, monitor=monitor, window=window, baseline=baseline)


def revision_of(url: str) -> str | None:
    """The Alembic revision of the database at `url` (None before its first upgrade)."""
    engine = make_engine(url)
    try:
        return current_revision(engine)
    finally:
        engine.dispose()


def downgrade(engine: Engine, revision: str) -> None:
    """Migrate the database down to `revision`, as `alembic downgrade` does ("base": no tables)."""
    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), revision)


def monitor_names(session: Session) -> list[str]:
    """The names of the stored monitors, sorted."""
    return list(session.execute(sa.select(Monitor.name).order_by(Monitor.name)).scalars())


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20260101)


def reference_values(rng: np.random.Generator, n: int = 5000) -> np.ndarray:
    return rng.normal(0.0, 1.0, n)


def store_baseline(
    sessions: sessionmaker[Session],
    values: np.ndarray,
    *,
    monitor: str = "m",
    column: str = "x",
    activate: bool = True,
) -> BaselineRecord:
    """Fit numeric bins on `values` and store them as the next baseline version."""
    spec = fit_numeric_bins(values)
    with sessions() as s, s.begin():
        return add_baseline(
            s,
            monitor,
            column,
            spec,
            count_values(spec, values).counts,
            reference={"file": "reference.parquet", "start": T0 - 7 * 24 * HOUR, "end": T0},
            fitted_at=T0,
            activate=activate,
        )


def score(baseline: BaselineRecord, live: np.ndarray, alpha: float = 0.5) -> Comparison:
    return compare(baseline.histogram, count_values(baseline.spec, live), alpha=alpha)


def histogram(spec: NumericBins, values: np.ndarray) -> Histogram:
    return count_values(spec, values)


def store_window(
    sessions: sessionmaker[Session],
    baselines: list[BaselineRecord],
    start: datetime,
    live: np.ndarray,
    *,
    monitor: str = "m",
    length: timedelta = HOUR,
) -> int:
    """Claim and finish one window of `monitor`, scoring `live` against every baseline; return the run id."""
    with sessions() as s, s.begin():
        claim = claim_run(s, monitor, start, start + length, now=start + length, stale_after=STALE)
    assert claim.claimed
    results = [scored_result(score(b, live), b, Window(start, start + length)) for b in baselines]
    with sessions() as s, s.begin():
        return finish_run(s, claim, status="succeeded", finished_at=start + length, results=results).id
