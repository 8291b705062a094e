"""Alembic environment for driftmon.

The database comes from, in order: a connection handed over by driftmon (`driftmon db upgrade`
and the store's Python API), `alembic -x database_url=...`, `sqlalchemy.url` in the Alembic
config, then driftmon's own resolution (DRIFTMON_DATABASE_URL, else ./driftmon.sqlite).
`render_as_batch` lets Alembic alter SQLite tables by copying them.
"""

from __future__ import annotations

from logging.config import fileConfig

import sqlalchemy as sa
from alembic import context

from driftmon.store.models import Base
from driftmon.store.session import make_engine, parse_database_url, resolve_database_url

config = context.config
if config.config_file_name is not None and not config.attributes.get("connection"):
    fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = Base.metadata
_OPTIONS = {"target_metadata": target_metadata, "render_as_batch": True, "compare_type": True}


def _database_url() -> str:
    explicit = context.get_x_argument(as_dictionary=True).get("database_url")
    return resolve_database_url(explicit, configured=config.get_main_option("sqlalchemy.url"))


def _run(connection: sa.Connection) -> None:
    context.configure(connection=connection, **_OPTIONS)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_offline() -> None:
    """Print the SQL instead of running it (`alembic upgrade head --sql`)."""
    url = parse_database_url(_database_url())
    context.configure(url=url, literal_binds=True, dialect_opts={"paramstyle": "named"}, **_OPTIONS)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Run migrations on the connection driftmon handed over, or on a new engine."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(_database_url())
    try:
        with engine.begin() as conn:
            _run(conn)
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
