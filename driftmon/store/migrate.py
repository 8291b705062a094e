"""Alembic from Python: upgrade, current and head revisions, and the start-up check."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

from driftmon.store.errors import DatabaseNotAtHeadError, MigrationsNotFoundError, StoreInputError
from driftmon.store.session import display_url


def migrations_dir() -> Path:
    """Return the Alembic script directory (`migrations/` next to the driftmon package)."""
    path = Path(__file__).resolve().parents[2] / "migrations"
    if not (path / "env.py").is_file():
        raise MigrationsNotFoundError(
            f"the Alembic migrations directory {str(path)!r} is missing: install driftmon from its "
            "source tree (pip install -e .) or copy migrations/ next to the driftmon package"
        )
    return path


def alembic_config(connection: sa.Connection | None = None) -> Config:
    """Build an Alembic Config for driftmon's migrations, bound to `connection` when given."""
    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Migrate the database up to `revision` (default: head) in one transaction."""
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), revision)


def current_revision(engine: Engine) -> str | None:
    """Return the database's Alembic revision, or None when it has no driftmon tables yet."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision() -> str:
    """Return the newest revision this driftmon ships."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:
        raise MigrationsNotFoundError(f"no migration revisions found in {str(migrations_dir())!r}")
    return head


def ensure_at_head(engine: Engine, *, auto_upgrade: bool = False) -> None:
    """Refuse a database that is not at head, naming the command to run.

    `auto_upgrade` migrates instead, for SQLite only: production PostgreSQL schemas change
    when an operator runs `driftmon db upgrade`, never as a side effect of a start-up.
    """
    head = head_revision()
    current = current_revision(engine)
    if current == head:
        return
    known = {rev.revision for rev in ScriptDirectory.from_config(alembic_config()).walk_revisions()}
    url = display_url(engine.url)
    if current is not None and current not in known:
        raise DatabaseNotAtHeadError(url, current, head, ahead=True)
    if not auto_upgrade:
        raise DatabaseNotAtHeadError(url, current, head)
    if engine.dialect.name != "sqlite":
        raise StoreInputError(
            f"automatic upgrade at start-up is only for the SQLite default; database {url} is "
            f"{engine.dialect.name}: run `driftmon db upgrade` first"
        )
    upgrade(engine)
