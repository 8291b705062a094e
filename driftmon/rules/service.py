"""Rules on the driftmon process itself: not scraped, no target at all, store unreachable."""

from __future__ import annotations

from datetime import timedelta

from driftmon.metrics import family
from driftmon.rules.model import AlertRule
from driftmon.rules.options import RuleOptions
from driftmon.rules.templates import label, promql_string

__all__ = ["service_rules"]

_DATABASE_UP = family("driftmon_database_up").name


def service_rules(options: RuleOptions) -> list[AlertRule]:
    """Return the rules on driftmon's own health: down, absent, database unreachable."""
    job = promql_string(options.job)
    blind = "No drift is computed or exported, and every drift alert has gone silent."
    return [
        AlertRule(
            name="DriftmonDown",
            expr=f"up{{job={job}}} == 0",
            severity="critical",
            hold=timedelta(minutes=5),
            summary=f"driftmon at {label('instance')} cannot be scraped",
            description=(
                f"Prometheus has failed to scrape driftmon at {label('instance')} (job {label('job')}) "
                f"for 5 minutes: the process is down, not listening, or refusing /metrics. {blind}"
            ),
        ),
        AlertRule(
            name="DriftmonAbsent",
            expr=f"absent(up{{job={job}}})",
            severity="critical",
            hold=timedelta(minutes=10),
            summary=f"Prometheus has no driftmon target (job {options.job})",
            description=(
                f"No target of job {options.job} has been discovered for 10 minutes: the deployment, "
                f"its Service or ServiceMonitor, or the scrape config is gone or renamed. {blind}"
            ),
        ),
        AlertRule(
            name="DriftmonDatabaseDown",
            expr=f"{_DATABASE_UP} == 0",
            severity="critical",
            hold=timedelta(minutes=5),
            summary=f"driftmon at {label('instance')} cannot reach its database",
            description=(
                f"driftmon at {label('instance')} has failed its database checks for 5 minutes. Runs "
                "cannot be stored, so every monitor fails or stalls; the metrics still show the last "
                "known values. /readyz reports not ready."
            ),
        ),
    ]
