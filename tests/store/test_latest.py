"""latest_packs: the packed latest results always equal the readable latest_results rows."""

from __future__ import annotations

import math
import threading
import time
from datetime import timedelta

import numpy as np
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from driftmon.core import STATISTICS
from driftmon.store import (
    LatestResults,
    ResultSummary,
    claim_run,
    column_result,
    delete_results_older_than,
    downgrade,
    failed_column_result,
    finish_run,
    latest_results,
    upgrade,
)
from driftmon.store.latest import SCORE_FIELDS
from driftmon.store.models import LatestPack, LatestResult, Monitor
from tests.store.conftest import HOUR, STALE, T0, reference_values, score, store_baseline, store_window


def _rows(session: Session) -> list[ResultSummary]:
    """The latest result per series read from the readable latest_results rows, as before packs."""
    rows = session.execute(
        sa.select(LatestResult, Monitor.name)
        .join(Monitor, Monitor.id == LatestResult.monitor_id)
        .order_by(LatestResult.monitor_id, LatestResult.column_name)
    ).all()
    return [
        ResultSummary(
            r.result_id,
            r.run_id,
            name,
            r.column_name,
            r.window_start,
            r.window_end,
            r.status,
            r.kind,
            r.role,
            r.baseline_version,
            r.n_reference,
            r.n_live,
            *(getattr(r, f) for f in SCORE_FIELDS),
            r.error,
        )
        for r, name in rows
    ]


def _same(packed: LatestResults, rows: list[ResultSummary]) -> None:
    assert len(packed) == len(rows)
    for got, want in zip(packed, rows, strict=True):
        for field, a, b in zip(ResultSummary._fields, got, want, strict=True):
            assert a == b or (isinstance(a, float) and math.isnan(a) and math.isnan(b)), (field, a, b)
            assert type(a) is type(b), (field, a, b)


def test_packs_follow_every_writer(sessions: sessionmaker[Session], rng: np.random.Generator) -> None:
    ref = reference_values(rng)
    m = [store_baseline(sessions, ref, column=c) for c in ("b", "a", "c")]
    n = [store_baseline(sessions, ref, monitor="n", column="z")]
    store_window(sessions, m, T0, rng.normal(0, 1, 1000))
    store_window(sessions, n, T0, rng.normal(2, 1, 10), monitor="n")  # insufficient data: NULL statistics
    store_window(sessions, m[:1], T0 + 2 * HOUR, rng.normal(0.5, 1, 1000))
    store_window(sessions, m, T0 + HOUR, rng.normal(0, 1, 1000))  # backfilled: only a and c move
    with sessions() as s:
        _same(latest_results(s), _rows(s))
        assert [r.column for r in latest_results(s)] == ["a", "b", "c", "z"]
    # A failed column and an error text; then a retry of that window restores the previous latest.
    error = "column 'a' has text 'x\"y\\n'"
    with sessions() as s, s.begin():
        claim = claim_run(s, "m", T0 + 3 * HOUR, T0 + 4 * HOUR, now=T0 + 4 * HOUR, stale_after=STALE)
        results = [failed_column_result("a", error), column_result(score(m[0], ref), m[0])]
        finish_run(s, claim, status="failed", finished_at=T0 + 4 * HOUR, results=results)
    with sessions() as s:
        _same(latest_results(s), _rows(s))
        assert [(r.column, r.window_start, r.error) for r in latest_results(s, ["m"])] == [
            ("a", T0 + 3 * HOUR, error),
            ("b", T0 + 3 * HOUR, None),
            ("c", T0 + HOUR, None),
        ]
    with sessions() as s, s.begin():  # the retry drops the failed attempt's results
        assert claim_run(s, "m", T0 + 3 * HOUR, T0 + 4 * HOUR, now=T0 + 5 * HOUR, stale_after=STALE).claimed
    with sessions() as s:
        _same(latest_results(s), _rows(s))
        assert [r.window_start for r in latest_results(s, ["m"])] == [T0 + HOUR, T0 + 2 * HOUR, T0 + HOUR]
    # Retention removes the series whose newest result is older than the cutoff, and repacks.
    with sessions() as s, s.begin():
        delete_results_older_than(s, 1, now=T0 + 25 * HOUR + timedelta(minutes=30))
    with sessions() as s:
        packed = latest_results(s)
        _same(packed, _rows(s))
        assert [(r.monitor, r.column) for r in packed] == [("m", "a"), ("m", "b"), ("m", "c")]
    with sessions() as s, s.begin():
        delete_results_older_than(s, 1, now=T0 + 30 * 24 * HOUR)
    with sessions() as s:
        assert len(latest_results(s)) == 0
        assert s.execute(sa.select(sa.func.count()).select_from(LatestPack)).scalar_one() == 0


