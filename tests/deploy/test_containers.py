"""The Dockerfile (hadolint and its promises) and the compose stack (the compose-spec schema and wiring).

No Docker engine runs here: the image is not built and the stack is not started. What can be
checked offline is: hadolint's rules, the compose file against the Compose Specification's
JSON schema, and that every mount, port, config and service reference lines up.
"""

from __future__ import annotations

import json
import re
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from driftmon.config import load_config
from tests.deploy.conftest import DEPLOY, REPO, load_yaml, run_tool, tool

DOCKERFILE = DEPLOY / "Dockerfile"
COMPOSE = DEPLOY / "docker-compose.yml"


def _instructions() -> list[tuple[str, str]]:
    """Return the Dockerfile's instructions (keyword, arguments), continuation lines joined."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text(encoding="utf-8"))
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1]) for line in lines]


def test_hadolint() -> None:
    hadolint = tool("hadolint")
    result = run_tool(hadolint, "--failure-threshold", "info", str(DOCKERFILE))
    assert result.returncode == 0, result.stdout + result.stderr


def test_dockerfile_is_slim_non_root_with_a_healthcheck() -> None:
    instructions = _instructions()
    froms = [args for keyword, args in instructions if keyword == "FROM"]
    assert froms, "no FROM"
    assert all(re.fullmatch(r"python:3\.\d+-slim(\s+AS\s+\w+)?", f) for f in froms), froms
    users = [args for keyword, args in instructions if keyword == "USER"]
    assert users, "the image must not run as root"
    user = users[-1].split(":")[0]
    assert user not in ("root", "0")
    assert user.isdigit(), "a numeric USER lets Kubernetes' runAsNonRoot verify it"
    (healthcheck,) = (args for keyword, args in instructions if keyword == "HEALTHCHECK")
    assert "/healthz" in healthcheck
    assert "--interval=" in healthcheck
    assert "--timeout=" in healthcheck
    assert ("EXPOSE", "9650") in instructions
    (entrypoint,) = (json.loads(args) for keyword, args in instructions if keyword == "ENTRYPOINT")
    assert entrypoint == ["driftmon"]
    copied = {args.split()[0] for keyword, args in instructions if keyword == "COPY"}
    # The store's migrations are read from the source tree next to the package.
    assert {"driftmon", "migrations", "config", "pyproject.toml"} <= copied


def test_dockerignore_lets_the_copied_paths_through() -> None:
    ignore = (DEPLOY / "Dockerfile.dockerignore").read_text(encoding="utf-8").splitlines()
    allowed = {line[1:].removesuffix("/**") for line in ignore if line.startswith("!")}
    copied = {args.split()[0] for keyword, args in _instructions() if keyword == "COPY"}
    assert copied <= allowed, f"COPY of paths the .dockerignore excludes: {copied - allowed}"
    for path in copied:
        assert (REPO / path).exists(), path


def _compose_schema() -> dict[str, Any]:
    schema = resources.files("check_jsonschema.builtin_schemas.vendor").joinpath("compose-spec.json")
    data: dict[str, Any] = json.loads(schema.read_text(encoding="utf-8"))
    return data


def test_compose_file_matches_the_compose_specification() -> None:
    compose = load_yaml(COMPOSE)
    schema = _compose_schema()
    validator = jsonschema.validators.validator_for(schema)(schema)
    errors = sorted(validator.iter_errors(compose), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors)


def test_compose_schema_catches_mistakes() -> None:
    compose = load_yaml(COMPOSE)
    compose["services"]["driftmon"]["restart"] = {"policy": "always"}
    compose["services"]["grafana"]["portz"] = ["3000:3000"]
    schema = _compose_schema()
    errors = list(jsonschema.validators.validator_for(schema)(schema).iter_errors(compose))
    assert len(errors) >= 2


def test_compose_runs_the_whole_stack() -> None:
    services = load_yaml(COMPOSE)["services"]
    assert {"driftmon", "postgres", "prometheus", "alertmanager", "grafana", "migrate", "demo-data"} <= set(
        services
    )
    driftmon = services["driftmon"]
    assert driftmon["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert services["migrate"]["command"] == ["db", "upgrade"]
    url = driftmon["environment"]["DRIFTMON_DATABASE_URL"]
    assert url.startswith("postgresql+psycopg://driftmon:${POSTGRES_PASSWORD:?")
    assert url.endswith("@postgres:5432/driftmon")
    for name, service in services.items():
        for port in service.get("ports", []):
            assert port.startswith("127.0.0.1:"), f"{name} publishes {port} beyond this machine"


def _mounts(service: dict[str, Any]) -> list[tuple[str, str]]:
    mounts = []
    for volume in service.get("volumes", []):
        source, target, *_ = volume.split(":")
        if source.startswith("."):
            mounts.append((source, target))
    return mounts


@pytest.mark.parametrize("service", ["driftmon", "prometheus", "alertmanager", "grafana"])
def test_compose_mounts_exist(service: str) -> None:
    for source, _ in _mounts(load_yaml(COMPOSE)["services"][service]):
        assert (DEPLOY / source).exists(), f"{service} mounts {source}, which does not exist"


def test_compose_wiring_between_services(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    services = load_yaml(COMPOSE)["services"]
    # driftmon serves the demo config with the compose overrides: it must load and listen widely.
    command = services["driftmon"]["command"]
    configs = [command[i + 1] for i, arg in enumerate(command) if arg == "-c"]
    assert configs == ["/opt/driftmon/config/demo.yaml", "/etc/driftmon/compose.yaml"]
    assert ("./compose/driftmon.yaml", "/etc/driftmon/compose.yaml") in _mounts(services["driftmon"])
    monkeypatch.setenv("DRIFTMON_DEMO_DIR", str(tmp_path))
    config = load_config([REPO / "config" / "demo.yaml", DEPLOY / "compose" / "driftmon.yaml"])
    assert config.server.host == "0.0.0.0"
    # Prometheus scrapes that port and sends to Alertmanager; Alertmanager reads the Slack secret.
    prometheus = load_yaml(DEPLOY / "prometheus" / "prometheus.yml")
    (job,) = prometheus["scrape_configs"]
    assert job["static_configs"][0]["targets"] == [f"driftmon:{config.server.port}"]
    assert prometheus["alerting"]["alertmanagers"][0]["static_configs"][0]["targets"] == ["alertmanager:9093"]
    alertmanager = load_yaml(DEPLOY / "alertmanager" / "alertmanager.yml")
    slack = next(r for r in alertmanager["receivers"] if r["name"] == "driftmon-slack")
    assert slack["slack_configs"][0]["api_url_file"] == "/run/secrets/slack-webhook-url"
    assert "slack-webhook-url" in services["alertmanager"]["secrets"]
