"""The monitor page: one row per column with its latest scores, levels, sparkline and alert state."""

from __future__ import annotations

import math
from dataclasses import dataclass

from sqlalchemy.orm import Session

from driftmon.config import ColumnSettings, MonitorConfig
from driftmon.core import finite
from driftmon.pages.errors import BadPageRequestError
from driftmon.pages.layout import attr, document, number, pvalue, state_badge, table, when
from driftmon.pages.load import column_rule
from driftmon.pages.svg import sparkline
from driftmon.pages.urls import column_path, monitor_path, run_path
from driftmon.results import ResultRecord
from driftmon.store import (
    BaselineRecord,
    RunRecord,
    column_history,
    current_alert_states,
    list_baselines,
    run_history,
)

SPARKLINE_WINDOWS = 48
SORT_KEYS = ("column", "kind", "role", "state", "value")
_STATE_RANK = {"critical": 2, "warning": 1}


@dataclass(frozen=True)
class ColumnRow:
    settings: ColumnSettings
    latest: ResultRecord | None
    history: dict[str, list[float | None]]  # statistic -> values, oldest first
    firing: dict[str, str]  # statistic -> severity

    @property
    def kind(self) -> str:
        return (self.latest.kind if self.latest is not None else None) or self.settings.kind or "—"

    @property
    def worst(self) -> int:
        return max((_STATE_RANK.get(s, 0) for s in self.firing.values()), default=0)

    def value(self, statistic: str) -> float | None:
        return finite(self.latest.scores.get(statistic)) if self.latest is not None else None


@dataclass(frozen=True)
class MonitorPage:
    monitor: MonitorConfig
    last_run: RunRecord | None
    columns: list[ColumnRow]
    baselines: list[BaselineRecord]


def _sort_key(sort: str, row: ColumnRow) -> tuple[float | str, ...]:
    if sort == "kind":
        return (row.kind, row.settings.name)
    if sort == "role":
        return (row.settings.role, row.settings.name)
    if sort == "state":
        return (-row.worst, row.settings.name)
    if sort == "value":
        stat = next(iter(row.settings.alerts), "js_divergence")
        value = row.value(stat)
        return (-(value if value is not None else -math.inf), row.settings.name)
    return (row.settings.name,)


def load_monitor_page(session: Session, monitor: MonitorConfig, sort: str, descending: bool) -> MonitorPage:
    """Read every column's latest result, recent history and alert state, sorted by `sort`."""
    if sort not in SORT_KEYS:
        raise BadPageRequestError(f"sort={sort!r}: sort by one of {', '.join(SORT_KEYS)}")
    runs = run_history(session, monitor.name, limit=SPARKLINE_WINDOWS)
    ordered = sorted(runs, key=lambda r: r.window_end)
    firing: dict[str, dict[str, str]] = {}
    for event in current_alert_states(session, [monitor.name]):
        if event.state == "firing":
            firing.setdefault(event.column, {})[event.statistic] = event.severity
    rows = []
    for settings in monitor.all_column_settings():
        found = {}
        if ordered:
            start, end = ordered[0].window_start, ordered[-1].window_end
            entries = column_history(session, monitor.name, settings.name, start, end)
            found = {(e.window_start, e.window_end): e for e in entries}
        mine = [found.get((r.window_start, r.window_end)) for r in ordered]
        stored = [r for r in mine if r is not None]
        history = {
            stat: [r.scores.get(stat) if r is not None else None for r in mine] for stat in settings.alerts
        }
        rows.append(
            ColumnRow(settings, stored[-1] if stored else None, history, firing.get(settings.name, {}))
        )
    rows.sort(key=lambda row: _sort_key(sort, row), reverse=descending)
    return MonitorPage(monitor, runs[0] if runs else None, rows, list_baselines(session, monitor.name))


def _header(name: str, key: str, label: str, sort: str, descending: bool) -> str:
    flip = key == sort and not descending
    href = f"{monitor_path(name)}?sort={key}" + ("&amp;desc=1" if flip else "")
    mark = (" ▼" if descending else " ▲") if key == sort else ""
    return f'<a href="{href}" aria-label="sort by {label}">{label}</a>{mark}'


def _scores(row: ColumnRow) -> str:
    if not row.settings.alerts:
        return '<span class="muted">no alert rule</span>'
    parts = []
    for stat in row.settings.alerts:
        rule = column_rule(row.settings, stat)
        latest = row.latest
        level = latest.null(stat) if latest is not None else None
        levels = rule.levels(level.quantile if level is not None else math.nan) if rule is not None else None
        p = level.p_value if level is not None else None
        parts.append(
            f"<div><code>{attr(stat)}</code> <strong>{number(row.value(stat))}</strong> "
            f'<span class="muted">warning {number(levels.warning if levels else None)}, '
            f"critical {number(levels.critical if levels else None)}, p = {pvalue(p)}</span></div>"
        )
    return "".join(parts)


def render_monitor(page: MonitorPage, sort: str, descending: bool) -> str:
    """Return the monitor page's HTML."""
    m = page.monitor
    headers = [
        _header(m.name, "column", "Column", sort, descending),
        _header(m.name, "kind", "Kind", sort, descending),
        _header(m.name, "role", "Role", sort, descending),
        _header(m.name, "value", "Latest value, levels, p-value", sort, descending),
        f"History (last {SPARKLINE_WINDOWS})",
        _header(m.name, "state", "Alert state", sort, descending),
        "Latest window",
    ]
    rows = []
    for row in page.columns:
        name = row.settings.name
        stat = next(iter(row.settings.alerts), "js_divergence")
        spark = sparkline(row.history.get(stat, []))
        states = " ".join(
            f"{state_badge(s)} <code>{attr(k)}</code>" for k, s in sorted(row.firing.items())
        ) or state_badge("ok")
        latest = row.latest
        rows.append(
            (
                f'<a href="{attr(column_path(m.name, name))}">{attr(name)}</a>',
                attr(row.kind),
                attr(row.settings.role),
                _scores(row),
                spark or '<span class="muted">—</span>',
                states,
                (f"{when(latest.window_end)} {state_badge(latest.status)}" if latest else "no result yet"),
            )
        )
    run = page.last_run
    last = (
        f'Last window: <a href="{run_path(run.id)}">{when(run.window_start)} → {when(run.window_end)}</a> '
        f"{state_badge(run.status)}"
        if run is not None
        else "No window stored yet."
    )
    facts = (
        f'<dl class="facts"><dt>Source</dt><dd>{attr(m.source_description)}</dd>'
        f"<dt>Window</dt><dd>{attr(m.window.label)}</dd>"
        f"<dt>Statistics</dt><dd>{attr(', '.join(m.statistics))}</dd></dl>"
    )
    baselines = table(
        ["Column", "Version", "Kind", "Bins", "Reference values", "Fitted", "Active"],
        (
            (
                attr(b.column),
                f"v{b.version}",
                attr(b.kind),
                f"{b.spec.n_bins}",
                f"{b.n:,}",
                when(b.fitted_at),
                "active" if b.active else '<span class="muted">kept</span>',
            )
            for b in page.baselines
        ),
        numeric=(3, 4),
    )
    body = (
        f"<h1>{attr(m.name)}</h1>"
        + (f"<p>{attr(m.description)}</p>" if m.description else "")
        + f"<p>{last}</p>{facts}<h2>Columns</h2>"
        + table(headers, rows)
        + "<h2>Baselines</h2>"
        + baselines
    )
    return document(m.name, body, [("Overview", "/"), (m.name, None)])
