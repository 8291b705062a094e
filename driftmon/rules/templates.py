"""Pieces of PromQL and of Prometheus' alert templates (Go text/template) the rules are built from."""

from __future__ import annotations

import json

# How a metric unit reads in a sentence: the divergences' shannons are bits.
UNIT_TEXT = {"shannons": " bits", "nats": " nats", "": ""}

# The labels by which the series of several `driftmon serve` replicas on one store differ:
# Prometheus' target address, and the pod name prometheus-operator adds on Kubernetes.
REPLICA_LABELS = ("instance", "pod")


def across_replicas(aggregation: str, expr: str) -> str:
    """Return `expr` aggregated over the replicas, keeping every other label (monitor, column, job...).

    Every replica exports the same per-monitor and per-column series (each follows the store),
    so a rule compares one value per series, not one per replica, and fires once.
    """
    return f"{aggregation} without ({', '.join(REPLICA_LABELS)}) ({expr})"


def promql_string(value: str) -> str:
    """Return `value` as a double-quoted PromQL string literal (JSON escapes are valid Go escapes)."""
    return json.dumps(value, ensure_ascii=False)


def label(name: str) -> str:
    """Return the template text that prints the alert's label `name`."""
    return f"{{{{ $labels.{name} }}}}"


def query_value(
    metric: str,
    labels: tuple[str, ...],
    fmt: str = "%.3g",
    aggregation: str = "max",
) -> str:
    """Return template text printing `metric`'s value for the alert's `labels`.

    The query runs when the alert is evaluated; a series that is absent (a window with too
    little data, a level not configured) prints `n/a` rather than breaking the annotation.
    The replicas' series are aggregated with `aggregation`, so the query has one value.
    """
    parts = [f"{name}=%q" for name in labels]
    selector = promql_string(across_replicas(aggregation, f"{metric}{{{','.join(parts)}}}"))
    args = " ".join(f"$labels.{name}" for name in labels)
    return (
        f"{{{{ with printf {selector} {args} | query }}}}"
        f'{{{{ . | first | value | printf "{fmt}" }}}}{{{{ else }}}}n/a{{{{ end }}}}'
    )
