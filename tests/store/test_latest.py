"""latest_results: the newest window's result of every series, whatever writes or deletes results."""

from __future__ import annotations

import threading
from dataclasses import fields
from datetime import timedelta

import numpy as np
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from driftmon.core import STATISTICS, NullLevel
from driftmon.results import ResultRecord
from driftmon.store import (
    claim_run,
    delete_results_older_than,
    finish_run,
    latest_results,
    upgrade,
)
from driftmon.store.models import Baseline, ColumnResult, Monitor, Run
from tests.store.conftest import (
    HOUR,
    STALE,
    T0,
    downgrade,
    failed_result,
    reference_values,
    score,
    scored_result,
    store_baseline,
    store_window,
)


def _record(r: ColumnResult, run: Run, monitor: str, version: int | None) -> ResultRecord:
    scores = {s: getattr(r, s) for s in STATISTICS if getattr(r, s) is not None}
    nulls = {}
    for s in STATISTICS:
        parts = (
            getattr(r, f"{s}_null_expected"),
            getattr(r, f"{s}_null_quantile"),
            getattr(r, f"{s}_p_value"),
        )
        if None not in parts:
            nulls[s] = NullLevel(*parts)
    return ResultRecord(
        monitor, r.column_name, run.window_start, run.window_end, r.status, role=r.role, kind=r.kind,
        baseline_version=version, n_reference=r.n_reference, n_live=r.n_live, p_value=r.p_value,
        scores=scores, null_levels=nulls, error=r.error, id=r.id, run_id=r.run_id,
    )  # fmt: skip


def _rows(session: Session) -> list[ResultRecord]:
    """The newest result per series computed from the whole history, independently of latest_results."""
    rows = session.execute(
        sa.select(ColumnResult, Run, Monitor.name, Baseline.version)
        .join(Run, Run.id == ColumnResult.run_id)
        .join(Monitor, Monitor.id == Run.monitor_id)
        .outerjoin(Baseline, Baseline.id == ColumnResult.baseline_id)
        .order_by(Run.monitor_id, ColumnResult.column_name, Run.window_end)
    ).all()
    newest = {(run.monitor_id, r.column_name): (r, run, name, version) for r, run, name, version in rows}
    return [_record(*found) for found in newest.values()]


def _same(latest: list[ResultRecord], rows: list[ResultRecord]) -> None:
    assert len(latest) == len(rows)
    for got, want in zip(latest, rows, strict=True):
        for field in fields(ResultRecord):
            a, b = getattr(got, field.name), getattr(want, field.name)
            assert a == b, (field.name, a, b)
            assert type(a) is type(b), (field.name, a, b)
            if isinstance(a, dict):
                assert [type(v) for v in a.values()] == [type(v) for v in b.values()], (field.name, a, b)


def test_latest_results_follow_every_writer(
    sessions: sessionmaker[Session], rng: np.random.Generator
) -> None:
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
        results = [failed_result("a", error), scored_result(score(m[0], ref), m[0])]
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
    # Retention removes the series whose newest result is older than the cutoff.
    with sessions() as s, s.begin():
        delete_results_older_than(s, 1, now=T0 + 25 * HOUR + timedelta(minutes=30))
    with sessions() as s:
        packed = latest_results(s)
        _same(packed, _rows(s))
        assert [(r.monitor, r.column) for r in packed] == [("m", "a"), ("m", "b"), ("m", "c")]
    with sessions() as s, s.begin():
        delete_results_older_than(s, 1, now=T0 + 30 * 24 * HOUR)
    with sessions() as s:
        assert latest_results(s) == []


def test_columns_and_records(sessions: sessionmaker[Session], rng: np.random.Generator) -> None:
    ref = reference_values(rng)
    store_window(sessions, [store_baseline(sessions, ref, column="x")], T0, rng.normal(1, 1, 2000))
    n = store_baseline(sessions, ref, monitor="n")
    store_window(sessions, [n], T0, rng.normal(0, 1, 10), monitor="n")
    with sessions() as s, s.begin():
        claim = claim_run(s, "f", T0, T0 + HOUR, now=T0 + HOUR, stale_after=STALE)
        finish_run(s, claim, status="failed", finished_at=T0 + HOUR, results=[failed_result("y", "boom")])
    with sessions() as s:
        latest = latest_results(s)
        rows = _rows(s)
    _same(latest, rows)
    assert [(r.monitor, r.column, r.status) for r in latest] == [
        ("m", "x", "ok"),
        ("n", "x", "insufficient_data"),
        ("f", "y", "failed"),
    ]
    assert [(r.n_live, r.baseline_version) for r in latest] == [(2000, 1), (10, 1), (None, None)]
    assert (latest[2].p_value, latest[2].scores, latest[2].null_levels) == (None, {}, {})
    assert latest[2].error == "boom"


def test_migrations_keep_the_latest_results_across_packs(
    engine: Engine, sessions: sessionmaker[Session], rng: np.random.Generator
) -> None:
    ref = reference_values(rng)
    baselines = [store_baseline(sessions, ref, column=c) for c in ("x", "y")]
    store_window(sessions, baselines, T0, rng.normal(0.3, 1, 1000))
    store_window(sessions, baselines[:1], T0 + HOUR, rng.normal(0, 1, 50))
    with sessions() as s:
        before = latest_results(s)
        assert len(before) == 2
    engine.dispose()
    downgrade(engine, "0004")  # latest_packs is back, packed from the stored rows
    with engine.connect() as conn:
        packs = conn.execute(sa.text("SELECT format, text FROM latest_packs")).all()
    assert [p.format for p in packs] == [1]
    assert '"column":["x","y"]' in packs[0].text
    engine.dispose()
    downgrade(engine, "0002")  # a store written before packs existed
    upgrade(engine)
    with sessions() as s:
        after = latest_results(s)
        _same(after, _rows(s))
    assert after == before
    assert "latest_packs" not in sa.inspect(engine).get_table_names()


@pytest.mark.postgres
def test_concurrent_writers_of_one_monitor_both_land(postgres_url: str, rng: np.random.Generator) -> None:
    # Two runs of one monitor scoring different columns finish in overlapping transactions: the
    # second waits for the first to commit (both advance the monitor's change marker), then lands.
    from driftmon.store import make_engine, session_factory

    engine = make_engine(postgres_url)
    upgrade(engine)
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
            results=[scored_result(score(x, ref), x)],
        )
        done = threading.Event()

        def second() -> None:
            with sessions() as s, s.begin():
                finish_run(
                    s,
                    claims[1],
                    status="succeeded",
                    finished_at=T0 + 3 * HOUR,
                    results=[scored_result(score(y, ref), y)],
                )
            done.set()

        thread = threading.Thread(target=second)
        thread.start()
        first.commit()
        first.close()
        thread.join(30)
        assert done.is_set()
        with sessions() as s:
            latest = latest_results(s)
            _same(latest, _rows(s))
            assert [r.column for r in latest] == ["x", "y"]
    finally:
        engine.dispose()


def test_window_ends_are_exact_to_the_microsecond(
    sessions: sessionmaker[Session], rng: np.random.Generator
) -> None:
    start = T0 + timedelta(microseconds=123_457)
    store_window(sessions, [store_baseline(sessions, reference_values(rng))], start, rng.normal(0, 1, 300))
    with sessions() as s:
        latest = latest_results(s)
    assert [(r.window_start, r.window_end) for r in latest] == [(start, start + HOUR)]
