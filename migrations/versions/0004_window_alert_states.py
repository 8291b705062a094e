"""Window alert states: each column result keeps the severity its alert rules reached at that window.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 18:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Plain ALTER TABLE on both backends (SQLite has had DROP COLUMN since 3.35): a batch copy would
# drop and recreate column_results, and on SQLite dropping it cascades into latest_results.


def upgrade() -> None:
    op.add_column(
        "column_results",
        sa.Column(
            "alert_states",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
    )


def downgrade() -> None:
    op.drop_column("column_results", "alert_states")
