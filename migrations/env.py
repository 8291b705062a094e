"""Alembic environment for driftmon.

The database comes from, in order: a connection handed over by driftmon (`driftmon db upgrade`
and the store's Python API), `alembic -x database_url=...`, DRIFTMON_DATABASE_URL, the
database.url of `alembic -x config=driftmon.yaml` (or `sqlalchemy.url` in the Alembic config),
then ./driftmon.sqlite: driftmon's own resolve_database_url().
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
    arguments = context.get_x_argument(as_dictionary=True)
    configured = config.get_main_option("sqlalchemy.url")
    if "config" in arguments:  # alembic -x config=driftmon.yaml: the config's database.url
        from driftmon.config import load_config

        configured = load_config(arguments["config"]).database.url.get_secret_value()
    return resolve_database_url(arguments.get("database_url"), configured=configured)


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
