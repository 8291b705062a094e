"""Reading the shipped Grafana dashboard: its panels, every PromQL query, variables substituted."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from driftmon.metrics import FAMILIES
from tests.deploy.conftest import DEPLOY

DASHBOARD = DEPLOY / "grafana" / "dashboards" / "driftmon.json"
# Series Prometheus itself makes, which the dashboard may use besides driftmon's own.
PROMETHEUS_SERIES = {"ALERTS"}
# The queries that show each replica on its own (its database connection); every other query
# aggregates over the replicas, which export the same series.
PER_REPLICA = {"panel 'Source and database reachable' target B"}
# Grafana's built-in variables, as the test substitutes them (a 1 s scrape in the tests).
BUILTINS = {"__rate_interval": "1m", "__interval": "15s", "__range": "1h"}


@dataclass(frozen=True)
class Query:
    """One PromQL query of the dashboard: where it is and its expression."""

    where: str
    expr: str


def load_dashboard() -> dict[str, Any]:
    """Parse the dashboard JSON."""
    data: dict[str, Any] = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    return data


def panels(dashboard: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    """Yield every panel, those inside collapsed rows included, rows themselves excluded."""
    for panel in dashboard["panels"]:
        if panel["type"] == "row":
            yield from panel.get("panels", [])
        else:
            yield panel


def queries(dashboard: Mapping[str, Any]) -> list[Query]:
    """Return every query: panel targets, then annotation queries."""
    found = [
        Query(f"panel {p['title']!r} target {t['refId']}", t["expr"])
        for p in panels(dashboard)
        for t in p["targets"]
    ]
    for annotation in dashboard["annotations"]["list"]:
        if "expr" in annotation:
            found.append(Query(f"annotation {annotation['name']!r}", annotation["expr"]))
    return found


def substitute(expr: str, values: Mapping[str, str]) -> str:
    """Replace `$name` and `${name}` as Grafana would, or raise KeyError naming an unknown variable."""
    known = {**BUILTINS, **values}

    def value(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2)
        if name not in known:
            raise KeyError(f"{expr!r} uses ${name}, which the test does not set")
        return known[name]

    return re.sub(r"\$\{(\w+)\}|\$(\w+)", value, expr)


def exported_names() -> set[str]:
    """Return every series name driftmon exports (histogram parts included)."""
    names = {f.name for f in FAMILIES}
    for f in FAMILIES:
        if f.kind == "histogram":
            names |= {f"{f.name}_bucket", f"{f.name}_count", f"{f.name}_sum"}
    return names


def metric_names(expr: str) -> set[str]:
    """Return the series names an expression selects: bare names and `__name__=~` regexes expanded."""
    patterns = re.findall(r'__name__=~"([^"]+)"', expr)
    bare = re.sub(r'__name__=~"[^"]+"', "", expr)
    names = set(re.findall(r"\b(driftmon_[a-z0-9_]+|ALERTS)\b", bare))
    for pattern in patterns:
        matched = {n for n in exported_names() if re.fullmatch(pattern, n)}
        names |= matched or {f"<nothing matches {pattern}>"}
    return names
