"""Drop latest_packs: the service reads latest_results with one plain query.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 09:00:00

latest_results (one readable row per series) is the only copy of the latest results from
here on. Downgrading recreates latest_packs and packs the stored latest_results rows into
it with revision 0003's own packing, so a driftmon at 0004 reads the same values.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from pathlib import Path

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_table("latest_packs")


def downgrade() -> None:
    path = Path(__file__).with_name("0003_latest_packs.py")
    spec = importlib.util.spec_from_file_location("driftmon_migration_0003", path)
    assert spec is not None, path
    assert spec.loader is not None, path
    packs = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(packs)
    packs.upgrade()  # creates the table and packs the latest_results rows already stored
