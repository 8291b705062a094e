"""Database URLs and engines: resolution order, SQLite pragmas, clear errors for bad URLs."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from driftmon.store import (
    DATABASE_URL_ENV,
    StoreInputError,
    UnsupportedDatabaseError,
    display_url,
    make_engine,
    resolve_database_url,
)
from driftmon.store.session import parse_database_url


def test_resolution_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(DATABASE_URL_ENV, "sqlite:///from-env.sqlite")
    assert resolve_database_url("sqlite:///flag.sqlite", configured="sqlite:///c.sqlite") == (
        "sqlite:///flag.sqlite"
    )
    assert resolve_database_url(None, configured="sqlite:///c.sqlite") == "sqlite:///from-env.sqlite"
    assert resolve_database_url() == "sqlite:///from-env.sqlite"
    monkeypatch.delenv(DATABASE_URL_ENV)
    assert resolve_database_url(None, configured="sqlite:///c.sqlite") == "sqlite:///c.sqlite"
    monkeypatch.setenv(DATABASE_URL_ENV, "  ")  # empty: unset
    assert resolve_database_url() == f"sqlite:///{tmp_path.resolve() / 'driftmon.sqlite'}"


def test_empty_flag_is_an_error() -> None:
    with pytest.raises(StoreInputError, match="empty"):
        resolve_database_url("")


def test_display_url_hides_the_password() -> None:
    shown = display_url("postgresql+psycopg://alice:hunter2@db:5432/prod")
    assert "hunter2" not in shown
    assert shown == "postgresql+psycopg://alice:***@db:5432/prod"


def test_bare_postgresql_urls_use_psycopg3() -> None:
    assert parse_database_url("postgresql://u@h/d").drivername == "postgresql+psycopg"
    assert parse_database_url("postgres://u@h/d").drivername == "postgresql+psycopg"
    assert parse_database_url("postgresql+psycopg://u@h/d").drivername == "postgresql+psycopg"


def test_unsupported_and_unparseable_urls() -> None:
    with pytest.raises(UnsupportedDatabaseError, match="supports sqlite and postgresql, not 'mysql'"):
        make_engine("mysql://u:pw@h/d")
    with pytest.raises(UnsupportedDatabaseError, match="not a valid SQLAlchemy URL") as caught:
        make_engine("no url with secret-pw")
    assert "secret-pw" not in str(caught.value)


def test_sqlite_directory_must_exist(tmp_path: Path) -> None:
    missing = tmp_path / "nope" / "driftmon.sqlite"
    with pytest.raises(UnsupportedDatabaseError, match="does not exist"):
        make_engine(f"sqlite:///{missing}")


def test_sqlite_pragmas(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30_000
    finally:
        engine.dispose()


def test_sqlite_savepoint_rolls_back_inside_the_transaction(sqlite_url: str) -> None:
    # The sqlite3 module's own transaction handling breaks SAVEPOINT; make_engine takes it over.
    engine = make_engine(sqlite_url)
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql("CREATE TABLE t (x INTEGER)")
        with engine.begin() as conn:
            conn.exec_driver_sql("INSERT INTO t VALUES (1)")
            nested = conn.begin_nested()
            conn.exec_driver_sql("INSERT INTO t VALUES (2)")
            nested.rollback()
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT x FROM t")).scalars().all() == [1]
    finally:
        engine.dispose()
