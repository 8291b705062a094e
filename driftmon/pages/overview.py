"""The overview (`/`): every monitor's last window and status, stale or failing monitors first."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from driftmon.config import MonitorConfig
from driftmon.pages.layout import attr, document, state_badge, table, when
from driftmon.pages.urls import column_path, monitor_path, run_path
from driftmon.rules import stale_after
from driftmon.store import DONE_STATUSES, RunRecord, current_alert_states, latest_runs

_SEVERITY_RANK = {"critical": 2, "warning": 1}


@dataclass(frozen=True)
class MonitorRow:
    monitor: MonitorConfig
    last_run: RunRecord | None
    last_done: RunRecord | None
    stale: bool
    alerting: dict[str, str] = field(default_factory=dict)  # column -> worst firing severity

    @property
    def failing(self) -> bool:
        return self.last_run is not None and self.last_run.status in ("failed", "partial")

    @property
    def rank(self) -> tuple[int, int, str]:
        trouble = 0 if (self.stale or self.failing) else 1
        worst = max((_SEVERITY_RANK.get(s, 0) for s in self.alerting.values()), default=0)
        return (trouble, -worst, self.monitor.name)


def load_overview(session: Session, monitors: Sequence[MonitorConfig], now: datetime) -> list[MonitorRow]:
    """Read each monitor's last run, last completed run and firing alerts; troubled monitors first."""
    names = [m.name for m in monitors]
    last = latest_runs(session, names)
    done = latest_runs(session, names, statuses=DONE_STATUSES)
    firing: dict[str, dict[str, str]] = {name: {} for name in names}
    for event in current_alert_states(session, names):
        if event.state == "firing":
            columns = firing[event.monitor]
            if _SEVERITY_RANK[event.severity] > _SEVERITY_RANK.get(columns.get(event.column, ""), 0):
                columns[event.column] = event.severity
    rows = []
    for m in monitors:
        finished = done.get(m.name)
        # As the DriftmonMonitorStale alert judges it: no window completed for two periods plus a timeout.
        stale = m.enabled and (finished is None or now - finished.window_end > stale_after(m, now))
        rows.append(MonitorRow(m, last.get(m.name), finished, stale, firing[m.name]))
    return sorted(rows, key=lambda r: r.rank)


def render_overview(rows: Sequence[MonitorRow]) -> str:
    """Return the overview's HTML."""
    body_rows = []
    for row in rows:
        m, run = row.monitor, row.last_run
        status = []
        if not m.enabled:
            status.append(state_badge("disabled"))
        if row.stale:
            status.append(state_badge("stale"))
        status.append(state_badge(run.status) if run is not None else state_badge(None))
        alerting = ", ".join(
            f'<a href="{attr(column_path(m.name, c))}">{attr(c)}</a> {state_badge(s)}'
            for c, s in sorted(row.alerting.items(), key=lambda cs: (-_SEVERITY_RANK[cs[1]], cs[0]))
        )
        body_rows.append(
            (
                f'<a href="{attr(monitor_path(m.name))}">{attr(m.name)}</a>'
                + (f'<div class="muted">{attr(m.description)}</div>' if m.description else ""),
                " ".join(status),
                f'<a href="{run_path(run.id)}">{when(run.window_end)}</a>'
                if run is not None
                else "no window yet",
                when(row.last_done.window_end) if row.last_done is not None else "—",
                alerting or '<span class="muted">none</span>',
                f"{len(m.columns)}",
            )
        )
    headers = [
        "Monitor",
        "Status",
        "Last window (end)",
        "Last completed window",
        "Columns alerting",
        "Columns",
    ]
    body = (
        "<h1>Monitors</h1>"
        '<p class="muted">Stale or failing monitors first, then by alert severity. '
        'JSON: <a href="/api/v1/monitors">/api/v1/monitors</a>; API: <a href="/docs">/docs</a>.</p>'
        + table(headers, body_rows, numeric=(5,))
    )
    return document("Monitors", body, [("Overview", None)])
