"""Two runs fitting the same missing baselines at the same moment: one fit is stored, both runs succeed."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from driftmon.config import MonitorConfig
from driftmon.core import BinSpec
from driftmon.jobs import RunOutcome, run_window
from driftmon.sources import Source, monitor_source
from driftmon.store import list_baselines
from driftmon.windows import Window

from .conftest import HOUR, T0

ROUNDS = 4  # each round a new monitor: two fitters race for its first baselines


class MeetingSource:
    """A real reference source whose counting pass ends only once every fitter has counted.

    The fitters then reach the store with their fits at the same moment, as two replicas whose
    first runs of a new monitor start together do.
    """

    def __init__(self, inner: Source, barrier: threading.Barrier) -> None:
        self.inner = inner
        self.barrier = barrier

    @property
    def description(self) -> str:
        return self.inner.description

    def ping(self) -> None:
        self.inner.ping()

    def count(self, specs: Mapping[str, BinSpec], span: Any) -> Any:
        counted = self.inner.count(specs, span)
        self.barrier.wait(timeout=60)
        return counted

    def read_reference(self, *args: Any, **kwargs: Any) -> Any:
        return self.inner.read_reference(*args, **kwargs)

    def close(self) -> None:
        self.inner.close()


def _race(watched: MonitorConfig, sessions: sessionmaker[Session]) -> list[RunOutcome]:
    barrier = threading.Barrier(2)
    windows = [Window(T0, T0 + HOUR), Window(T0 + HOUR, T0 + 2 * HOUR)]

    def fit_and_run(window: Window) -> RunOutcome:
        reference = monitor_source(watched, reference=True)
        try:
            return run_window(
                watched,
                window,
                sessions=sessions,
                now=T0 + 24 * HOUR,
                reference_source=MeetingSource(reference, barrier),  # type: ignore[arg-type]
            )
        finally:
            reference.close()

    with ThreadPoolExecutor(2) as pool:
        return list(pool.map(fit_and_run, windows))


def test_concurrent_first_runs_store_one_baseline_version_and_both_succeed(
    sessions: sessionmaker[Session], data: Path
) -> None:
    from .conftest import monitor

    for k in range(ROUNDS):
        watched = monitor(
            data / "live", {"path": str(data / "reference.parquet")}, ["x", "y", "c"], name=f"m{k}"
        )
        outcomes = _race(watched, sessions)
        assert [(o.status, o.error) for o in outcomes] == [("succeeded", None)] * 2
        with sessions() as s:
            stored = [(b.column, b.version, b.active) for b in list_baselines(s, watched.name)]
        assert stored == [("c", 1, True), ("x", 1, True), ("y", 1, True)]
        for outcome in outcomes:
            assert [(c.column, c.baseline_version) for c in outcome.columns] == [("x", 1), ("y", 1), ("c", 1)]
        # One of the two fits was stored; the other run adopted it.
        assert sorted(len(o.baselines) for o in outcomes) == [0, 3]
