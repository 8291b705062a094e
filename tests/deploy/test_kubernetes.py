"""The Kubernetes manifests: valid against the Kubernetes schemas, and wired to each other and to driftmon.

kubernetes-validate checks the built-in kinds against the (strict) OpenAPI schemas of several
Kubernetes versions. The prometheus-operator kinds have no schema there: the PrometheusRule's
rules are checked by promtool (test_prometheus_rules.py), and the ServiceMonitor's fields here.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
from fastapi.routing import APIRoute

from driftmon.config import load_config
from driftmon.http.probes import router
from tests.deploy.conftest import DEPLOY, REPO, load_yaml, load_yaml_documents

K8S = DEPLOY / "kubernetes"
MANIFESTS = sorted(p for p in K8S.glob("*.yaml") if p.name != "kustomization.yaml")
CUSTOM_KINDS = {"ServiceMonitor", "PrometheusRule"}
# The oldest and the newest Kubernetes the manifests are checked against.
VERSIONS = ("1.28", kubernetes_validate.latest_version())
_DURATION = re.compile(r"(\d+(ms|s|m|h|d|w|y))+")


def _documents() -> list[tuple[Path, dict[str, Any]]]:
    return [(path, doc) for path in MANIFESTS for doc in load_yaml_documents(path)]


def _kind(kind: str) -> dict[str, Any]:
    (doc,) = (d for _, d in _documents() if d["kind"] == kind)
    return doc


@pytest.mark.parametrize("version", VERSIONS)
def test_manifests_match_the_kubernetes_schemas(version: str) -> None:
    checked = []
    for path, doc in _documents():
        if doc["kind"] in CUSTOM_KINDS:
            continue
        try:
            kubernetes_validate.validate(doc, version, strict=True)
        except kubernetes_validate.ValidationError as exc:
            where = "/".join(str(p) for p in exc.path)
            pytest.fail(f"{path.name} ({doc['kind']}) at {where}: {exc.message}")
        checked.append(doc["kind"])
    kinds = ["ConfigMap", "Deployment", "Job", "Namespace", "PodDisruptionBudget", "Service"]
    assert sorted(checked) == kinds


def test_the_schemas_catch_mistakes() -> None:
    deployment = _kind("Deployment")
    broken = {**deployment, "spec": {**deployment["spec"], "replica": 1}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, VERSIONS[-1], strict=True)


def test_kustomization_lists_every_manifest_and_the_image() -> None:
    kustomization = load_yaml(K8S / "kustomization.yaml")
    assert sorted(kustomization["resources"]) == sorted(p.name for p in MANIFESTS)
    (image,) = kustomization["images"]
    for kind in ("Deployment", "Job"):
        for container in _kind(kind)["spec"]["template"]["spec"]["containers"]:
            assert container["image"].split(":")[0] == image["name"]
    assert kustomization["namespace"] == _kind("Namespace")["metadata"]["name"]


def test_three_replicas_ready_on_readyz() -> None:
    spec = _kind("Deployment")["spec"]
    # Several replicas share the PostgreSQL store; a rollout never takes one away before its
    # successor is ready.
    assert spec["replicas"] == 3
    assert spec["strategy"]["type"] == "RollingUpdate"
    assert spec["strategy"]["rollingUpdate"] == {"maxSurge": 1, "maxUnavailable": 0}
    pod = spec["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    (container,) = pod["containers"]
    assert container["args"] == ["serve", "-c", "/etc/driftmon/driftmon.yaml"]
    assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert container["startupProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert {"name": "http", "containerPort": 9650, "protocol": "TCP"} in container["ports"]
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    # Runs in flight get the config's shutdown grace before the kubelet kills the pod.
    assert pod["terminationGracePeriodSeconds"] > 30


def test_probes_are_served_by_driftmon() -> None:
    """The probes' paths are routes of driftmon's HTTP server: /readyz checks the store and scheduler."""
    paths = {route.path for route in router.routes if isinstance(route, APIRoute)}
    assert {"/readyz", "/healthz"} <= paths
    (container,) = _kind("Deployment")["spec"]["template"]["spec"]["containers"]
    for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
        assert container[probe]["httpGet"]["path"] in paths, probe


def test_replicas_spread_over_nodes_and_a_budget_keeps_two() -> None:
    deployment = _kind("Deployment")
    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    spread = deployment["spec"]["template"]["spec"]["topologySpreadConstraints"]
    assert {c["topologyKey"] for c in spread} == {"kubernetes.io/hostname", "topology.kubernetes.io/zone"}
    for constraint in spread:
        # Preferred: a cluster with fewer nodes than replicas still schedules them all.
        assert constraint["whenUnsatisfiable"] == "ScheduleAnyway"
        assert constraint["labelSelector"]["matchLabels"].items() <= pod_labels.items()
    budget = _kind("PodDisruptionBudget")
    assert budget["apiVersion"] == "policy/v1"
    assert budget["spec"] == {"maxUnavailable": 1, "selector": budget["spec"]["selector"]}
    selector = budget["spec"]["selector"]["matchLabels"]
    # It selects exactly the Deployment's pods: not the migration Job's, which share the name label.
    assert selector == deployment["spec"]["selector"]["matchLabels"]
    assert selector.items() <= pod_labels.items()
    job_labels = _kind("Job")["spec"]["template"]["metadata"]["labels"]
    assert not selector.items() <= job_labels.items()
    assert deployment["spec"]["replicas"] - budget["spec"]["maxUnavailable"] >= 2


def _secret_env(container: dict[str, Any]) -> dict[str, tuple[str, str]]:
    return {
        e["name"]: (e["valueFrom"]["secretKeyRef"]["name"], e["valueFrom"]["secretKeyRef"]["key"])
        for e in container.get("env", [])
        if "secretKeyRef" in e.get("valueFrom", {})
    }


def test_database_url_comes_from_a_secret_for_server_and_migration() -> None:
    (server,) = _kind("Deployment")["spec"]["template"]["spec"]["containers"]
    (migrate,) = _kind("Job")["spec"]["template"]["spec"]["containers"]
    assert migrate["args"] == ["db", "upgrade"]
    assert _secret_env(server)["DRIFTMON_DATABASE_URL"] == ("driftmon", "database-url")
    assert _secret_env(migrate)["DRIFTMON_DATABASE_URL"] == ("driftmon", "database-url")
    assert not [e for e in server["env"] if "value" in e], "no plain values: secrets only"


def test_configmap_holds_the_example_config_and_its_variables_are_set(tmp_path: Path) -> None:
    config_map = _kind("ConfigMap")
    text = config_map["data"]["driftmon.yaml"]
    assert text == (REPO / "config" / "driftmon.example.yaml").read_text(encoding="utf-8"), (
        "deploy/kubernetes/configmap.yaml must hold config/driftmon.example.yaml verbatim"
    )
    pod = _kind("Deployment")["spec"]["template"]["spec"]
    (volume,) = (v for v in pod["volumes"] if "configMap" in v)
    assert volume["configMap"]["name"] == config_map["metadata"]["name"]
    (mount,) = (m for m in pod["containers"][0]["volumeMounts"] if m["name"] == volume["name"])
    assert mount["mountPath"] == "/etc/driftmon"
    # The config loads with exactly the variables the Deployment sets (no other unset ${VAR}).
    (tmp_path / "driftmon.yaml").write_text(text, encoding="utf-8")
    env = dict.fromkeys(_secret_env(pod["containers"][0]), "postgresql+psycopg://x@db.invalid/x")
    config = load_config(tmp_path / "driftmon.yaml", env)
    assert config.server.host == "0.0.0.0"
    assert config.server.port == 9650
    assert config.server.health_auth is False, "probes cannot send the API token"


def test_service_and_servicemonitor_select_the_pods() -> None:
    pod_labels = _kind("Deployment")["spec"]["template"]["metadata"]["labels"]
    service = _kind("Service")
    assert service["spec"]["selector"].items() <= pod_labels.items()
    (port,) = service["spec"]["ports"]
    assert port["name"] == "http"
    assert port["targetPort"] == "http"
    monitor = _kind("ServiceMonitor")
    assert monitor["apiVersion"] == "monitoring.coreos.com/v1"
    assert monitor["spec"]["selector"]["matchLabels"].items() <= service["metadata"]["labels"].items()
    (endpoint,) = monitor["spec"]["endpoints"]
    assert endpoint["port"] == port["name"]
    assert endpoint["path"] == "/metrics"
    assert _DURATION.fullmatch(endpoint["interval"])
    assert _DURATION.fullmatch(endpoint["scrapeTimeout"])
    # Prometheus names the job after the Service, and the rules expect job="driftmon".
    assert service["metadata"]["name"] == "driftmon"


def test_prometheus_rule_shape() -> None:
    rule = _kind("PrometheusRule")
    assert rule["apiVersion"] == "monitoring.coreos.com/v1"
    assert set(rule) == {"apiVersion", "kind", "metadata", "spec"}
    assert set(rule["spec"]) == {"groups"}
    for group in rule["spec"]["groups"]:
        assert set(group) == {"name", "rules"}
        for alert in group["rules"]:
            assert set(alert) <= {"alert", "expr", "for", "labels", "annotations"}
            if "for" in alert:
                assert _DURATION.fullmatch(alert["for"])
