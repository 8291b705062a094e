"""run_window(): score, store once, and report; every bad input ends in a stored, named failure."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from driftmon.config import Config, MonitorConfig
from driftmon.core import STATISTICS, BinSpec
from driftmon.jobs import run_window
from driftmon.sources import ReferenceSample, Source, SourceCounts, monitor_source
from driftmon.store import (
    alert_history,
    claim_run,
    get_run,
    list_baselines,
    load_alert_states,
    make_engine,
    run_history,
    session_factory,
)
from driftmon.store.models import Monitor
from driftmon.windows import Span, Window
from tests.jobs.conftest import HOUR, STABLE, T0, categories, monitor, normal, write_events

W0 = Window(T0, T0 + HOUR)
NOW = T0 + 7 * HOUR


def test_scores_and_stores_one_window(sessions: sessionmaker[Session], stable: MonitorConfig) -> None:
    outcome = run_window(stable, W0, sessions=sessions, now=NOW)
    assert outcome.status == "succeeded", outcome.error
    assert outcome.skipped is None
    assert outcome.stored
    assert outcome.error is None
    assert outcome.rows_read == 500
    assert [c.column for c in outcome.columns] == ["x", "y", "c"]
    assert [(c.kind, c.status, c.n_live, c.n_reference) for c in outcome.columns] == [
        ("numeric", "ok", 500, 9600),
        ("numeric", "ok", 500, 9600),
        ("categorical", "ok", 500, 9600),
    ]
    assert [(b.column, b.version) for b in outcome.baselines] == [("x", 1), ("y", 1), ("c", 1)]
    for column in outcome.columns:
        assert column.p_value is not None
        assert column.p_value > 1e-3
        assert set(column.statistics()) == set(STATISTICS)
        assert all(v is not None and math.isfinite(v) for v in column.statistics().values())
        assert column.null("js_divergence") is not None
    with sessions() as s:
        detail = get_run(s, outcome.run_id or 0)
        baselines = list_baselines(s, "m")
        config_hash = s.execute(sa.select(Monitor.config_hash)).scalar_one()
    assert config_hash == stable.config_hash()
    assert detail.run.status == "succeeded"
    assert detail.run.rows_read == 500
    assert {r.column: r.scores["js_divergence"] for r in detail.results} == {
        c.column: c.statistics()["js_divergence"] for c in outcome.columns
    }
    assert [(b.column, b.version, b.active, b.reference["mode"]) for b in baselines] == [
        ("c", 1, True, "separate"),
        ("x", 1, True, "separate"),
        ("y", 1, True, "separate"),
    ]


def test_the_same_window_twice_is_stored_once(sessions: sessionmaker[Session], stable: MonitorConfig) -> None:
    first = run_window(stable, W0, sessions=sessions, now=NOW)
    second = run_window(stable, W0, sessions=sessions, now=NOW + HOUR)
    assert second.skipped == "already_done"
    assert second.status == first.status == "succeeded"
    assert second.run_id == first.run_id
    assert second.baselines == ()
    assert [c.statistics() for c in second.columns] == [c.statistics() for c in first.columns]
    assert [c.top_bins[0].label for c in second.columns] == [c.top_bins[0].label for c in first.columns]
    with sessions() as s:
        (run,) = run_history(s, "m")
        assert run.attempts == 1
        assert len(list_baselines(s, "m")) == 3  # the baselines were fitted once


def test_the_same_window_scores_the_same_after_a_retry(
    sessions: sessionmaker[Session], stable: MonitorConfig, data: Path
) -> None:
    # Small windows are calibrated by a seeded simulation; the seed comes from the window.
    small = monitor(data / "live", {"path": str(data / "reference.parquet")}, ["x"], min_samples=10)
    window = Window(T0 + 2 * HOUR, T0 + 3 * HOUR)
    first = run_window(small, window, sessions=sessions, now=NOW)
    with sessions() as s, s.begin():
        s.execute(sa.text("UPDATE runs SET status = 'failed'"))  # as if it had failed: retried
    again = run_window(small, window, sessions=sessions, now=NOW + HOUR)
    assert again.skipped is None
    assert again.attempt == 2
    assert again.columns[0].statistics() == first.columns[0].statistics()
    assert again.columns[0].p_value == first.columns[0].p_value


def test_an_empty_window_is_insufficient_data_not_an_error_nor_an_alert(
    sessions: sessionmaker[Session], data: Path
) -> None:
    alerts = {"js_divergence": {"warning": 0.0, "for_windows": 1, "require_significance": False}}
    watched = monitor(data / "live", {"path": str(data / "reference.parquet")}, ["x", "c"], alerts=alerts)
    empty = Window(T0 - 5 * HOUR, T0 - 4 * HOUR)  # no live events before T0
    outcome = run_window(watched, empty, sessions=sessions, now=NOW)
    assert outcome.status == "insufficient_data"
    assert outcome.error is None
    assert outcome.rows_read == 0
    assert [(c.status, c.n_live, c.error) for c in outcome.columns] == [("insufficient_data", 0, None)] * 2
    assert outcome.transitions == ()
    assert [c.alert_states["js_divergence"] for c in outcome.columns] == ["ok", "ok"]
    with sessions() as s:
        assert get_run(s, outcome.run_id or 0).run.status == "insufficient_data"
        states = load_alert_states(s, "m")
    assert [(r.column, r.state["severity"], r.state["above_warning"]) for r in states] == [
        ("c", "ok", 0),
        ("x", "ok", 0),
    ]


def test_a_column_missing_from_the_live_data_fails_alone(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    write_events(tmp_path / "reference.parquet", T0 - 24 * HOUR, 24, STABLE, rows_per_hour=200)
    write_events(tmp_path / "live.parquet", T0, 2, {"x": normal(), "c": categories(["a", "b", "c"])})
    watched = monitor(
        tmp_path / "live.parquet", {"path": str(tmp_path / "reference.parquet")}, ["x", "y", "c"]
    )
    outcome = run_window(watched, W0, sessions=sessions, now=NOW)
    assert outcome.status == "partial"
    assert [(c.column, c.status) for c in outcome.columns] == [("x", "ok"), ("y", "failed"), ("c", "ok")]
    failed = outcome.columns[1]
    assert failed.error is not None
    assert "column 'y': not found in the files at" in failed.error
    assert failed.baseline_version == 1  # the reference has it; the live data does not
    assert outcome.error is not None
    assert outcome.error.startswith("1 of 3 columns failed: 'y': column 'y'")
    with sessions() as s:
        detail = get_run(s, outcome.run_id or 0)
    assert detail.run.status == "partial"
    assert detail.run.error == outcome.error
    assert [(r.column, r.status) for r in detail.results] == [("c", "ok"), ("x", "ok"), ("y", "failed")]


def test_an_all_null_column_drifts_on_the_missing_bin(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    write_events(tmp_path / "reference.parquet", T0 - 24 * HOUR, 24, STABLE, rows_per_hour=200)
    nulls = {
        "x": lambda rng, n, h: pa.nulls(n, pa.float64()),
        "c": lambda rng, n, h: pa.nulls(n, pa.string()),
    }
    write_events(tmp_path / "live.parquet", T0, 1, nulls)
    watched = monitor(tmp_path / "live.parquet", {"path": str(tmp_path / "reference.parquet")}, ["x", "c"])
    outcome = run_window(watched, W0, sessions=sessions, now=NOW)
    assert outcome.status == "succeeded", outcome.error
    for column in outcome.columns:
        assert column.status == "ok"
        assert column.n_live == 500
        assert column.top_bins[0].label == "missing"
        assert (column.top_bins[0].reference_share, column.top_bins[0].live_share) == (0.0, 1.0)
        assert column.p_value is not None
        assert column.p_value < 1e-3
        assert (column.statistics()["js_divergence"] or 0) > 0.5


def test_strings_in_a_numeric_column_fail_that_column(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    write_events(tmp_path / "reference.parquet", T0 - 24 * HOUR, 24, STABLE, rows_per_hour=200)
    write_events(tmp_path / "live.parquet", T0, 1, STABLE)
    table = pq.read_table(tmp_path / "live.parquet")
    x = table.column("x").to_pylist()
    x[17] = "twelve"
    table = table.set_column(table.schema.get_field_index("x"), "x", pa.array([str(v) for v in x]))
    pcsv.write_csv(table, tmp_path / "live.csv")
    watched = monitor(
        tmp_path / "live.csv",
        {"path": str(tmp_path / "reference.parquet"), "format": "parquet"},
        [{"name": "x", "kind": "numeric"}, "y", "c"],
    )
    outcome = run_window(watched, W0, sessions=sessions, now=NOW)
    assert outcome.status == "partial"
    x_result = outcome.columns[0]
    assert x_result.status == "failed"
    assert x_result.error is not None
    assert "'twelve'" in x_result.error
    assert "row 17" in x_result.error
    assert [c.status for c in outcome.columns[1:]] == ["ok", "ok"]


def test_a_corrupt_parquet_file_fails_the_run_naming_it(
    sessions: sessionmaker[Session], stable: MonitorConfig, data: Path
) -> None:
    run_window(stable, W0, sessions=sessions, now=NOW)  # baselines are in place
    bad = data / "live" / "part-1.parquet"
    bad.write_bytes(b"PAR1 this is not parquet at all")
    window = Window(T0 + HOUR, T0 + 2 * HOUR)
    outcome = run_window(stable, window, sessions=sessions, now=NOW)
    assert outcome.status == "failed"
    assert outcome.stored
    assert outcome.error is not None
    assert str(bad) in outcome.error
    assert outcome.columns == ()
    with sessions() as s:
        detail = get_run(s, outcome.run_id or 0)
    assert (detail.run.status, detail.run.error, detail.results) == ("failed", outcome.error, ())
    bad.unlink()  # fixed: the failed window is computed again
    retried = run_window(stable, window, sessions=sessions, now=NOW + HOUR)
    assert (retried.status, retried.attempt, retried.skipped) == ("succeeded", 2, None)


def test_missing_files_fail_the_run_naming_the_path(sessions: sessionmaker[Session], data: Path) -> None:
    gone = data / "nowhere" / "*.parquet"
    watched = monitor(gone, {"path": str(data / "reference.parquet")}, ["x"])
    outcome = run_window(watched, W0, sessions=sessions, now=NOW)
    assert outcome.status == "failed"
    assert outcome.error is not None
    assert f"no such file: {gone}" in outcome.error
    missing_reference = monitor(data / "live", {"path": str(data / "gone.parquet")}, ["x"], name="n")
    other = run_window(missing_reference, Window(T0 + HOUR, T0 + 2 * HOUR), sessions=sessions, now=NOW)
    assert other.status == "failed"
    assert other.error is not None
    assert other.error.startswith("no column has a baseline: cannot read the reference: source parquet files")
    assert f"no such file: {data / 'gone.parquet'}" in other.error


def test_an_unreachable_source_database_fails_the_run_with_the_reason(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    source = tmp_path / "events.sqlite"
    engine = make_engine(f"sqlite:///{source}")
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE events (event_time TEXT, x REAL)"))
        rows = [{"t": (T0 - HOUR + i * timedelta(seconds=3)).isoformat(), "x": i % 10} for i in range(1200)]
        conn.execute(sa.text("INSERT INTO events VALUES (:t, :x)"), rows)
    engine.dispose()

    def sql_monitor(url: str) -> MonitorConfig:
        return Config.model_validate(
            {
                "monitors": [
                    {
                        "name": "m",
                        "source": {"kind": "sql", "url": url, "table": "events"},
                        "timestamp_column": "event_time",
                        "reference": {"start": (T0 - HOUR).isoformat(), "end": T0.isoformat()},
                        "window": {"size": "1h"},
                        "columns": ["x"],
                    }
                ]
            }
        ).monitors[0]

    fitted = run_window(sql_monitor(f"sqlite:///{source}"), W0, sessions=sessions, now=NOW)
    assert fitted.status == "insufficient_data"
    assert [b.version for b in fitted.baselines] == [1]
    down = sql_monitor("postgresql+psycopg://driftmon:s3cret@127.0.0.1:1/warehouse")  # nothing listens
    outcome = run_window(down, Window(T0 + HOUR, T0 + 2 * HOUR), sessions=sessions, now=NOW)
    assert outcome.status == "failed"
    assert outcome.stored
    assert outcome.error is not None
    assert "database unreachable" in outcome.error
    assert "s3cret" not in outcome.error
    assert "driftmon:***@127.0.0.1:1" in outcome.error
    with sessions() as s:
        detail = get_run(s, outcome.run_id or 0)
    assert (detail.run.status, detail.run.error, detail.results) == ("failed", outcome.error, ())


def test_an_unreachable_store_is_reported_not_raised(stable: MonitorConfig) -> None:
    engine = make_engine("postgresql+psycopg://driftmon@127.0.0.1:1/driftmon")  # nothing listens on port 1
    try:
        outcome = run_window(stable, W0, sessions=session_factory(engine), now=NOW)
    finally:
        engine.dispose()
    assert (outcome.status, outcome.stored, outcome.run_id) == ("failed", False, None)
    assert outcome.error is not None
    assert outcome.error.startswith("store: database unavailable:")


class _Interfering:
    """A live source that lets `act` run while it counts, as another worker or an operator would."""

    def __init__(self, source: Source, act: Callable[[], None]) -> None:
        self.source, self.act = source, act

    @property
    def description(self) -> str:
        return self.source.description

    def ping(self) -> None:
        self.source.ping()

    def count(self, specs: Mapping[str, BinSpec], span: Span | None) -> SourceCounts:
        counts = self.source.count(specs, span)
        self.act()
        return counts

    def read_reference(self, *args: Any, **kwargs: Any) -> ReferenceSample:
        return self.source.read_reference(*args, **kwargs)

    def close(self) -> None:
        self.source.close()


def test_a_run_that_lost_its_claim_writes_nothing(
    sessions: sessionmaker[Session], stable: MonitorConfig
) -> None:
    def take_over() -> None:  # a second worker decides the first is stale and claims the window
        with sessions() as s, s.begin():
            claim = claim_run(s, "m", W0.start, W0.end, now=NOW + 24 * HOUR, stale_after=HOUR)
        assert claim.claimed

    source = _Interfering(monitor_source(stable), take_over)
    outcome = run_window(stable, W0, sessions=sessions, now=NOW, source=source)
    assert outcome.status == "failed"
    assert not outcome.stored
    assert outcome.error is not None
    assert "lost its claim" in outcome.error
    with sessions() as s:
        (run,) = run_history(s, "m")
        detail = get_run(s, run.id)
    assert (run.status, run.attempts) == ("running", 2)  # the new owner's attempt, untouched
    assert detail.results == ()


def test_a_store_failure_while_finishing_leaves_nothing_half_written(
    sessions: sessionmaker[Session], data: Path
) -> None:
    alerts = {"js_divergence": {"warning": 0.0, "require_significance": False}}
    watched = monitor(data / "live", {"path": str(data / "reference.parquet")}, ["x", "c"], alerts=alerts)

    def drop_alert_states() -> None:  # the results can be written, the alert states cannot
        with sessions() as s, s.begin():
            s.execute(sa.text("DROP TABLE alert_states"))

    source = _Interfering(monitor_source(watched), drop_alert_states)
    outcome = run_window(watched, W0, sessions=sessions, now=NOW, source=source)
    assert outcome.status == "failed"
    assert outcome.stored  # as a failed run, with the reason and without any result
    assert outcome.error is not None
    assert outcome.error.startswith("store: cannot write the results:")
    with sessions() as s:
        detail = get_run(s, outcome.run_id or 0)
        events = alert_history(s, "m")
    assert (detail.run.status, detail.run.error, detail.results) == ("failed", outcome.error, ())
    assert events == []


def test_sql_source_counted_in_the_database(database_url: str, sessions: sessionmaker[Session]) -> None:
    # The events live in the same database as the store: counted there, only counts come back.
    engine = make_engine(database_url)
    rng = np.random.default_rng(5)
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE events (event_time TIMESTAMP WITH TIME ZONE, x FLOAT, c TEXT)"))
        start = T0 - 4 * HOUR
        rows = [
            {"t": start + timedelta(seconds=int(s)), "x": float(v), "c": str(c)}
            for s, v, c in zip(
                rng.integers(0, 5 * 3600, 6000),
                rng.normal(size=6000),
                rng.choice(list("abc"), 6000),
                strict=True,
            )
        ]
        conn.execute(sa.text("INSERT INTO events VALUES (:t, :x, :c)"), rows)
    engine.dispose()
    watched = Config.model_validate(
        {
            "monitors": [
                {
                    "name": "m",
                    "source": {"kind": "sql", "url": database_url, "table": "events"},
                    "timestamp_column": "event_time",
                    "reference": {"start": start.isoformat(), "end": T0.isoformat()},
                    "window": {"size": "1h"},
                    "columns": ["x", {"name": "c", "kind": "categorical"}],
                }
            ]
        }
    ).monitors[0]
    outcome = run_window(watched, W0, sessions=sessions, now=NOW)
    expected = sum(1 for r in rows if T0 <= r["t"] < T0 + HOUR)
    assert outcome.status == "succeeded", outcome.error
    assert outcome.rows_read == expected
    assert [(c.column, c.kind, c.n_live) for c in outcome.columns] == [
        ("x", "numeric", expected),
        ("c", "categorical", expected),
    ]
    assert [c.n_reference for c in outcome.columns] == [len(rows) - expected] * 2
