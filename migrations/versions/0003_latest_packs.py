"""Latest packs: latest_results of each monitor packed into one row, for the service's bulk read.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21 17:00:00

The packs of a store that already holds results are written here from its latest_results rows,
in format 1, with the table shapes and the packing spelled out (not imported from
driftmon.store) so this revision keeps doing the same whatever later code does.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATISTICS = ("kl_live_ref", "kl_ref_live", "js_divergence", "js_distance", "psi", "hellinger")
SCORES = (
    "p_value",
    *STATISTICS,
    *(f"{s}_p_value" for s in STATISTICS),
    *(f"{s}_null_quantile" for s in STATISTICS),
    *(f"{s}_null_expected" for s in STATISTICS),
)
NULLABLE_INTEGERS = ("baseline_version", "n_reference", "n_live")
NULL_INT = -(2**63)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def upgrade() -> None:
    op.create_table(
        "latest_packs",
        sa.Column("monitor_id", sa.Integer(), nullable=False),
        sa.Column("format", sa.SmallInteger(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("numbers", sa.LargeBinary(), nullable=False),
        sa.Column("scores", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["monitor_id"],
            ["monitors.id"],
            name=op.f("fk_latest_packs_monitor_id_monitors"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("monitor_id", name=op.f("pk_latest_packs")),
    )
    _pack_existing()


def downgrade() -> None:
    op.drop_table("latest_packs")


def _pack_existing() -> None:
    import numpy as np

    bind = op.get_bind()
    latest = sa.table(
        "latest_results",
        *(
            sa.column(name)
            for name in (
                "monitor_id",
                "column_name",
                "result_id",
                "run_id",
                "baseline_version",
                "kind",
                "role",
                "status",
                "error",
                "n_reference",
                "n_live",
                "window_start",
                "window_end",
                *SCORES,
            )
        ),
    )
    packs = sa.table(
        "latest_packs",
        sa.column("monitor_id"),
        sa.column("format"),
        sa.column("text"),
        sa.column("numbers", sa.LargeBinary()),
        sa.column("scores", sa.LargeBinary()),
    )
    rows = bind.execute(sa.select(latest).order_by(latest.c.monitor_id, latest.c.column_name)).mappings()
    by_monitor: dict[int, list[Any]] = {}
    for row in rows:
        by_monitor.setdefault(row["monitor_id"], []).append(row)
    for monitor_id, group in by_monitor.items():
        text = {
            "column": [r["column_name"] for r in group],
            "status": [r["status"] for r in group],
            "kind": [r["kind"] for r in group],
            "role": [r["role"] for r in group],
            "error": [r["error"] for r in group],
        }
        numbers = [
            [
                r["result_id"],
                r["run_id"],
                _micros(r["window_start"]),
                _micros(r["window_end"]),
                *(
                    NULL_INT if r[name] is None else r[name]
                    for name in ("baseline_version", "n_reference", "n_live")
                ),
            ]
            for r in group
        ]
        scores = [[math.nan if r[name] is None else r[name] for name in SCORES] for r in group]
        bind.execute(
            sa.insert(packs).values(
                monitor_id=monitor_id,
                format=1,
                text=json.dumps(text, separators=(",", ":")),
                numbers=np.array(numbers, dtype="<i8").tobytes(),
                scores=np.array(scores, dtype="<f8").tobytes(),
            )
        )


def _micros(moment: Any) -> int:
    # SQLite returns the stored UTC text (naive); PostgreSQL an aware datetime.
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment - EPOCH) // timedelta(microseconds=1)
