"""One alerting rule as the generator builds it, and its Prometheus form."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal

from driftmon.rules.options import RuleOptions
from driftmon.rules.periods import prometheus_duration

Severity = Literal["warning", "critical"]


@dataclass(frozen=True)
class AlertRule:
    """An alert: name, PromQL expression, how long it must hold, labels and annotation templates."""

    name: str
    expr: str
    severity: Severity
    summary: str
    description: str
    hold: timedelta = timedelta(0)
    dashboard_variables: tuple[str, ...] = ()
    # Fixed labels besides severity. They equal the series' own labels (monitor, statistic) or
    # name the condition, so that no two rules of a file look alike to `promtool check rules`.
    labels: tuple[tuple[str, str], ...] = ()

    def to_dict(self, options: RuleOptions) -> dict[str, Any]:
        """Return the rule as Prometheus' rule file writes it."""
        rule: dict[str, Any] = {"alert": self.name, "expr": self.expr}
        if self.hold > timedelta(0):
            rule["for"] = prometheus_duration(self.hold)
        rule["labels"] = {"severity": self.severity, **dict(self.labels)}
        rule["annotations"] = {
            "summary": self.summary,
            "description": self.description,
            "runbook_url": options.runbook(self.name),
            "dashboard": options.dashboard(*self.dashboard_variables),
        }
        return rule
