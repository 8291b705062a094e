"""Shared fixtures. PostgreSQL tests run against the server named by DRIFTMON_TEST_POSTGRES_URL.

Without that variable they are skipped (a laptop without PostgreSQL); with CI=true a missing
variable or an unreachable server fails the run instead, so CI never goes green by skipping.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session, sessionmaker

from driftmon.store import make_engine, session_factory, upgrade

POSTGRES_ENV = "DRIFTMON_TEST_POSTGRES_URL"
POSTGRES_EXAMPLE = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


@pytest.fixture(scope="session")
def postgres_server_url() -> str:
    """Return the PostgreSQL server URL, or skip (fail under CI) when there is none."""
    url = os.environ.get(POSTGRES_ENV)
    if not url:
        message = f"PostgreSQL tests need {POSTGRES_ENV} (e.g. {POSTGRES_EXAMPLE})"
        if _in_ci():
            pytest.fail(f"CI=true but {message}")
        pytest.skip(message)
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except sa.exc.OperationalError as exc:
        where = make_url(url).render_as_string(hide_password=True)
        message = f"PostgreSQL at {where} is unreachable: {exc.orig}"
        if _in_ci():
            pytest.fail(message)
        pytest.skip(message)
    finally:
        engine.dispose()
    return url


@pytest.fixture
def postgres_url(postgres_server_url: str) -> Iterator[str]:
    """Yield the URL of a fresh, empty PostgreSQL database that is dropped afterwards."""
    name = f"driftmon_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(postgres_server_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        yield make_url(postgres_server_url).set(database=name).render_as_string(hide_password=False)
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


@pytest.fixture
def sqlite_url(tmp_path: os.PathLike[str]) -> str:
    """Return the URL of a fresh SQLite file database."""
    return f"sqlite:///{os.fspath(tmp_path)}/driftmon.sqlite"


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """Yield an engine on a fresh store migrated to head (SQLite, then PostgreSQL)."""
    engine = make_engine(database_url)
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    """Return a session factory on the fresh, migrated store."""
    return session_factory(engine)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest) -> str:
    """Yield a fresh database URL on each backend: SQLite, then PostgreSQL."""
    if request.param == "sqlite":
        return str(request.getfixturevalue("sqlite_url"))
    return str(request.getfixturevalue("postgres_url"))
