"""Why a page cannot be shown: what was asked for does not exist, or the address is malformed."""

from __future__ import annotations

from driftmon.errors import DriftmonError


class PageNotFoundError(DriftmonError, LookupError):
    """No such monitor, column, window or run; the message names what was asked for."""


class BadPageRequestError(DriftmonError, ValueError):
    """A query parameter that cannot be read; the message names it and its value."""
