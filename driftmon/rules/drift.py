"""The per-column alerts: drift warning and critical on the alert state driftmon computes, and failed columns.

Prometheus does not decide what drift is. The service's state machine does (thresholds,
significance, consecutive windows, hysteresis; docs/alerting.md) and exports its verdict as
`driftmon_column_alert_state`; these rules only turn that state into alerts, so the metric,
the API and the alerts always agree. They hold for every monitor, whatever its config.

Every replica on one store exports the same column series, so the rules take their maximum
over the replicas: one alert per column and statistic, however many replicas are scraped, and
the more severe state while a replica has not yet followed the store's latest window.
"""

from __future__ import annotations

from driftmon.core import STATISTICS
from driftmon.metrics import STATISTIC_METRICS, STATISTIC_UNITS, family
from driftmon.rules.model import AlertRule, Severity
from driftmon.rules.options import RuleOptions
from driftmon.rules.templates import UNIT_TEXT, across_replicas, label, promql_string, query_value

# The alert state metric's values: 1 warning, 2 critical.
SEVERITY_STATES: dict[Severity, int] = {"warning": 1, "critical": 2}
_STATE = family("driftmon_column_alert_state").name
_LIVE = family("driftmon_column_live_values").name
_STATUS = family("driftmon_column_status_info").name
_COLUMN = ("monitor", "column")


def _top_bins(options: RuleOptions) -> str:
    path = f"/api/v1/monitors/{label('monitor')}/alerts"
    if options.api_url is None:
        return f"Top drifting bins: driftmon's API at {path} (set server.public_url to get a link here)."
    return f"Top drifting bins: {options.api_url}{path}"


def _drift_description(statistic: str, severity: str, options: RuleOptions) -> str:
    names = STATISTIC_METRICS[statistic]
    unit = UNIT_TEXT[STATISTIC_UNITS[statistic]]
    value = query_value(names.value, _COLUMN)
    p_value = query_value(names.p_value, _COLUMN, "%.2g")
    n_live = query_value(_LIVE, _COLUMN, "%.0f")
    # Only series of the default metric set: thresholds and noise levels are in the API.
    return (
        f"{statistic} of column {label('column')} ({label('role')}) in monitor {label('monitor')} "
        f"is at {severity}: it breached the {severity} threshold with significance for the "
        "configured number of consecutive windows, and has not recovered below its resolve level.\n"
        f"Latest window: {statistic} = {value}{unit} (p-value {p_value}, {n_live} live values). "
        "Its thresholds and no-drift level are in the window's result in the API.\n"
        f"{_top_bins(options)}"
    )


def drift_rules(options: RuleOptions) -> list[AlertRule]:
    """Return the warning and critical rule of every statistic, on the exported alert state."""
    rules = []
    for severity, state in SEVERITY_STATES.items():
        name = f"DriftmonColumnDrift{severity.capitalize()}"
        for statistic in STATISTICS:
            states = across_replicas("max", f"{_STATE}{{statistic={promql_string(statistic)}}}")
            rules.append(
                AlertRule(
                    name=name,
                    expr=f"{states} == {state}",
                    severity=severity,
                    summary=f"Drift ({severity}) in {label('monitor')}/{label('column')}: {statistic}",
                    description=_drift_description(statistic, severity, options),
                    dashboard_variables=_COLUMN,
                    labels=(("statistic", statistic),),
                )
            )
    return rules


def column_failed_rule(options: RuleOptions) -> AlertRule:
    """Return the rule for a column whose latest window failed while the run itself went on."""
    failed = across_replicas("max", f'{_STATUS}{{status="failed"}}')
    return AlertRule(
        name="DriftmonColumnFailed",
        expr=f"{failed} == 1",
        severity="warning",
        summary=f"Column {label('monitor')}/{label('column')} failed in its latest window",
        description=(
            f"The latest window of column {label('column')} in monitor {label('monitor')} could not be "
            "scored (the run was partial): the column is missing from the source, has values of the "
            "wrong type, or its baseline is unusable. Its drift alerts hold their last state until "
            f"it is scored again. The error is in the run history: "
            f"{options.api_url or ''}/api/v1/monitors/{label('monitor')}/runs"
        ),
        dashboard_variables=_COLUMN,
    )
