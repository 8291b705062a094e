"""The driftmon tables as SQLAlchemy 2 typed models. Alembic's initial revision mirrors this file."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from driftmon.store.types import (
    MAX_NAME_LENGTH,
    MAX_STATISTIC_LENGTH,
    Base,
    BigId,
    JSONDocument,
    UTCDateTime,
)

BASELINE_KINDS = ("numeric", "categorical")
COLUMN_ROLES = ("feature", "prediction", "label")
RUN_STATUSES = ("running", "succeeded", "failed", "insufficient_data", "partial")
# type_changed: a categorical column whose live values changed type (scored if compared by text).
RESULT_STATUSES = ("ok", "insufficient_data", "failed", "type_changed")
ALERT_SEVERITIES = ("warning", "critical")
ALERT_STATES = ("firing", "resolved")


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Monitor(Base):
    __tablename__ = "monitors"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(MAX_NAME_LENGTH), unique=True)
    config_hash: Mapped[str | None] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # The change marker: +1 in the transaction that stores a run's outcome or takes over a run
    # that had stored results, so other processes see which monitors to reload with one query.
    changes: Mapped[int] = mapped_column(BigId, default=0, server_default="0")


class Baseline(Base):
    """A frozen bin spec and reference counts; versions are kept, one is active per column."""

    __tablename__ = "baselines"

    id: Mapped[int] = mapped_column(primary_key=True)
    monitor_id: Mapped[int] = mapped_column(sa.ForeignKey("monitors.id", ondelete="CASCADE"))
    column_name: Mapped[str] = mapped_column(sa.String(MAX_NAME_LENGTH))
    version: Mapped[int] = mapped_column(sa.Integer())
    kind: Mapped[str] = mapped_column(sa.String(16))
    role: Mapped[str] = mapped_column(sa.String(16))
    bin_spec: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    n_bins: Mapped[int] = mapped_column(sa.Integer())
    reference_counts: Mapped[list[int]] = mapped_column(JSONDocument)
    n: Mapped[int] = mapped_column(sa.BigInteger())
    reference: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    fitted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    spec_hash: Mapped[str] = mapped_column(sa.String(64))
    content_hash: Mapped[str] = mapped_column(sa.String(64))
    active: Mapped[bool] = mapped_column(sa.Boolean())

    __table_args__ = (
        sa.UniqueConstraint("monitor_id", "column_name", "version"),
        sa.CheckConstraint(_one_of("kind", BASELINE_KINDS), name="kind"),
        sa.CheckConstraint(_one_of("role", COLUMN_ROLES), name="role"),
        sa.CheckConstraint("version >= 1", name="version"),
        # At most one active version per (monitor, column), enforced by the database.
        sa.Index(
            "ix_baselines_one_active",
            "monitor_id",
            "column_name",
            unique=True,
            sqlite_where=sa.text("active"),
            postgresql_where=sa.text("active"),
        ),
    )


class Run(Base):
    """One window of one monitor; the unique key makes a window computed at most once."""

    __tablename__ = "runs"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    monitor_id: Mapped[int] = mapped_column(sa.ForeignKey("monitors.id", ondelete="CASCADE"))
    window_start: Mapped[datetime] = mapped_column(UTCDateTime())
    window_end: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(sa.String(20))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(sa.Integer())
    error: Mapped[str | None] = mapped_column(sa.Text())
    rows_read: Mapped[int | None] = mapped_column(sa.BigInteger())

    __table_args__ = (
        sa.UniqueConstraint("monitor_id", "window_start", "window_end"),
        sa.CheckConstraint("window_end > window_start", name="window"),
        sa.CheckConstraint(_one_of("status", RUN_STATUSES), name="status"),
        sa.Index(None, "monitor_id", "window_end"),
        sa.Index(None, "monitor_id", "finished_at"),
    )


class _Scores:
    """Columns shared by a column result and its copy in latest_results: what a summary shows."""

    kind: Mapped[str | None] = mapped_column(sa.String(16))
    role: Mapped[str] = mapped_column(sa.String(16))
    status: Mapped[str] = mapped_column(sa.String(20))
    error: Mapped[str | None] = mapped_column(sa.Text())
    n_reference: Mapped[int | None] = mapped_column(sa.BigInteger())
    n_live: Mapped[int | None] = mapped_column(sa.BigInteger())
    p_value: Mapped[float | None] = mapped_column(sa.Double())
    kl_live_ref: Mapped[float | None] = mapped_column(sa.Double())
    kl_ref_live: Mapped[float | None] = mapped_column(sa.Double())
    js_divergence: Mapped[float | None] = mapped_column(sa.Double())
    js_distance: Mapped[float | None] = mapped_column(sa.Double())
    psi: Mapped[float | None] = mapped_column(sa.Double())
    hellinger: Mapped[float | None] = mapped_column(sa.Double())
    # Each statistic's p-value and no-drift level (quantile, expected) as plain columns, not JSON,
    # so Grafana can query them and the start-up snapshot reads them without parsing documents.
    kl_live_ref_p_value: Mapped[float | None] = mapped_column(sa.Double())
    kl_ref_live_p_value: Mapped[float | None] = mapped_column(sa.Double())
    js_divergence_p_value: Mapped[float | None] = mapped_column(sa.Double())
    js_distance_p_value: Mapped[float | None] = mapped_column(sa.Double())
    psi_p_value: Mapped[float | None] = mapped_column(sa.Double())
    hellinger_p_value: Mapped[float | None] = mapped_column(sa.Double())
    kl_live_ref_null_quantile: Mapped[float | None] = mapped_column(sa.Double())
    kl_ref_live_null_quantile: Mapped[float | None] = mapped_column(sa.Double())
    js_divergence_null_quantile: Mapped[float | None] = mapped_column(sa.Double())
    js_distance_null_quantile: Mapped[float | None] = mapped_column(sa.Double())
    psi_null_quantile: Mapped[float | None] = mapped_column(sa.Double())
    hellinger_null_quantile: Mapped[float | None] = mapped_column(sa.Double())
    kl_live_ref_null_expected: Mapped[float | None] = mapped_column(sa.Double())
    kl_ref_live_null_expected: Mapped[float | None] = mapped_column(sa.Double())
    js_divergence_null_expected: Mapped[float | None] = mapped_column(sa.Double())
    js_distance_null_expected: Mapped[float | None] = mapped_column(sa.Double())
    psi_null_expected: Mapped[float | None] = mapped_column(sa.Double())
    hellinger_null_expected: Mapped[float | None] = mapped_column(sa.Double())


class ColumnResult(_Scores, Base):
    """One column's scores for one run, with the live counts that produced them."""

    __tablename__ = "column_results"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    run_id: Mapped[int] = mapped_column(sa.ForeignKey("runs.id", ondelete="CASCADE"))
    column_name: Mapped[str] = mapped_column(sa.String(MAX_NAME_LENGTH))
    baseline_id: Mapped[int | None] = mapped_column(sa.ForeignKey("baselines.id", ondelete="RESTRICT"))
    live_counts: Mapped[list[int] | None] = mapped_column(JSONDocument)
    alpha: Mapped[float | None] = mapped_column(sa.Double())
    calibration_method: Mapped[str | None] = mapped_column(sa.String(16))
    primary_statistic: Mapped[str | None] = mapped_column(sa.String(MAX_STATISTIC_LENGTH))
    top_bins: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONDocument)
    # The alert severity of each rule after this window was evaluated ({"js_divergence": "warning"});
    # NULL for a window that was stored but not evaluated (older than the last evaluated one).
    alert_states: Mapped[dict[str, str] | None] = mapped_column(JSONDocument)

    __table_args__ = (
        sa.UniqueConstraint("run_id", "column_name"),
        sa.CheckConstraint(_one_of("status", RESULT_STATUSES), name="status"),
        sa.CheckConstraint(_one_of("role", COLUMN_ROLES), name="role"),
    )


