"""Baselines: fitted from each form of reference, versioned, inferred kinds, rolling refits."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy.orm import Session, sessionmaker

from driftmon.jobs import fit_baselines, run_window
from driftmon.store import list_baselines
from driftmon.windows import Window
from tests.jobs.conftest import HOUR, STABLE, T0, monitor, write_events

DAY = 24 * HOUR


def _rows_between(path: Path, start: object, end: object) -> int:
    times = pq.read_table(path, columns=["event_time"]).column("event_time").to_pylist()
    return sum(1 for t in times if start <= t < end)  # type: ignore[operator]


def test_fit_from_a_fixed_range_of_the_monitor_own_data(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    live = tmp_path / "live.parquet"
    write_events(live, T0 - 2 * DAY, 72, STABLE, rows_per_hour=50)
    start, end = T0 - 2 * DAY + 5 * HOUR, T0 - DAY
    watched = monitor(live, {"start": start.isoformat(), "end": end.isoformat()}, ["x", "c"])
    outcome = fit_baselines(watched, sessions=sessions, now=T0)
    assert (outcome.error, outcome.errors) == (None, {})
    assert outcome.rows == _rows_between(live, start, end) == 19 * 50
    assert [(f.column, f.version, f.kind, f.n) for f in outcome.fitted] == [
        ("x", 1, "numeric", 950),
        ("c", 1, "categorical", 950),
    ]
    with sessions() as s:
        (c, x) = list_baselines(s, "m")
    assert x.reference["mode"] == "fixed"
    assert (x.reference["start"], x.reference["end"]) == (start.isoformat(), end.isoformat())
    assert x.reference["rows"] == 950
    assert x.spec.n_bins == 11  # 10 quantile bins and `missing`
    assert sorted(c.spec.labels[:3]) == ["a", "b", "c"]  # by frequency, then `other` and `missing`
    assert c.spec.labels[3:] == ("other", "missing")


def test_refitting_adds_a_version_and_keeps_the_old_one(sessions: sessionmaker[Session], data: Path) -> None:
    watched = monitor(data / "live", {"path": str(data / "reference.parquet")}, ["x", "y"])
    fit_baselines(watched, sessions=sessions, now=T0)
    again = fit_baselines(watched, sessions=sessions, now=T0 + HOUR, columns=["y"])
    assert [(f.column, f.version) for f in again.fitted] == [("y", 2)]
    with sessions() as s:
        stored = [(b.column, b.version, b.active) for b in list_baselines(s, "m")]
    assert stored == [("x", 1, True), ("y", 1, False), ("y", 2, True)]


def test_kinds_are_inferred_unless_configured(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    ref = tmp_path / "reference.parquet"
    ints = lambda rng, n, h: pa.array(rng.integers(0, 4, n))  # noqa: E731
    makers = {
        "score": lambda rng, n, h: pa.array(rng.random(n)),
        "count": ints,
        "level": ints,
        "flag": lambda rng, n, h: pa.array(rng.random(n) < 0.5),
        "label": lambda rng, n, h: pa.array(rng.choice(["spam", "ham"], n).tolist()),
    }
    write_events(ref, T0 - DAY, 4, makers)
    columns = ["score", "count", {"name": "level", "kind": "categorical"}, "flag", "label", "nope"]
    outcome = fit_baselines(
        monitor(tmp_path / "live", {"path": str(ref)}, columns), sessions=sessions, now=T0
    )
    assert {f.column: f.kind for f in outcome.fitted} == {
        "score": "numeric",
        "count": "numeric",
        "level": "categorical",
        "flag": "categorical",
        "label": "categorical",
    }
    assert list(outcome.errors) == ["nope"]
    assert outcome.errors["nope"].startswith("cannot fit a baseline: column 'nope': not found in the files")


def test_an_unreadable_reference_stores_nothing(sessions: sessionmaker[Session], data: Path) -> None:
    watched = monitor(data / "live", {"path": str(data / "missing.parquet")}, ["x"])
    outcome = fit_baselines(watched, sessions=sessions, now=T0)
    assert outcome.fitted == ()
    assert outcome.error is not None
    assert outcome.error.startswith("cannot read the reference: source parquet files")
    with sessions() as s:
        assert list_baselines(s, "m") == []


def test_a_run_fits_only_the_columns_without_a_baseline(sessions: sessionmaker[Session], data: Path) -> None:
    reference = {"path": str(data / "reference.parquet")}
    run_window(
        monitor(data / "live", reference, ["x"]), Window(T0, T0 + HOUR), sessions=sessions, now=T0 + DAY
    )
    grown = monitor(data / "live", reference, ["x", "c"])  # a column added to the config later
    outcome = run_window(grown, Window(T0 + HOUR, T0 + 2 * HOUR), sessions=sessions, now=T0 + DAY)
    assert [(b.column, b.version) for b in outcome.baselines] == [("c", 1)]
    assert [(c.column, c.baseline_version) for c in outcome.columns] == [("x", 1), ("c", 1)]


def test_a_rolling_reference_refits_on_its_schedule(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    live = tmp_path / "live.parquet"
    write_events(live, T0 - 3 * DAY, 5 * 24, STABLE, rows_per_hour=120)
    reference = {"previous": "2d", "refit_every": "1d"}
    watched = monitor(live, reference, ["x"], window={"size": "1h", "delay": "10m"})

    def run(hour: int, now_hours: float) -> list[tuple[int, int]]:
        window = Window(T0 + hour * HOUR, T0 + (hour + 1) * HOUR)
        outcome = run_window(watched, window, sessions=sessions, now=T0 + now_hours * HOUR)
        assert outcome.status == "succeeded", outcome.error
        return [(b.version, b.n) for b in outcome.baselines]

    # At 01:00 on day 0 the reference is the two days before 00:00 (10 minutes of delay passed).
    assert run(0, 1) == [(1, 2 * 24 * 120)]
    assert run(1, 2) == []  # same period: no refit
    assert run(24, 25) == [(2, 2 * 24 * 120)]  # a day later the period moved on: v2
    with sessions() as s:
        versions = list_baselines(s, "m")
    assert [(b.version, b.active, b.reference["start"], b.reference["end"]) for b in versions] == [
        (1, False, (T0 - 2 * DAY).isoformat(), T0.isoformat()),
        (2, True, (T0 - DAY).isoformat(), (T0 + DAY).isoformat()),
    ]
    assert versions[1].reference["refit_every"] == "1d"
