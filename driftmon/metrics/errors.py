"""Errors of the metrics snapshot: inputs that cannot become Prometheus samples."""

from __future__ import annotations

from driftmon.errors import DriftmonError


class MetricsInputError(DriftmonError, ValueError):
    """A value handed to the snapshot is malformed; the message names the monitor, column and field."""
