"""Initial schema: monitors, baselines, runs, column results, latest results, alert events.

Revision ID: 0001
Revises:
Create Date: 2026-11-21 13:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Spelled out here rather than imported from driftmon.store, so that this revision keeps
# creating the same schema whatever later code does.
STATISTICS = ("kl_live_ref", "kl_ref_live", "js_divergence", "js_distance", "psi", "hellinger")


def _ts() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def _json() -> sa.types.TypeEngine[object]:
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def _big_id() -> sa.types.TypeEngine[int]:
    return sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _fk(column: str, target: str, table: str, ondelete: str) -> sa.ForeignKeyConstraint:
    referred = target.split(".")[0]
    return sa.ForeignKeyConstraint(
        [column], [target], name=op.f(f"fk_{table}_{column}_{referred}"), ondelete=ondelete
    )


def _score_columns() -> list[sa.Column[object]]:
    # The summary columns a column result shares with its copy in latest_results.
    return [
        sa.Column("kind", sa.String(length=16), nullable=True),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("n_reference", sa.BigInteger(), nullable=True),
        sa.Column("n_live", sa.BigInteger(), nullable=True),
        sa.Column("p_value", sa.Double(), nullable=True),
        *(sa.Column(name, sa.Double(), nullable=True) for name in STATISTICS),
        *(sa.Column(f"{name}_p_value", sa.Double(), nullable=True) for name in STATISTICS),
        *(sa.Column(f"{name}_null_quantile", sa.Double(), nullable=True) for name in STATISTICS),
        *(sa.Column(f"{name}_null_expected", sa.Double(), nullable=True) for name in STATISTICS),
    ]


def _result_checks(table: str) -> list[sa.CheckConstraint]:
    return [
        sa.CheckConstraint("role IN ('feature', 'prediction', 'label')", name=op.f(f"ck_{table}_role")),
        sa.CheckConstraint(
            "status IN ('ok', 'insufficient_data', 'failed')", name=op.f(f"ck_{table}_status")
        ),
    ]


def upgrade() -> None:
    op.create_table(
        "monitors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("config_hash", sa.String(length=64), nullable=True),
        sa.Column("created_at", _ts(), nullable=False),
        sa.Column("updated_at", _ts(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_monitors")),
        sa.UniqueConstraint("name", name=op.f("uq_monitors_name")),
    )
    op.create_table(
        "baselines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("monitor_id", sa.Integer(), nullable=False),
        sa.Column("column_name", sa.String(length=200), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("bin_spec", _json(), nullable=False),
        sa.Column("n_bins", sa.Integer(), nullable=False),
        sa.Column("reference_counts", _json(), nullable=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sa.Column("reference", _json(), nullable=False),
        sa.Column("fitted_at", _ts(), nullable=False),
        sa.Column("created_at", _ts(), nullable=False),
        sa.Column("spec_hash", sa.String(length=64), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.CheckConstraint("kind IN ('numeric', 'categorical')", name=op.f("ck_baselines_kind")),
        sa.CheckConstraint("role IN ('feature', 'prediction', 'label')", name=op.f("ck_baselines_role")),
        sa.CheckConstraint("version >= 1", name=op.f("ck_baselines_version")),
        _fk("monitor_id", "monitors.id", "baselines", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_baselines")),
        sa.UniqueConstraint(
            "monitor_id", "column_name", "version", name=op.f("uq_baselines_monitor_id_column_name_version")
        ),
    )
    op.create_index(
        "ix_baselines_one_active",
        "baselines",
        ["monitor_id", "column_name"],
        unique=True,
        sqlite_where=sa.text("active"),
        postgresql_where=sa.text("active"),
    )
    op.create_table(
        "runs",
        sa.Column("id", _big_id(), nullable=False),
        sa.Column("monitor_id", sa.Integer(), nullable=False),
        sa.Column("window_start", _ts(), nullable=False),
        sa.Column("window_end", _ts(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("started_at", _ts(), nullable=False),
        sa.Column("finished_at", _ts(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("rows_read", sa.BigInteger(), nullable=True),
        sa.CheckConstraint(
            "status IN ('running', 'succeeded', 'failed', 'insufficient_data', 'partial')",
            name=op.f("ck_runs_status"),
        ),
        sa.CheckConstraint("window_end > window_start", name=op.f("ck_runs_window")),
        _fk("monitor_id", "monitors.id", "runs", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_runs")),
        sa.UniqueConstraint(
            "monitor_id",
            "window_start",
            "window_end",
            name=op.f("uq_runs_monitor_id_window_start_window_end"),
        ),
    )
    op.create_index(op.f("ix_runs_monitor_id_window_end"), "runs", ["monitor_id", "window_end"])
    op.create_table(
        "alert_events",
        sa.Column("id", _big_id(), nullable=False),
        sa.Column("monitor_id", sa.Integer(), nullable=False),
        sa.Column("column_name", sa.String(length=200), nullable=False),
        sa.Column("statistic", sa.String(length=64), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("at", _ts(), nullable=False),
        sa.Column("window_start", _ts(), nullable=True),
        sa.Column("window_end", _ts(), nullable=True),
        sa.Column("run_id", _big_id(), nullable=True),
        sa.Column("value", sa.Double(), nullable=True),
        sa.Column("threshold", sa.Double(), nullable=True),
        sa.Column("p_value", sa.Double(), nullable=True),
        sa.Column("details", _json(), nullable=True),
        sa.CheckConstraint("severity IN ('warning', 'critical')", name=op.f("ck_alert_events_severity")),
        sa.CheckConstraint("state IN ('firing', 'resolved')", name=op.f("ck_alert_events_state")),
        _fk("monitor_id", "monitors.id", "alert_events", "CASCADE"),
        _fk("run_id", "runs.id", "alert_events", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_events")),
    )
    op.create_index(op.f("ix_alert_events_at"), "alert_events", ["at"])
    op.create_index(
        op.f("ix_alert_events_monitor_id_column_name_statistic_at"),
        "alert_events",
        ["monitor_id", "column_name", "statistic", "at"],
    )
    op.create_index(op.f("ix_alert_events_run_id"), "alert_events", ["run_id"])
    op.create_table(
        "column_results",
        sa.Column("id", _big_id(), nullable=False),
        sa.Column("run_id", _big_id(), nullable=False),
        sa.Column("column_name", sa.String(length=200), nullable=False),
        sa.Column("baseline_id", sa.Integer(), nullable=True),
        sa.Column("live_counts", _json(), nullable=True),
        sa.Column("alpha", sa.Double(), nullable=True),
        sa.Column("calibration_method", sa.String(length=16), nullable=True),
        sa.Column("primary_statistic", sa.String(length=64), nullable=True),
        sa.Column("top_bins", _json(), nullable=True),
        *_score_columns(),
        *_result_checks("column_results"),
        _fk("baseline_id", "baselines.id", "column_results", "RESTRICT"),
        _fk("run_id", "runs.id", "column_results", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_column_results")),
        sa.UniqueConstraint("run_id", "column_name", name=op.f("uq_column_results_run_id_column_name")),
    )
    op.create_table(
        "latest_results",
        sa.Column("monitor_id", sa.Integer(), nullable=False),
        sa.Column("column_name", sa.String(length=200), nullable=False),
        sa.Column("result_id", _big_id(), nullable=False),
        sa.Column("run_id", _big_id(), nullable=False),
        sa.Column("window_start", _ts(), nullable=False),
        sa.Column("window_end", _ts(), nullable=False),
        sa.Column("baseline_version", sa.Integer(), nullable=True),
        *_score_columns(),
        *_result_checks("latest_results"),
        _fk("monitor_id", "monitors.id", "latest_results", "CASCADE"),
        _fk("result_id", "column_results.id", "latest_results", "CASCADE"),
        sa.PrimaryKeyConstraint("monitor_id", "column_name", name=op.f("pk_latest_results")),
    )
    op.create_index(op.f("ix_latest_results_result_id"), "latest_results", ["result_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_latest_results_result_id"), table_name="latest_results")
    op.drop_table("latest_results")
    op.drop_table("column_results")
    op.drop_index(op.f("ix_alert_events_run_id"), table_name="alert_events")
    op.drop_index(op.f("ix_alert_events_monitor_id_column_name_statistic_at"), table_name="alert_events")
    op.drop_index(op.f("ix_alert_events_at"), table_name="alert_events")
    op.drop_table("alert_events")
    op.drop_index(op.f("ix_runs_monitor_id_window_end"), table_name="runs")
    op.drop_table("runs")
    op.drop_index("ix_baselines_one_active", table_name="baselines")
    op.drop_table("baselines")
    op.drop_table("monitors")
