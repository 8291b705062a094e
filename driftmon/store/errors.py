"""Errors raised by the store; each names what was wrong and where, and nothing is half-written."""

from __future__ import annotations

from driftmon.errors import DriftmonError


class StoreError(DriftmonError):
    """Base class of every store error."""


class StoreInputError(StoreError, ValueError):
    """A caller passed a value the store refuses; nothing was written."""


class NaiveDatetimeError(StoreInputError):
    """A timestamp without a timezone: the store only accepts aware datetimes (stored as UTC)."""

    def __init__(self, what: str, value: object) -> None:
        super().__init__(
            f"{what} must be a timezone-aware datetime (e.g. datetime.now(UTC)), got the naive {value!r}; "
            "driftmon stores UTC and refuses to guess the zone of a naive timestamp"
        )


class NameTooLongError(StoreInputError):
    """A monitor, column or statistic name longer than its database column."""

    def __init__(self, what: str, value: str, limit: int) -> None:
        shown = value if len(value) <= 60 else value[:57] + "..."
        super().__init__(
            f"{what} {shown!r} is {len(value)} characters long; the store allows at most {limit}"
        )


class InvalidCountsError(StoreInputError):
    """Bin counts that do not fit their bin spec (length, sign, whole numbers)."""


class UnknownBaselineError(StoreInputError, LookupError):
    """A baseline version that is not stored for that monitor and column."""


class UnknownRunError(StoreError, LookupError):
    """A run id that is not stored."""


class UnknownResultError(StoreError, LookupError):
    """A column result that is not stored."""


class NoStoredCountsError(StoreError, LookupError):
    """A roll-up or re-score found no stored live counts to work from."""


class BaselineMismatchError(StoreError, ValueError):
    """Windows scored against different baseline versions cannot be summed into one histogram."""


class RunNotClaimedError(StoreError, RuntimeError):
    """finish_run was called by a worker that no longer holds the run's claim."""


class UnsupportedDatabaseError(StoreInputError):
    """A database URL the store cannot use (unparseable, unsupported backend, missing directory)."""


class MissingDirectoryError(UnsupportedDatabaseError):
    """A SQLite file whose directory does not exist (never created: a typo would go unnoticed)."""

    def __init__(self, path: str, directory: str, hint: str | None = None) -> None:
        self.path = path
        self.directory = directory
        fix = hint or "create it first, or point database.url (or --database-url) elsewhere"
        super().__init__(f"SQLite database {path!r}: directory {directory!r} does not exist; {fix}")

    def with_hint(self, hint: str) -> MissingDirectoryError:
        """Return the same error with another fix named."""
        return MissingDirectoryError(self.path, self.directory, hint)


class MigrationsNotFoundError(StoreError, RuntimeError):
    """The Alembic migrations directory is not where driftmon expects it."""


class DatabaseNotAtHeadError(StoreError, RuntimeError):
    """The database schema is not at the revision this driftmon needs."""

    def __init__(self, url: str, current: str | None, head: str, *, ahead: bool = False) -> None:
        if ahead:
            message = (
                f"database {url} is at revision {current!r}, which this driftmon does not know "
                f"(its newest is {head!r}): it was migrated by a newer driftmon; upgrade driftmon"
            )
        else:
            where = "has no driftmon tables" if current is None else f"is at revision {current!r}"
            message = (
                f"database {url} {where} but driftmon needs revision {head!r}: run "
                "`driftmon db upgrade` (with the same --database-url, -c FILE or DRIFTMON_DATABASE_URL)"
            )
        super().__init__(message)
