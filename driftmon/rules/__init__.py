"""driftmon.rules: Prometheus alerting rules generated from a config (`driftmon rules -c FILE`).

Drift alerts fire on the alert state the service computes (`driftmon_column_alert_state`),
so Prometheus never re-decides what drift is. Stale, failing and behind alerts are generated
per monitor from its window size, schedule and timeout; `DriftmonRulesOutdated` says when the
running service no longer matches the config the rules came from. The same groups render as a
rule file or as a prometheus-operator PrometheusRule.
"""

from __future__ import annotations

from driftmon.rules.generate import (
    ALERT_NAMES,
    prometheus_rule_manifest,
    render_rules,
    rule_groups,
    rules_command,
)
from driftmon.rules.model import AlertRule
from driftmon.rules.options import (
    DASHBOARD_SLUG,
    DASHBOARD_UID,
    DEFAULT_GRAFANA_URL,
    DEFAULT_JOB,
    DEFAULT_RUNBOOK_URL,
    RuleOptions,
    RuleOptionsError,
)
from driftmon.rules.periods import prometheus_duration, stale_after, success_period

__all__ = [
    "ALERT_NAMES",
    "DASHBOARD_SLUG",
    "DASHBOARD_UID",
    "DEFAULT_GRAFANA_URL",
    "DEFAULT_JOB",
    "DEFAULT_RUNBOOK_URL",
    "AlertRule",
    "RuleOptions",
    "RuleOptionsError",
    "prometheus_duration",
    "prometheus_rule_manifest",
    "render_rules",
    "rule_groups",
    "rules_command",
    "stale_after",
    "success_period",
]
