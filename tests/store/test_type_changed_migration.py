"""Migration 0006 (column status type_changed) keeps every stored result, latest_results included."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from driftmon.jobs import backfill
from driftmon.store import make_engine, session_factory, upgrade
from tests.jobs.conftest import HOUR, STABLE, T0, monitor, write_events
from tests.store.conftest import downgrade


def _rows(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            table: int(conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one())
            for table in ("runs", "column_results", "latest_results")
        }


def test_upgrade_and_downgrade_keep_the_results(database_url: str, tmp_path: Path) -> None:
    engine = make_engine(database_url)
    upgrade(engine, "0005")
    upgrade(engine)
    write_events(tmp_path / "reference.parquet", T0 - 24 * HOUR, 24, STABLE, rows_per_hour=300, seed=7)
    write_events(tmp_path / "live.parquet", T0, 3, STABLE, seed=8)
    m = monitor(tmp_path / "live.parquet", {"path": str(tmp_path / "reference.parquet")}, ["x", "c"])
    sessions = session_factory(engine)
    assert [r.status for r in backfill(m, T0, T0 + 3 * HOUR, sessions=sessions, now=T0 + 4 * HOUR).runs] == [
        "succeeded"
    ] * 3
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE latest_results SET status = 'type_changed' WHERE column_name = 'c'"))
        conn.execute(sa.text("UPDATE column_results SET status = 'type_changed' WHERE column_name = 'c'"))
    before = _rows(engine)
    assert before == {"runs": 3, "column_results": 6, "latest_results": 2}

    downgrade(engine, "0005")
    assert _rows(engine) == before
    with engine.begin() as conn:
        statuses = conn.execute(
            sa.text("SELECT DISTINCT status FROM latest_results ORDER BY status")
        ).scalars()
        assert list(statuses) == ["failed", "ok"]  # the older schema has no type_changed
        with pytest.raises(sa.exc.IntegrityError):
            conn.execute(sa.text("UPDATE latest_results SET status = 'type_changed'"))

    upgrade(engine)
    assert _rows(engine) == before
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE column_results SET status = 'type_changed' WHERE column_name = 'c'"))
        conn.execute(sa.text("UPDATE latest_results SET status = 'type_changed' WHERE column_name = 'c'"))
    with engine.begin() as conn, pytest.raises(sa.exc.IntegrityError):
        conn.execute(sa.text("UPDATE latest_results SET status = 'unknown'"))
    with engine.connect() as conn:
        found = conn.execute(sa.text("SELECT column_name, status FROM latest_results ORDER BY column_name"))
        assert [tuple(row) for row in found] == [("c", "type_changed"), ("x", "ok")]
    engine.dispose()
