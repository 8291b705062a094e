"""Pieces of PromQL and of Prometheus' alert templates (Go text/template) the rules are built from."""

from __future__ import annotations

import json

__all__ = ["UNIT_TEXT", "label", "promql_string", "query_value"]

# How a metric unit reads in a sentence: the divergences' shannons are bits.
UNIT_TEXT = {"shannons": " bits", "nats": " nats", "": ""}


def promql_string(value: str) -> str:
    """Return `value` as a double-quoted PromQL string literal (JSON escapes are valid Go escapes)."""
    return json.dumps(value, ensure_ascii=False)


def label(name: str) -> str:
    """Return the template text that prints the alert's label `name`."""
    return f"{{{{ $labels.{name} }}}}"


def query_value(metric: str, matchers: dict[str, str], labels: tuple[str, ...], fmt: str = "%.3g") -> str:
    """Return template text printing `metric`'s value for the alert's `labels` (plus fixed matchers).

    The query runs when the alert is evaluated; a series that is absent (a window with too
    little data, a level not configured) prints `n/a` rather than breaking the annotation.
    """
    parts = [f"{name}=%q" for name in labels] + [f"{k}={promql_string(v)}" for k, v in matchers.items()]
    selector = promql_string(f"{metric}{{{','.join(parts)}}}")
    args = " ".join(f"$labels.{name}" for name in labels)
    return (
        f"{{{{ with printf {selector} {args} | query }}}}"
        f'{{{{ . | first | value | printf "{fmt}" }}}}{{{{ else }}}}n/a{{{{ end }}}}'
    )
