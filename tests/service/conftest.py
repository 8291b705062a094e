"""Fixtures for the service tests: a migrated store, demo-like Parquet data, a worker on a fake clock."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from driftmon.store import make_engine, session_factory, upgrade

from .helpers import HOUR, T0, write_parquet


def _engine(url: str) -> Iterator[Engine]:
    engine = make_engine(url)
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def store(sqlite_url: str) -> Iterator[sessionmaker[Session]]:
    """Sessions on a fresh SQLite store at head."""
    for engine in _engine(sqlite_url):
        yield session_factory(engine)


@pytest.fixture
def any_store(database_url: str) -> Iterator[sessionmaker[Session]]:
    """Sessions on a fresh store at head: SQLite, then PostgreSQL."""
    for engine in _engine(database_url):
        yield session_factory(engine)


@pytest.fixture
def pg(postgres_url: str) -> Iterator[Engine]:
    """An engine on a fresh PostgreSQL database at head (the one `postgres_url` names)."""
    engine = make_engine(postgres_url)
    upgrade(engine)
    try:
        yield engine
    finally:
        engine.dispose()


@pytest.fixture
def data(tmp_path: Path) -> Path:
    """A reference (the day before T0) and 12 hours of stable live events from T0, as Parquet."""
    write_parquet(tmp_path / "reference.parquet", T0 - 24 * HOUR, 24, rows=200, seed=7)
    write_parquet(tmp_path / "live" / "part-0.parquet", T0, 12, seed=8)
    return tmp_path