def test_columns_and_records(sessions: sessionmaker[Session], rng: np.random.Generator) -> None:
    ref = reference_values(rng)
    store_window(sessions, [store_baseline(sessions, ref, column="x")], T0, rng.normal(1, 1, 2000))
    n = store_baseline(sessions, ref, monitor="n")
    store_window(sessions, [n], T0, rng.normal(0, 1, 10), monitor="n")
    with sessions() as s, s.begin():
        claim = claim_run(s, "f", T0, T0 + HOUR, now=T0 + HOUR, stale_after=STALE)
        finish_run(
            s, claim, status="failed", finished_at=T0 + HOUR, results=[failed_column_result("y", "boom")]
        )
    with sessions() as s:
        latest = latest_results(s)
        rows = _rows(s)
    assert latest == rows
    assert latest[-1] == rows[-1]
    assert latest[0:2] == rows[0:2]
    with pytest.raises(IndexError):
        latest[3]
    assert (latest.monitors, latest.columns) == (("m", "n", "f"), ("x", "x", "y"))
    assert latest.statuses == ("ok", "insufficient_data", "failed")
    assert latest.roles == ("feature",) * 3
    assert latest.integers("n_live") == [2000, 10, None]
    assert latest.integers("baseline_version") == [1, 1, None]
    assert latest.window_end_seconds().tolist() == [(T0 + HOUR).timestamp()] * 3
    for name in SCORE_FIELDS:
        want = [math.nan if getattr(r, name) is None else getattr(r, name) for r in rows]
        np.testing.assert_array_equal(latest.score(name), want)
    assert all(getattr(rows[2], name) is None for name in SCORE_FIELDS)  # NULL comes back as NaN
    matrix = latest.statistic_matrix()
    assert matrix.shape == (3, len(STATISTICS))
    assert matrix[0].tolist() == [getattr(rows[0], name) for name in STATISTICS]
    with pytest.raises(KeyError, match="unknown score 'js'"):
        latest.score("js")
    with pytest.raises(KeyError, match="unknown integer column 'window_end'"):
        latest.integers("window_end")
    assert repr(latest) == "LatestResults(3 series of 3 monitors)"


def test_migration_packs_an_existing_store(
    database_url: str, engine: Engine, sessions: sessionmaker[Session], rng: np.random.Generator
) -> None:
    ref = reference_values(rng)
    baselines = [store_baseline(sessions, ref, column=c) for c in ("x", "y")]
    store_window(sessions, baselines, T0, rng.normal(0.3, 1, 1000))
    store_window(sessions, baselines[:1], T0 + HOUR, rng.normal(0, 1, 50))
    with sessions() as s:
        before = latest_results(s)
        assert len(before) == 2
    engine.dispose()
    downgrade(database_url, "0002")  # a store written before packs existed
    upgrade(database_url)
    with sessions() as s:
        after = latest_results(s)
        _same(after, _rows(s))
    assert after == before


@pytest.mark.postgres
def test_concurrent_writers_of_one_monitor_both_land_in_its_pack(
    postgres_url: str, rng: np.random.Generator
) -> None:
    # Two runs of one monitor scoring different columns finish at the same time: the second
    # packer waits for the first one's monitor lock, then reads its committed rows.
    from driftmon.store import make_engine, session_factory

    upgrade(postgres_url)
    engine = make_engine(postgres_url)
    sessions = session_factory(engine)
    try:
        ref = reference_values(rng)
        x, y = store_baseline(sessions, ref, column="x"), store_baseline(sessions, ref, column="y")
        claims = []
        for start in (T0, T0 + HOUR):
            with sessions() as s, s.begin():
                claims.append(claim_run(s, "m", start, start + HOUR, now=T0 + 3 * HOUR, stale_after=STALE))
        first = sessions()
        first.begin()
        finish_run(
            first,
            claims[0],
            status="succeeded",
            finished_at=T0 + 3 * HOUR,
            results=[column_result(score(x, ref), x)],
        )
        done = threading.Event()

        def second() -> None:
            with sessions() as s, s.begin():
                finish_run(
                    s,
                    claims[1],
                    status="succeeded",
                    finished_at=T0 + 3 * HOUR,
                    results=[column_result(score(y, ref), y)],
                )
            done.set()

        thread = threading.Thread(target=second)
        thread.start()
        time.sleep(1.0)
        assert not done.is_set()  # waiting for the monitor's lock
        first.commit()
        first.close()
        thread.join(30)
        assert done.is_set()
        with sessions() as s:
            packed = latest_results(s)
            _same(packed, _rows(s))
            assert packed.columns == ("x", "y")
    finally:
        engine.dispose()


def test_score_matrix_takes_any_scores_in_the_order_asked(
    sessions: sessionmaker[Session], rng: np.random.Generator
) -> None:
    store_window(sessions, [store_baseline(sessions, reference_values(rng))], T0, rng.normal(1, 1, 500))
    with sessions() as s:
        latest = latest_results(s)
    names = ["psi_p_value", "p_value", "hellinger_null_expected"]
    assert latest.score_matrix(names).tolist() == [[getattr(latest[0], name) for name in names]]
    with pytest.raises(KeyError, match="unknown score 'psi_pvalue'"):
        latest.score_matrix(["psi", "psi_pvalue"])


def test_window_ends_are_exact_to_the_microsecond(
    sessions: sessionmaker[Session], rng: np.random.Generator
) -> None:
    start = T0 + timedelta(microseconds=123_457)
    store_window(sessions, [store_baseline(sessions, reference_values(rng))], start, rng.normal(0, 1, 300))
    with sessions() as s:
        latest = latest_results(s)
    assert latest.window_ends() == [start + HOUR]
    assert latest[0].window_start == start
