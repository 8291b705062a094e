"""Baselines: versioned, never overwritten, one active version per (monitor, column)."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime
from pathlib import PurePath
from typing import Any

import numpy as np
import numpy.typing as npt
import sqlalchemy as sa
from sqlalchemy.orm import Session

from driftmon.core import (
    BinSpec,
    BinSpecError,
    CategoricalBins,
    CountsError,
    Histogram,
    NumericBins,
    bin_spec_from_dict,
)
from driftmon.store.errors import InvalidCountsError, StoreError, StoreInputError, UnknownBaselineError
from driftmon.store.models import COLUMN_ROLES, Baseline, Monitor
from driftmon.store.monitors import lock_monitor, monitor_id
from driftmon.store.records import BaselineRecord, from_row
from driftmon.store.types import check_aware, check_name


def _encode(value: Any) -> Any:
    if isinstance(value, datetime):
        return check_aware(value, "a timestamp in the reference description").isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, PurePath):
        return str(value)
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"{type(value).__name__} {value!r} is not JSON-serialisable")


def json_document(value: Any, what: str) -> Any:
    """Return `value` as plain JSON data (datetimes become ISO 8601), or raise a clear error."""
    try:
        return json.loads(json.dumps(value, default=_encode, allow_nan=False))
    except (TypeError, ValueError) as exc:
        raise StoreInputError(f"{what} must be JSON data: {exc}") from None


def check_role(role: str, where: str) -> str:
    """Return `role` if it is feature, prediction or label, else raise naming `where`."""
    if role not in COLUMN_ROLES:
        raise StoreInputError(f"{where}: role must be one of {', '.join(COLUMN_ROLES)}, got {role!r}")
    return role


def _content_hash(spec: BinSpec, counts: npt.NDArray[np.int64]) -> str:
    payload = spec.to_json() + "|" + json.dumps(counts.tolist(), separators=(",", ":"))
    return hashlib.sha256(payload.encode()).hexdigest()


def _record(row: Baseline, monitor: str) -> BaselineRecord:
    where = f"baseline v{row.version} of monitor {monitor!r} column {row.column_name!r}"
    try:
        spec = bin_spec_from_dict(row.bin_spec)
        histogram = Histogram(spec, np.asarray(row.reference_counts, dtype=np.int64))
    except (BinSpecError, CountsError) as exc:
        raise StoreError(f"{where} is corrupt in the database: {exc}") from None
    if spec.fingerprint() != row.spec_hash:
        raise StoreError(f"{where} is corrupt in the database: its bin spec does not match its stored hash")
    return from_row(BaselineRecord, row, monitor=monitor, histogram=histogram)


def add_baseline(
    session: Session,
    monitor: str,
    column: str,
    spec: BinSpec,
    counts: npt.ArrayLike,
    *,
    reference: dict[str, Any],
    fitted_at: datetime,
    role: str = "feature",
    activate: bool = True,
    now: datetime | None = None,
) -> BaselineRecord:
    """Store a new baseline version (the next number) for the column, active unless told otherwise.

    `reference` describes where the counts came from (time range, query, file) as JSON data.
    Every input is checked before anything is written.
    """
    check_name(monitor, "monitor name")
    check_name(column, "column name")
    where = f"baseline for monitor {monitor!r} column {column!r}"
    if not isinstance(spec, NumericBins | CategoricalBins):
        raise StoreInputError(f"{where}: spec must be a NumericBins or CategoricalBins, got {spec!r}")
    try:
        histogram = Histogram(spec, np.asarray(counts))
    except CountsError as exc:
        raise InvalidCountsError(f"{where}: {exc}") from None
    if histogram.n == 0:
        raise InvalidCountsError(f"{where}: the reference counts are all zero; fit on data that has rows")
    check_role(role, where)
    fitted = check_aware(fitted_at, "fitted_at")
    created = check_aware(now, "now") if now is not None else datetime.now(UTC)
    document = json_document(reference, f"{where}: the reference description")
    if not isinstance(document, dict):
        raise StoreInputError(f"{where}: the reference description must be a JSON object (a dict)")

    mid = lock_monitor(session, monitor, now=created)  # concurrent writers number versions in turn
    latest = session.execute(
        sa.select(sa.func.max(Baseline.version)).where(
            Baseline.monitor_id == mid, Baseline.column_name == column
        )
    ).scalar_one()
    if activate:
        # Deactivate first: the partial unique index allows one active version at a time.
        session.execute(
            sa.update(Baseline)
            .where(Baseline.monitor_id == mid, Baseline.column_name == column, Baseline.active)
            .values(active=False)
        )
    row = Baseline(
        monitor_id=mid,
        column_name=column,
        version=(latest or 0) + 1,
        kind=spec.kind,
        role=role,
        bin_spec=spec.to_dict(),
        n_bins=spec.n_bins,
        reference_counts=histogram.counts.tolist(),
        n=histogram.n,
        reference=document,
        fitted_at=fitted,
        created_at=created,
        spec_hash=spec.fingerprint(),
        content_hash=_content_hash(spec, histogram.counts),
        active=activate,
    )
    session.add(row)
    session.flush()
    return _record(row, monitor)


def _select(monitor: str, column: str | None = None) -> sa.Select[Baseline]:
    query = (
        sa.select(Baseline).join(Monitor, Monitor.id == Baseline.monitor_id).where(Monitor.name == monitor)
    )
    return query if column is None else query.where(Baseline.column_name == column)


def active_baseline(session: Session, monitor: str, column: str) -> BaselineRecord | None:
    """Return the column's active baseline, or None when none is stored yet."""
    row = session.execute(_select(monitor, column).where(Baseline.active)).scalar_one_or_none()
    return None if row is None else _record(row, monitor)


def get_baseline(session: Session, monitor: str, column: str, version: int) -> BaselineRecord:
    """Return one baseline version, or raise UnknownBaselineError naming the versions stored."""
    row = session.execute(_select(monitor, column).where(Baseline.version == version)).scalar_one_or_none()
    if row is None:
        raise unknown_baseline(session, monitor, column, version)
    return _record(row, monitor)


def unknown_baseline(session: Session, monitor: str, column: str, version: object) -> UnknownBaselineError:
    """Build the error for a missing baseline version, listing the versions that do exist."""
    query = _select(monitor, column).with_only_columns(Baseline.version).order_by(Baseline.version)
    versions = session.execute(query).scalars()
    known = ", ".join(str(v) for v in versions) or "none"
    return UnknownBaselineError(
        f"monitor {monitor!r} column {column!r} has no baseline version {version!r} "
        f"(stored versions: {known})"
    )


def list_baselines(session: Session, monitor: str, column: str | None = None) -> list[BaselineRecord]:
    """Return every stored version for the monitor (or one column), by column then version."""
    rows = session.execute(_select(monitor, column).order_by(Baseline.column_name, Baseline.version))
    return [_record(row, monitor) for row in rows.scalars()]


def activate_baseline(session: Session, monitor: str, column: str, version: int) -> BaselineRecord:
    """Make `version` the column's active baseline (roll back to an older fit, or forward again)."""
    target = get_baseline(session, monitor, column, version)
    mid = monitor_id(session, monitor)
    session.execute(
        sa.update(Baseline)
        .where(Baseline.monitor_id == mid, Baseline.column_name == column, Baseline.active)
        .where(Baseline.id != target.id)
        .values(active=False)
    )
    session.execute(sa.update(Baseline).where(Baseline.id == target.id).values(active=True))
    return get_baseline(session, monitor, column, version)
