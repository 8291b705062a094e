"""One column's result for one window: the record a run makes, the store keeps and everything reads.

A run builds it (jobs.column_result), the store checks and writes it (finish_run) and reads it
back (latest_results, get_result, window_results, column_history), and the metrics snapshot,
the HTTP API, the pages and the CLI read it as it is. The ORM row and the API document are
built from it; nothing converts it into another record on the way.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from driftmon.core import STATISTICS, BinContribution, NullLevel, finite


@dataclass(frozen=True, slots=True)
class ResultRecord:
    """One column's result for one window: scores, their calibration, top bins, alert states.

    `scores` and `null_levels` hold the statistics that were computed (the configured ones);
    `p_value` is the primary statistic's. `alert_states` maps each alert rule's statistic to
    its severity label (ok, warning, critical) after this window: empty when the window was
    not evaluated. `id` and `run_id` are the store's (None before it is stored). The fields
    from `alert_states` on are read only by the queries that need them (get_result, get_run,
    window_results; column_history all but the bins and counts); `labels` and
    `reference_counts` come from the baseline.
    """

    monitor: str
    column: str
    window_start: datetime
    window_end: datetime
    status: str  # ok | insufficient_data | failed | type_changed (scored if compared by text)
    role: str = "feature"
    kind: str | None = None
    baseline_version: int | None = None
    n_reference: int | None = None
    n_live: int | None = None
    p_value: float | None = None
    scores: Mapping[str, float | None] = field(default_factory=dict)
    null_levels: Mapping[str, NullLevel] = field(default_factory=dict)
    error: str | None = None
    id: int | None = None
    run_id: int | None = None
    # Every read fills the fields above; latest_results leaves those below at their defaults.
    alert_states: Mapping[str, str] = field(default_factory=dict)
    top_bins: tuple[BinContribution, ...] = ()
    # How it was scored, and the live counts over the baseline's bins (None when not scored).
    live_counts: tuple[int, ...] | None = None
    alpha: float | None = None
    calibration_method: str | None = None
    primary_statistic: str | None = None
    labels: tuple[str, ...] | None = None
    reference_counts: tuple[int, ...] | None = None

    def statistics(self) -> dict[str, float | None]:
        """Return every statistic by name (None when not computed or not configured)."""
        return {name: self.scores.get(name) for name in STATISTICS}

    def null(self, statistic: str) -> NullLevel | None:
        """Return the statistic's no-drift calibration, or None when it was not computed."""
        return self.null_levels.get(statistic)

    def to_dict(self) -> dict[str, Any]:
        """Return the column as JSON-ready data (the `driftmon run --json` column schema)."""
        return {
            "column": self.column,
            "kind": self.kind,
            "role": self.role,
            "baseline_version": self.baseline_version,
            "n_reference": self.n_reference,
            "n_live": self.n_live,
            **{name: finite(value) for name, value in self.statistics().items()},
            "p_value": finite(self.p_value),
            "noise": {name: finite(level.quantile) for name, level in self.null_levels.items()},
            "p_values": {name: finite(level.p_value) for name, level in self.null_levels.items()},
            "status": self.status,
            "alerts": dict(self.alert_states),
            "top_bins": [b.to_dict() for b in self.top_bins],
            "error": self.error,
        }