class LatestResult(_Scores, Base):
    """The newest window's scores per (monitor, column), kept by finish_run.

    A copy of the summary columns of one column result (its window and baseline version
    included), so reading 50,000 series is one scan of this table, whatever the history's
    length, and a Grafana "current drift" panel is a plain SELECT.
    """

    __tablename__ = "latest_results"

    monitor_id: Mapped[int] = mapped_column(
        sa.ForeignKey("monitors.id", ondelete="CASCADE"), primary_key=True
    )
    column_name: Mapped[str] = mapped_column(sa.String(MAX_NAME_LENGTH), primary_key=True)
    result_id: Mapped[int] = mapped_column(BigId, sa.ForeignKey("column_results.id", ondelete="CASCADE"))
    run_id: Mapped[int] = mapped_column(BigId)
    window_start: Mapped[datetime] = mapped_column(UTCDateTime())
    window_end: Mapped[datetime] = mapped_column(UTCDateTime())
    baseline_version: Mapped[int | None] = mapped_column(sa.Integer())

    __table_args__ = (
        sa.CheckConstraint(_one_of("status", RESULT_STATUSES), name="status"),
        sa.CheckConstraint(_one_of("role", COLUMN_ROLES), name="role"),
        sa.Index(None, "result_id"),
    )


class AlertEvent(Base):
    """An alert state transition (firing or resolved) and the values that caused it."""

    __tablename__ = "alert_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    monitor_id: Mapped[int] = mapped_column(sa.ForeignKey("monitors.id", ondelete="CASCADE"))
    column_name: Mapped[str] = mapped_column(sa.String(MAX_NAME_LENGTH))
    statistic: Mapped[str] = mapped_column(sa.String(MAX_STATISTIC_LENGTH))
    severity: Mapped[str] = mapped_column(sa.String(16))
    state: Mapped[str] = mapped_column(sa.String(16))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    window_start: Mapped[datetime | None] = mapped_column(UTCDateTime())
    window_end: Mapped[datetime | None] = mapped_column(UTCDateTime())
    run_id: Mapped[int | None] = mapped_column(BigId, sa.ForeignKey("runs.id", ondelete="SET NULL"))
    value: Mapped[float | None] = mapped_column(sa.Double())
    threshold: Mapped[float | None] = mapped_column(sa.Double())
    p_value: Mapped[float | None] = mapped_column(sa.Double())
    details: Mapped[dict[str, Any] | None] = mapped_column(JSONDocument)

    __table_args__ = (
        sa.CheckConstraint(_one_of("severity", ALERT_SEVERITIES), name="severity"),
        sa.CheckConstraint(_one_of("state", ALERT_STATES), name="state"),
        sa.Index(None, "monitor_id", "column_name", "statistic", "at"),
        sa.Index(None, "at"),
        sa.Index(None, "run_id"),
    )


class OutboxEntry(Base):
    """An alert transition not yet delivered to the webhooks (stored with the event, deleted once sent)."""

    __tablename__ = "notification_outbox"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    event_id: Mapped[int] = mapped_column(
        BigId, sa.ForeignKey("alert_events.id", ondelete="CASCADE"), unique=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
