"""Several replicas: a per-monitor change marker and the notification outbox.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 12:00:00

`monitors.changes` grows by one in each transaction that changes what a monitor exports (a
run's outcome stored, a run with stored results taken over), so every `driftmon serve` on the
store reloads what another one stored; an index on runs finds each monitor's last finished run.
`notification_outbox` holds the alert transitions not yet delivered: an entry is stored with
its event and deleted once every webhook had it, so a process killed before delivering loses
no notification (the process holding the notifier lease sends it).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _big_id() -> sa.types.TypeEngine[int]:
    return sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    # A plain ADD COLUMN on both databases (no table copy: monitors is referenced by every table).
    op.add_column("monitors", sa.Column("changes", _big_id(), nullable=False, server_default="0"))
    op.create_index(op.f("ix_runs_monitor_id_finished_at"), "runs", ["monitor_id", "finished_at"])
    op.create_table(
        "notification_outbox",
        sa.Column("id", _big_id(), nullable=False),
        sa.Column("event_id", _big_id(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["alert_events.id"],
            name=op.f("fk_notification_outbox_event_id_alert_events"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_outbox")),
        sa.UniqueConstraint("event_id", name=op.f("uq_notification_outbox_event_id")),
    )


def downgrade() -> None:
    op.drop_table("notification_outbox")
    op.drop_index(op.f("ix_runs_monitor_id_finished_at"), table_name="runs")
    # SQLite 3.35+ drops a column in place; a batch copy of monitors would cascade into every table.
    op.execute("ALTER TABLE monitors DROP COLUMN changes")
