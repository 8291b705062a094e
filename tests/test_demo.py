"""The demo: deterministic data, idempotent generation, and config/demo.yaml end to end."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow.dataset as ds
import pytest
from sqlalchemy.orm import Session, sessionmaker

from driftmon.config import Config, load_config
from driftmon.demo import DemoData, generate_demo
from driftmon.jobs import BackfillOutcome, backfill
from driftmon.store import alert_history, make_engine, session_factory, upgrade

ROOT = Path(__file__).resolve().parents[1]
DEMO_CONFIG = ROOT / "config" / "demo.yaml"
ANCHOR = datetime(2026, 3, 2, 12, tzinfo=UTC)
HOUR = timedelta(hours=1)
DRIFTED = {
    "amount": "warning",
    "country": "critical",
    "session_seconds": "critical",
    "fraud_score": "critical",
}
STABLE = {
    "device",
    "account_age_days",
    "items_in_cart",
    "tenure_months",
    "plan",
    "monthly_charges",
    "churn_probability",
}


DemoRun = tuple[DemoData, Config, dict[str, BackfillOutcome], sessionmaker[Session]]


def _digests(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*.parquet"))
    }


def test_generation_is_deterministic_and_idempotent(tmp_path: Path) -> None:
    first = generate_demo(tmp_path / "a", now=ANCHOR + timedelta(minutes=40))
    assert first.generated
    assert (first.anchor, first.drift_start) == (ANCHOR, ANCHOR - 12 * HOUR)
    assert (first.live_start, first.live_end) == (ANCHOR - 48 * HOUR, ANCHOR + 48 * HOUR)
    other = generate_demo(tmp_path / "b", now=ANCHOR)
    assert _digests(tmp_path / "a") == _digests(tmp_path / "b")

    before = {p: p.stat().st_mtime_ns for p in (tmp_path / "a").rglob("*")}
    again = generate_demo(tmp_path / "a", now=ANCHOR + timedelta(minutes=59))  # the same hour
    assert not again.generated
    assert again.anchor == ANCHOR
    assert {p: p.stat().st_mtime_ns for p in (tmp_path / "a").rglob("*")} == before
    assert other.generated


def test_new_data_replaces_the_old_and_its_store(tmp_path: Path) -> None:
    generate_demo(tmp_path, now=ANCHOR)
    store = tmp_path / "driftmon.sqlite"
    store.write_bytes(b"results about the old data")
    later = generate_demo(tmp_path, now=ANCHOR + 3 * HOUR)
    assert later.generated
    assert later.removed_database
    assert not store.exists()
    assert later.anchor == ANCHOR + 3 * HOUR
    forced = generate_demo(tmp_path, now=ANCHOR + 3 * HOUR, force=True)
    assert forced.generated
    assert not forced.removed_database


def test_without_now_data_is_kept_while_it_reaches_12_hours_ahead(tmp_path: Path) -> None:
    made = generate_demo(tmp_path, now=datetime.now(UTC) - 30 * HOUR)
    assert not generate_demo(tmp_path).generated  # 18 hours of data are still ahead
    generate_demo(tmp_path, now=datetime.now(UTC) - 40 * HOUR, force=True)
    assert generate_demo(tmp_path).generated  # only 8 hours ahead: made again for now
    assert made.generated


def test_live_events_cover_four_days_hour_by_hour(tmp_path: Path) -> None:
    data = generate_demo(tmp_path, now=ANCHOR)
    for model, columns in (
        ("checkout", {"amount", "country", "device", "account_age_days", "session_seconds", "items_in_cart"}),
        ("churn", {"tenure_months", "plan", "monthly_charges", "churn_probability"}),
    ):
        live = ds.dataset(tmp_path / model / "live", format="parquet", partitioning="hive")
        times = live.to_table(columns=["event_time"]).column("event_time").to_pylist()
        assert min(times) >= data.live_start
        assert max(times) < data.live_end
        hours = {t.replace(minute=0, second=0, microsecond=0) for t in times}
        assert len(hours) == 96
        assert columns <= set(live.schema.names)
        reference = ds.dataset(tmp_path / model / "reference.parquet")
        assert reference.count_rows() == 40_000
        assert (
            max(reference.to_table(columns=["event_time"]).column("event_time").to_pylist()) < data.live_start
        )


@pytest.fixture(scope="module")
def demo_run(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[DemoRun]:
    """Generate the demo and backfill the 24 windows before the anchor with config/demo.yaml."""
    root = tmp_path_factory.mktemp("demo")
    data = generate_demo(root, now=ANCHOR)
    config = load_config(DEMO_CONFIG, environ={"DRIFTMON_DEMO_DIR": str(root)})
    engine = make_engine(config.database.url.get_secret_value())
    assert engine.url.database == str(root / "driftmon.sqlite")  # the demo's own store
    upgrade(engine)
    sessions = session_factory(engine)
    outcomes = {
        m.name: backfill(m, ANCHOR - 24 * HOUR, ANCHOR, sessions=sessions, now=ANCHOR + HOUR / 6)
        for m in config.monitors
    }
    yield data, config, outcomes, sessions
    engine.dispose()


def test_demo_config_runs_every_window(
    demo_run: DemoRun,
) -> None:
    _, config, outcomes, _ = demo_run
    assert [m.name for m in config.monitors] == ["checkout-fraud", "churn"]
    for outcome in outcomes.values():
        assert len(outcome.runs) == 24
        assert {r.status for r in outcome.runs} == {"succeeded"}
        assert all(c.status == "ok" for r in outcome.runs for c in r.columns)


def test_drifted_columns_drift_and_stable_ones_do_not(
    demo_run: DemoRun,
) -> None:
    data, config, outcomes, _ = demo_run
    for name, outcome in outcomes.items():
        rules = config.monitor(name).column_settings
        for run in outcome.runs:
            drifting = run.window.start >= data.drift_start
            for column in run.columns:
                js, psi = column.statistics()["js_divergence"], column.statistics()["psi"]
                assert js is not None
                assert psi is not None
                assert column.p_value is not None
                warning = rules(column.column).alerts["js_divergence"].warning or 0.0
                if drifting and column.column in DRIFTED:
                    assert column.p_value < 0.01, (run.window, column.column)
                    assert js >= warning, (run.window, column.column, js)
                    assert psi >= 0.1, (run.window, column.column, psi)
                else:
                    assert column.column in STABLE or not drifting
                    assert set(column.alert_states.values()) == {"ok"}, (run.window, column.column, js)


def test_the_default_policy_fires_large_drift_at_once_and_smaller_drift_on_its_second_window(
    demo_run: DemoRun,
) -> None:
    # config/demo.yaml has no `alerts:` block: the default alert policy is what fires.
    data, _, outcomes, sessions = demo_run
    fired_at = {"critical": data.drift_start + HOUR, "warning": data.drift_start + 2 * HOUR}
    changes = [t for r in outcomes["checkout-fraud"].runs for t in r.transitions]
    assert {(t.column, t.transition.statistic) for t in changes} == {(c, "js_divergence") for c in DRIFTED}
    for change in changes:
        assert change.transition.kind == "fired"
        assert change.transition.event_severity == DRIFTED[change.column]
        assert change.transition.window_end == fired_at[change.transition.event_severity]
    assert [t for r in outcomes["churn"].runs for t in r.transitions] == []
    latest = outcomes["checkout-fraud"].runs[-1]
    for column in latest.columns:
        assert set(column.alert_states.values()) == {DRIFTED.get(column.column, "ok")}, column.column
    with sessions() as s:
        events = alert_history(s)
    assert len(events) == len(changes) == 4
    assert {(e.monitor, e.state) for e in events} == {("checkout-fraud", "firing")}
    assert {e.window_end for e in events} == set(fired_at.values())
