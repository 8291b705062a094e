"""End to end: driftmon serving the demo, scraped by a real Prometheus with the shipped rules, routed
by a real Alertmanager with the shipped config to a local webhook receiver; and every query of the
shipped Grafana dashboard run against that Prometheus.

One stack serves the whole module. Bounded waits for conditions only: the stack replays the
demo's last 24 hourly windows once Prometheus has scraped driftmon (see tests/deploy/stack.py),
so the drift alerts are due within seconds, not on the hourly schedule.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.deploy.conftest import tool
from tests.deploy.dashboard import PER_REPLICA, load_dashboard, queries, substitute
from tests.deploy.stack import REPLICAS, Stack, wait_for

MONITOR = "checkout-fraud"
# config/demo.yaml: drift is injected into these columns; the others (and the churn monitor) are stable.
DRIFTED = {"amount", "country", "session_seconds", "fraud_score"}
STABLE = {"device", "account_age_days", "items_in_cart", "tenure_months", "plan", "monthly_charges"}
DRIFT_ALERTS = 'alertname=~"DriftmonColumnDrift(Warning|Critical)"'


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    prometheus, alertmanager = tool("prometheus"), tool("prometheus-alertmanager")
    running = Stack(tmp_path_factory.mktemp("stack"))
    try:
        running.start(prometheus, alertmanager)
        yield running
    finally:
        running.stop()
    for name, process in running.processes.items():
        assert process.poll() is not None, f"{name} is still running"


def _firing(stack: Stack) -> list[dict[str, str]]:
    response = httpx.get(
        f"{stack.prometheus}/api/v1/query", params={"query": f'ALERTS{{alertstate="firing", {DRIFT_ALERTS}}}'}
    )
    return [series["metric"] for series in response.json()["data"]["result"]]


@pytest.fixture(scope="module")
def drift_alerts(stack: Stack) -> list[dict[str, str]]:
    """Wait until Prometheus fires a drift alert for every drifted demo column; return the firing alerts."""

    def all_drifted() -> list[dict[str, str]] | None:
        alerts = _firing(stack)
        columns = {a["column"] for a in alerts if a["monitor"] == MONITOR}
        return alerts if columns >= DRIFTED else None

    try:
        return wait_for("drift alerts for every drifted demo column", all_drifted, timeout=120)
    except TimeoutError as exc:
        raise AssertionError(f"{exc}; firing now: {_firing(stack)}\n{stack.log('driftmon')}") from None


def test_drift_alerts_fire_for_the_drifted_columns_and_no_others(
    stack: Stack, drift_alerts: list[dict[str, str]]
) -> None:
    assert {(a["monitor"], a["column"]) for a in drift_alerts} == {(MONITOR, c) for c in DRIFTED}
    # Both targets export every column's state; each alert fires once, without an instance.
    assert sorted(s["metric"]["instance"] for s in stack.latest('up{job="driftmon"}')) == list(REPLICAS)
    keys = [(a["alertname"], a["monitor"], a["column"], a["statistic"]) for a in drift_alerts]
    assert len(keys) == len(set(keys)), f"an alert fires more than once: {sorted(keys)}"
    assert not [a for a in drift_alerts if "instance" in a], drift_alerts
    assert {a["severity"] for a in drift_alerts} <= {"warning", "critical"}
    assert any(a["severity"] == "critical" for a in drift_alerts)
    for alert in drift_alerts:
        assert alert["job"] == "driftmon"
        assert alert["statistic"] == "js_divergence"  # the default policy's statistic
    # Not once since driftmon started: no drift alert on a stable column, pending or firing...
    stable = "|".join(sorted(STABLE))
    assert stack.query(f'ALERTS{{{DRIFT_ALERTS}, column=~"{stable}"}}', step="1s") == []
    assert stack.query(f'ALERTS{{{DRIFT_ALERTS}, monitor="churn"}}', step="1s") == []
    # ...and a healthy demo fires no other alert. Some are pending while it starts (Prometheus
    # scrapes before driftmon listens; no window is on record before the first run), which is
    # what their `for` is for.
    others = stack.query(
        'ALERTS{alertstate="firing", alertname!~"DriftmonColumnDrift(Warning|Critical)"}', step="1s"
    )
    assert others == []


def _delivered(stack: Stack, path: str) -> list[dict[str, Any]]:
    return [body for at, body in list(stack.receiver.posts) if at == path]


def test_alertmanager_delivers_the_drift_alerts(stack: Stack, drift_alerts: list[dict[str, str]]) -> None:
    def critical_delivered() -> list[dict[str, Any]] | None:
        alerts = [a for body in _delivered(stack, "/webhook") for a in body["alerts"]]
        return (
            alerts if any(a["labels"]["alertname"] == "DriftmonColumnDriftCritical" for a in alerts) else None
        )

    delivered = wait_for("a critical drift alert at the webhook receiver", critical_delivered, timeout=60)
    for alert in delivered:
        labels, notes = alert["labels"], alert["annotations"]
        assert labels["severity"] == "critical"
        assert labels["monitor"] == MONITOR
        assert labels["column"] in DRIFTED
        assert notes["runbook_url"].endswith(f"/docs/runbooks/{labels['alertname']}.md")
        assert f"var-monitor={MONITOR}" in notes["dashboard"]
        # The description carries the latest value and its p-value, not the absent-value stand-in.
        latest = notes["description"].splitlines()[1]
        assert latest.startswith(f"Latest window: {labels['statistic']} = ")
        assert "n/a" not in latest
        assert (
            "Top drifting bins: http://localhost:9650/api/v1/monitors/checkout-fraud/alerts"
            in notes["description"]
        )
    for sent in _delivered(stack, "/webhook"):
        # One alert per column in each notification, though two targets export each state.
        keys = [(a["labels"]["alertname"], a["labels"]["column"]) for a in sent["alerts"]]
        assert len(keys) == len(set(keys)), keys
        assert not [a for a in sent["alerts"] if "instance" in a["labels"]]
    (body,) = _delivered(stack, "/webhook")[:1]
    assert body["version"] == "4"
    assert body["groupLabels"] == {"monitor": MONITOR}  # grouped by monitor
    if any(a["severity"] == "warning" for a in drift_alerts):
        slack = wait_for(
            "a warning at the Slack receiver", lambda: _delivered(stack, "/slack") or None, timeout=60
        )
        attachment = slack[0]["attachments"][0]
        assert attachment["title"].startswith("[FIRING:")
        assert "checkout-fraud: ColumnDriftWarning" in attachment["title"]
        assert attachment["color"] == "warning"
        assert "|Runbook>" in attachment["text"]


@pytest.mark.parametrize("statistic", ["js_divergence", "psi"])
def test_every_dashboard_query_returns_data(
    stack: Stack, drift_alerts: list[dict[str, str]], statistic: str
) -> None:
    values = {"monitor": MONITOR, "column": "amount", "statistic": statistic}
    expressions = {query.where: substitute(query.expr, values) for query in queries(load_dashboard())}

    def empty() -> list[str]:
        found = []
        for where, expr in expressions.items():
            series = stack.query(expr)
            # One line per monitor or column, not one per scraped replica.
            replicas = sorted({s["metric"].get("instance", "") for s in series} - {""})
            if where in PER_REPLICA:
                assert replicas == list(REPLICAS) or not series, (where, replicas)
            else:
                assert not replicas, f"{where} draws one series per replica: {expr}"
            # The demo alerts on js_divergence only (the default policy): other statistics have
            # no thresholds to draw.
            no_rule = statistic != "js_divergence" and "driftmon_column_alert_threshold" in expr
            if not no_rule and not any(math.isfinite(float(v)) for s in series for _, v in s["values"]):
                found.append(f"{where}: {expr}")
        return found

    # The stack replayed the windows after Prometheus had scraped the state before them, so each
    # query's data (rates over two samples around finished runs, changes of an alert state) is
    # due at the next scrapes; on a loaded machine those may take a while.
    try:
        wait_for("data for every dashboard query", lambda: None if empty() else True, timeout=120)
    except TimeoutError as exc:
        raise AssertionError(f"{exc}; queries without data:\n" + "\n".join(empty())) from None


def test_dashboard_variables_list_the_demo(stack: Stack, drift_alerts: list[dict[str, str]]) -> None:
    variables = {v["name"]: v for v in load_dashboard()["templating"]["list"]}
    monitors = stack.label_values("monitor", "driftmon_monitor_interval_seconds")
    assert sorted(monitors) == ["checkout-fraud", "churn"]
    column_query = variables["column"]["query"]["query"]
    match = substitute(column_query.removeprefix("label_values(").rsplit(",", 1)[0], {"monitor": MONITOR})
    columns = stack.label_values("column", match)
    assert set(columns) == DRIFTED | {"device", "account_age_days", "items_in_cart"}
