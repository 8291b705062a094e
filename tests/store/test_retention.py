"""Retention deletes old runs, results and alert events, and never baselines."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from driftmon.store import (
    StoreInputError,
    alert_history,
    claim_run,
    delete_results_older_than,
    latest_results,
    list_baselines,
    record_alert_event,
    run_history,
)
from driftmon.store.models import ColumnResult
from tests.store.conftest import HOUR, STALE, T0, reference_values, store_baseline, store_window

DAY = timedelta(days=1)


def test_old_results_go_and_baselines_stay(sessions: sessionmaker[Session], rng: np.random.Generator) -> None:
    first = store_baseline(sessions, reference_values(rng))
    old_run = store_window(sessions, [first], T0, rng.normal(0, 1, 200))
    second = store_baseline(sessions, reference_values(rng))
    store_window(sessions, [second], T0 + 10 * DAY, rng.normal(0, 1, 200))
    only_old = store_baseline(sessions, reference_values(rng), monitor="n")
    store_window(sessions, [only_old], T0, rng.normal(0, 1, 200), monitor="n")
    with sessions() as s, s.begin():
        claim_run(s, "m", T0 - DAY, T0 - DAY + HOUR, now=T0, stale_after=STALE)  # old but still running
        record_alert_event(
            s, "m", "x", "psi", severity="warning", state="firing", at=T0 + HOUR, run_id=old_run
        )
        record_alert_event(s, "m", "x", "psi", severity="warning", state="resolved", at=T0 + 10 * DAY)
    with sessions() as s, s.begin():
        report = delete_results_older_than(s, 5, now=T0 + 11 * DAY)
    assert report.cutoff == T0 + 6 * DAY
    assert (report.runs, report.results, report.alert_events) == (2, 2, 1)
    with sessions() as s:
        assert [r.window_start for r in run_history(s, "m")] == [T0 + 10 * DAY, T0 - DAY]
        assert run_history(s, "n") == []
        assert s.execute(sa.select(sa.func.count()).select_from(ColumnResult)).scalar_one() == 1
        assert [(r.monitor, r.window_start) for r in latest_results(s)] == [("m", T0 + 10 * DAY)]
        assert [e.state for e in alert_history(s)] == ["resolved"]
        assert [b.version for b in list_baselines(s, "m")] == [1, 2]
        assert [b.version for b in list_baselines(s, "n")] == [1]
    with sessions() as s, s.begin():
        again = delete_results_older_than(s, 5, now=T0 + 11 * DAY)
    assert (again.runs, again.results, again.alert_events) == (0, 0, 0)


@pytest.mark.parametrize("days", [0, -1, 1.5, True])
def test_bad_retention_days(sessions: sessionmaker[Session], days: object) -> None:
    with sessions() as s, pytest.raises(StoreInputError, match="retention days must be a whole number"):
        delete_results_older_than(s, days, now=T0)  # type: ignore[arg-type]
