"""Evaluate a run's alert rules against the stored alert states, inside the run's transaction.

Each (column, statistic) with a rule moves its stored AlertState by one window; a change of
severity is stored as an alert event. Windows are evaluated in order: a window that does not
end after the last evaluated one (a backfill of older history) is stored but not evaluated,
so the same evidence never counts twice and old windows never page anyone.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from driftmon.alerts import AlertRule, AlertState, AlertStateError, Severity, WindowScore, evaluate
from driftmon.config import ColumnSettings, EffectiveAlertRule, MonitorConfig
from driftmon.core import Comparison
from driftmon.jobs.outcome import AlertChange
from driftmon.store import (
    load_alert_states,
    queue_notification,
    record_alert_event,
    record_window_alert_states,
    save_alert_states,
)
from driftmon.windows import Window

log = logging.getLogger(__name__)


def alert_rule(settings: ColumnSettings, rule: EffectiveAlertRule) -> AlertRule:
    """Return the state machine's rule for one statistic of one column (its min_samples included)."""
    return AlertRule(**asdict(rule), min_samples=settings.min_samples)


@dataclass
class AlertEvaluation:
    """The transitions a window caused and every rule's severity label after it, per column."""

    changes: list[AlertChange] = field(default_factory=list)
    alert_states: dict[str, dict[str, str]] = field(default_factory=dict)


def _details(comparison: Comparison, role: str) -> dict[str, Any]:
    return {
        "role": role,
        "n_live": comparison.n_live,
        "n_reference": comparison.n_reference,
        "top_bins": [b.to_dict() for b in comparison.top_bins],
    }


def _previous(monitor: str, key: tuple[str, str], stored: Mapping[str, Any] | None) -> AlertState | None:
    if stored is None:
        return None
    try:
        return AlertState.from_dict(stored)
    except AlertStateError as exc:
        # A state this driftmon cannot read starts over rather than blocking every later run.
        log.warning("monitor %s column %r %s: stored alert state ignored: %s", monitor, *key, exc)
        return None


def evaluate_alerts(
    session: Session,
    monitor: MonitorConfig,
    window: Window,
    compared: Mapping[str, Comparison],
    *,
    now: datetime,
    run_id: int,
    notify: bool = False,
) -> AlertEvaluation:
    """Move every rule of every compared column by this window; store new states and transitions.

    With `notify`, each transition's notification goes into the store's outbox with its event.

    Columns without a comparison (failed) change no state; their stored severities are reported.
    """
    stored = {(r.column, r.statistic): r.state for r in load_alert_states(session, monitor.name, lock=True)}
    out = AlertEvaluation()
    updates: dict[tuple[str, str], dict[str, Any]] = {}
    evaluated: dict[str, dict[str, str]] = {}
    for settings in monitor.all_column_settings():
        column = settings.name
        severities = out.alert_states.setdefault(column, {})
        comparison = compared.get(column)
        for statistic, effective in settings.alerts.items():
            key = (column, statistic)
            previous = _previous(monitor.name, key, stored.get(key))
            last = previous.last_window_end if previous is not None else None
            if comparison is None or (last is not None and window.end <= last):
                severities[statistic] = (previous.severity if previous is not None else Severity.OK).label
                continue
            score = WindowScore.from_comparison(comparison, statistic, window.start, window.end)
            state, transition = evaluate(alert_rule(settings, effective), previous, score)
            updates[key] = state.to_dict()
            severities[statistic] = state.severity.label
            evaluated.setdefault(column, {})[statistic] = state.severity.label
            if transition is None:
                continue
            event = record_alert_event(
                session,
                monitor.name,
                column,
                statistic,
                severity=transition.event_severity,
                state=transition.event_state,
                at=now,
                value=transition.value,
                threshold=transition.threshold,
                p_value=transition.p_value,
                window_start=window.start,
                window_end=window.end,
                run_id=run_id,
                details={"transition": transition.kind, **_details(comparison, settings.role)},
            )
            if notify:
                queue_notification(session, event.id, now=now)
            out.changes.append(
                AlertChange(
                    monitor=monitor.name,
                    column=column,
                    role=settings.role,
                    transition=transition,
                    top_bins=comparison.top_bins,
                    run_id=run_id,
                    event_id=event.id,
                )
            )
    save_alert_states(session, monitor.name, updates, now=now)
    record_window_alert_states(session, run_id, evaluated)
    return out
