"""Rules on the driftmon processes themselves: not scraped, no target at all, store unreachable.

Several `driftmon serve` replicas may run on one store, and they cover for each other: a
replica that is down or has lost the store leaves its windows to the others (after the
monitor's `takeover_after`) and its notifications to the replica holding the delivery lease.
So one replica down is a warning on that replica (`DriftmonReplicaDown`, with its `instance`);
the critical alerts fire once for the whole job, when no replica is left to do the work:
`DriftmonDown` (no target can be scraped) and `DriftmonDatabaseDown` (no replica reaches the
store). With a single replica both critical alerts fire as they always did.
"""

from __future__ import annotations

from datetime import timedelta

from driftmon.metrics import family
from driftmon.rules.model import AlertRule
from driftmon.rules.options import RuleOptions
from driftmon.rules.templates import REPLICA_LABELS, across_replicas, label, promql_string

_DATABASE_UP = family("driftmon_database_up").name
_HOLD = timedelta(minutes=5)


def _while_another_is_up(series: str) -> str:
    """Return `series == 0` for the replicas where it is 0 while another replica's is 1."""
    others = across_replicas("max", series)
    return f"{series} == 0\nand ignoring ({', '.join(REPLICA_LABELS)}) {others} == 1"


def _listed(query: str) -> str:
    """Return template text listing the `instance` of each series `query` (given the job) returns."""
    selector = promql_string(query)
    return (
        f'{{{{ range $i, $s := printf {selector} $labels.job | query | sortByLabel "instance" }}}}'
        "{{ if $i }}, {{ end }}{{ $s.Labels.instance }}{{ end }}"
    )


def _replica_rules(job: str) -> list[AlertRule]:
    up = f"up{{job={job}}}"
    covered = (
        "The other replicas carry on: they take over its windows once the monitor's takeover_after "
        "has passed, and deliver the notifications (one replica at a time holds the delivery lease)."
    )
    return [
        AlertRule(
            name="DriftmonReplicaDown",
            expr=_while_another_is_up(up),
            severity="warning",
            hold=_HOLD,
            summary=f"driftmon replica {label('instance')} cannot be scraped",
            description=(
                f"Prometheus has failed to scrape the driftmon replica at {label('instance')} (job "
                f"{label('job')}) for 5 minutes while other replicas answer: the process is down, "
                f"not listening, or refusing /metrics. {covered}"
            ),
            labels=(("reason", "not_scraped"),),
        ),
        AlertRule(
            name="DriftmonReplicaDown",
            expr=_while_another_is_up(_DATABASE_UP),
            severity="warning",
            hold=_HOLD,
            summary=f"driftmon replica {label('instance')} cannot reach its database",
            description=(
                f"The driftmon replica at {label('instance')} has failed its database checks for 5 "
                "minutes while other replicas reach the store: its own connection or network path is "
                f"broken. /readyz reports it not ready, so it gets no traffic. {covered}"
            ),
            labels=(("reason", "database_unreachable"),),
        ),
    ]


def service_rules(options: RuleOptions) -> list[AlertRule]:
    """Return the rules on driftmon's own health: a replica down, all down, absent, store unreachable."""
    job = promql_string(options.job)
    up = across_replicas("max", f"up{{job={job}}}")
    database_up = across_replicas("max", _DATABASE_UP)
    blind = "No drift is computed or exported, and every drift alert has gone silent."
    return [
        AlertRule(
            name="DriftmonDown",
            expr=f"{up} == 0",
            severity="critical",
            hold=_HOLD,
            summary=f"No driftmon target of job {label('job')} can be scraped",
            description=(
                f"Prometheus has failed to scrape every driftmon target of job {label('job')} for 5 "
                f"minutes ({_listed('up{job=%q} == 0')}): the processes are down, not listening, or "
                f"refusing /metrics. {blind}"
            ),
        ),
        *_replica_rules(job),
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
            expr=f"{database_up} == 0",
            severity="critical",
            hold=_HOLD,
            summary=f"driftmon (job {label('job')}) cannot reach its database",
            description=(
                f"No driftmon replica of job {label('job')} has passed its database checks for 5 "
                f"minutes ({_listed('driftmon_database_up{job=%q} == 0')}). Runs cannot be stored, "
                "so every monitor fails or stalls; the metrics still show the last known values. "
                "/readyz reports not ready."
            ),
        ),
    ]
