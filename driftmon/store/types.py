"""Column types and input checks shared by the models and the repository functions."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase

from driftmon.store.errors import NaiveDatetimeError, NameTooLongError, StoreInputError

# Explicit constraint names keep migrations reproducible across backends (Alembic can only
# drop or alter a constraint it can name).
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
MAX_NAME_LENGTH = 200
MAX_STATISTIC_LENGTH = 64

# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL gets 64-bit ids for the tables
# that grow with every window.
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
# JSONB on PostgreSQL so analysts can query counts and bins; JSON text elsewhere. Python None is
# SQL NULL (not the JSON value null), so `IS NULL` finds results without counts.
JSONDocument = sa.JSON(none_as_null=True).with_variant(
    postgresql.JSONB(none_as_null=True, astext_type=sa.Text()), "postgresql"
)


class Base(DeclarativeBase):
    """Declarative base of every driftmon table."""

    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """An aware UTC datetime on every backend; naive datetimes are refused.

    PostgreSQL stores timestamptz. SQLite has no zone: the value is stored as UTC text in one
    fixed format (so text order is time order) and comes back with tzinfo=UTC attached.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        utc = check_aware(value, "timestamp")
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def check_aware(value: datetime, what: str) -> datetime:
    """Return `value` converted to UTC, or raise NaiveDatetimeError naming `what`."""
    if not isinstance(value, datetime):
        raise StoreInputError(f"{what} must be a datetime, got {type(value).__name__} {value!r}")
    if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        raise NaiveDatetimeError(what, value)
    return value.astimezone(UTC)


def check_name(value: str, what: str, limit: int = MAX_NAME_LENGTH) -> str:
    """Return `value` if it is a non-empty string that fits its column, else raise a clear error."""
    if not isinstance(value, str):
        raise StoreInputError(f"{what} must be a string, got {type(value).__name__} {value!r}")
    if not value.strip():
        raise StoreInputError(f"{what} must not be empty")
    if len(value) > limit:
        raise NameTooLongError(what, value, limit)
    return value


def finite_or_none(value: Any) -> float | None:
    """Return a float for storage: NaN becomes NULL (infinities are kept; both backends hold them)."""
    if value is None:
        return None
    number = float(value)
    return None if math.isnan(number) else number
