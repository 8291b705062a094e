"""Column result status type_changed: a categorical column whose live values changed type.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 09:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TABLES = ("column_results", "latest_results")
_OLD = "status IN ('ok', 'insufficient_data', 'failed')"
_NEW = "status IN ('ok', 'insufficient_data', 'failed', 'type_changed')"


def _replace_check(old: str, new: str) -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        for table in _TABLES:
            op.drop_constraint(op.f(f"ck_{table}_status"), table, type_="check")
            op.create_check_constraint(op.f(f"ck_{table}_status"), table, new)
        return
    # SQLite cannot alter a CHECK constraint: each table is copied into a new one. Dropping
    # column_results cascades into latest_results (foreign keys are on, and cannot be turned
    # off inside the migration's transaction), so latest_results is kept aside and put back.
    bind.exec_driver_sql("CREATE TEMP TABLE driftmon_latest_kept AS SELECT * FROM latest_results")
    for table in _TABLES:
        (create,) = bind.execute(
            sa.text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = :t"), {"t": table}
        ).one()
        if old not in create:
            raise RuntimeError(f"table {table}: its status check is not {old!r}; cannot migrate")
        indexes = [
            sql
            for (sql,) in bind.execute(
                sa.text(
                    "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = :t AND sql IS NOT NULL"
                ),
                {"t": table},
            )
        ]
        staged = f"driftmon_new_{table}"
        bind.exec_driver_sql(create.replace(old, new).replace(table, staged, 1))
        bind.exec_driver_sql(f"INSERT INTO {staged} SELECT * FROM {table}")
        bind.exec_driver_sql(f"DROP TABLE {table}")
        bind.exec_driver_sql(f"ALTER TABLE {staged} RENAME TO {table}")
        for sql in indexes:
            bind.exec_driver_sql(sql)
    bind.exec_driver_sql("DELETE FROM latest_results")
    bind.exec_driver_sql("INSERT INTO latest_results SELECT * FROM driftmon_latest_kept")
    bind.exec_driver_sql("DROP TABLE driftmon_latest_kept")


def upgrade() -> None:
    _replace_check(_OLD, _NEW)


def downgrade() -> None:
    # Results that changed type become failed ones: the older schema has no other status for them.
    for table in _TABLES:
        op.execute(sa.text(f"UPDATE {table} SET status = 'failed' WHERE status = 'type_changed'"))
    _replace_check(_NEW, _OLD)
