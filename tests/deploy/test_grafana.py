"""The Grafana dashboard's structure and its provisioning (its queries run in test_stack.py)."""

from __future__ import annotations

import re

import pytest

from driftmon.core import STATISTICS
from driftmon.rules import DASHBOARD_SLUG, DASHBOARD_UID
from tests.deploy.conftest import DEPLOY, load_yaml
from tests.deploy.dashboard import (
    DASHBOARD,
    PER_REPLICA,
    PROMETHEUS_SERIES,
    exported_names,
    load_dashboard,
    metric_names,
    panels,
    queries,
    substitute,
)

DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}
VALUES = {"monitor": "m", "column": "c", "statistic": "psi"}


def test_identity_and_no_import_placeholders() -> None:
    dashboard = load_dashboard()
    assert dashboard["uid"] == DASHBOARD_UID
    # Grafana's slug of the title is the path alert links use (/d/<uid>/<slug>).
    assert re.sub(r"[^a-z0-9]+", "-", dashboard["title"].lower()).strip("-") == DASHBOARD_SLUG
    text = DASHBOARD.read_text(encoding="utf-8")
    assert "__inputs" not in dashboard
    assert "__requires" not in dashboard
    assert "${DS_" not in text, "an import placeholder datasource is left in"
    assert "id" not in dashboard or dashboard["id"] is None


def test_variables() -> None:
    variables = {v["name"]: v for v in load_dashboard()["templating"]["list"]}
    assert list(variables) == ["datasource", "monitor", "column", "statistic", "driftmon_url"]
    assert variables["datasource"]["type"] == "datasource"
    assert variables["datasource"]["query"] == "prometheus"
    for name in ("monitor", "column"):
        variable = variables[name]
        assert variable["type"] == "query"
        assert variable["datasource"] == DATASOURCE
        assert variable["multi"] is True
        assert variable["includeAll"] is True
        assert re.fullmatch(rf"label_values\(driftmon_\w+(\{{.*\}})?, {name}\)", variable["query"]["query"])
    assert '{monitor=~"$monitor"}' in variables["column"]["query"]["query"]
    statistic = variables["statistic"]
    assert statistic["type"] == "custom"
    assert sorted(statistic["query"].split(",")) == sorted(STATISTICS)
    assert statistic["current"]["value"] == "js_divergence"


def test_every_panel_and_target_uses_the_datasource_variable() -> None:
    dashboard = load_dashboard()
    nested = [p for row in dashboard["panels"] if row["type"] == "row" for p in row.get("panels", [])]
    ids = [p["id"] for p in dashboard["panels"] + nested]
    assert len(ids) == len(set(ids)), "panel ids must be unique"
    for panel in panels(dashboard):
        assert panel["datasource"] == DATASOURCE, panel["title"]
        assert panel["targets"], f"panel {panel['title']!r} has no query"
        for target in panel["targets"]:
            assert target["datasource"] == DATASOURCE, (panel["title"], target["refId"])
        grid = panel["gridPos"]
        assert grid["x"] >= 0, panel["title"]
        assert grid["x"] + grid["w"] <= 24, panel["title"]
    for annotation in dashboard["annotations"]["list"]:
        if not annotation.get("builtIn"):
            assert annotation["datasource"] == DATASOURCE, annotation["name"]


def test_every_query_names_only_exported_metrics() -> None:
    exported = exported_names() | PROMETHEUS_SERIES
    for statistic in STATISTICS:
        for query in queries(load_dashboard()):
            names = metric_names(substitute(query.expr, {**VALUES, "statistic": statistic}))
            assert names, f"{query.where} selects no driftmon metric: {query.expr}"
            assert names <= exported, f"{query.where}: {sorted(names - exported)} not in the metrics contract"


def test_every_query_aggregates_over_the_replicas() -> None:
    """Replicas on one store export the same series: a panel draws one line per column, not per replica."""
    found = {q.where for q in queries(load_dashboard())}
    assert found >= PER_REPLICA
    aggregated = re.compile(r"\b(max|min|sum|count)( without \(instance, pod\)| by \([\w, ]+\))? ?\(")
    for query in queries(load_dashboard()):
        if query.where in PER_REPLICA or query.expr.startswith("ALERTS{"):
            continue  # Prometheus' own ALERTS follow the rules, which aggregate already
        assert aggregated.search(query.expr), f"{query.where} is not aggregated: {query.expr}"
        assert "instance" not in query.expr.replace("without (instance, pod)", ""), query.where


def test_the_dashboard_shows_what_on_call_needs() -> None:
    text = " ".join(q.expr for q in queries(load_dashboard()))
    for needed in (
        "driftmon_column_alert_state",  # alert states
        "_null_quantile",  # the noise level next to each statistic
        "driftmon_column_alert_threshold",  # thresholds in force
        "driftmon_column_live_values",  # sample sizes
        "driftmon_monitor_runs_total",  # failures
        "driftmon_monitor_run_duration_seconds_bucket",  # duration
        "driftmon_monitor_last_success_timestamp_seconds",  # lag
        "driftmon_monitor_windows_behind",
        "ALERTS",  # alert annotations
    ):
        assert needed in text, needed


@pytest.mark.parametrize("name", ["monitor", "column", "statistic"])
def test_substitution_refuses_unknown_variables(name: str) -> None:
    with pytest.raises(KeyError, match=f"\\${name}"):
        substitute(f"x{{a=~'${name}'}}", {k: v for k, v in VALUES.items() if k != name})


def test_provisioning_points_at_the_mounted_dashboards_and_prometheus() -> None:
    provider = load_yaml(DEPLOY / "grafana" / "provisioning" / "dashboards" / "driftmon.yml")
    (dashboards,) = provider["providers"]
    assert dashboards["type"] == "file"
    datasources = load_yaml(DEPLOY / "grafana" / "provisioning" / "datasources" / "prometheus.yml")
    (prometheus,) = datasources["datasources"]
    assert prometheus["type"] == "prometheus"
    assert prometheus["url"] == "http://prometheus:9090"
    compose = load_yaml(DEPLOY / "docker-compose.yml")
    mounts = compose["services"]["grafana"]["volumes"]
    assert f"./grafana/dashboards:{dashboards['options']['path']}:ro" in mounts
    assert "./grafana/provisioning:/etc/grafana/provisioning:ro" in mounts


def test_series_link_to_the_column_page_of_their_window() -> None:
    dashboard = load_dashboard()
    variables = {v["name"]: v for v in dashboard["templating"]["list"]}
    # The links' base is driftmon's public_url, as the compose deployment sets it.
    compose = load_yaml(DEPLOY / "compose" / "driftmon.yaml")
    assert variables["driftmon_url"]["type"] == "textbox"
    assert variables["driftmon_url"]["query"] == compose["server"]["public_url"]
    linked = {p["title"]: p["fieldConfig"]["defaults"].get("links", []) for p in panels(dashboard)}
    for title in ("$statistic of $column: value, noise level, thresholds", "Alert state by column"):
        (link,) = linked[title]
        assert link["url"] == (
            "${driftmon_url}/monitors/${__field.labels.monitor}/columns/${__field.labels.column}"
            "?at=${__value.time}&statistic=${statistic}"
        )
