"""`driftmon rules`: generate the Prometheus alerting rules for a config."""

from __future__ import annotations

import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import click

from driftmon.cli.app import main
from driftmon.cli.common import config_files_option, fail
from driftmon.config import Config
from driftmon.rules import (
    DEFAULT_GRAFANA_URL,
    DEFAULT_JOB,
    DEFAULT_RUNBOOK_URL,
    RuleOptions,
    prometheus_rule_manifest,
    render_rules,
    rules_command,
)

# Stands in for unset variables with --allow-unset: valid wherever a URL or token is expected,
# and obviously not a real value. Secrets never shape the rules.
_STAND_IN = "unset://"


def _load(config_files: tuple[str, ...], allow_unset: bool) -> Config:
    """Load the config; with `allow_unset`, unset variables get a stand-in instead of failing."""
    from driftmon.config import load_config
    from driftmon.errors import UnsetVariableError

    environ = dict(os.environ)
    if allow_unset:
        try:
            return load_config(config_files, environ)
        except UnsetVariableError as exc:
            environ.update(dict.fromkeys(exc.variables, _STAND_IN))
    return load_config(config_files, environ)


def _write(path: str, text: str) -> None:
    """Replace `path` atomically: a reader never sees half a rule file."""
    target = Path(path)
    try:
        with tempfile.NamedTemporaryFile(
            "w", encoding="utf-8", dir=target.parent, prefix=f".{target.name}.", delete=False
        ) as handle:
            handle.write(text)
        os.replace(handle.name, target)
    except OSError as exc:
        fail(f"cannot write {path}: {exc.strerror or exc}")


@main.command("rules")
@config_files_option
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["prometheus", "kubernetes"]),
    default="prometheus",
    show_default=True,
    help="A Prometheus rule file, or a prometheus-operator PrometheusRule manifest.",
)
@click.option("-o", "--output", metavar="FILE", help="Write to FILE (replaced atomically) instead of stdout.")
@click.option("--job", default=DEFAULT_JOB, show_default=True, help="Prometheus job that scrapes driftmon.")
@click.option("--grafana-url", default=DEFAULT_GRAFANA_URL, show_default=True, help="Base URL of Grafana.")
@click.option(
    "--runbook-url",
    default=DEFAULT_RUNBOOK_URL,
    show_default=True,
    help="Base URL of the runbooks (docs/runbooks): each alert links to <URL>/<AlertName>.md.",
)
@click.option("--api-url", help="Base URL of driftmon's API in alert links. Default: server.public_url.")
@click.option("--name", default="driftmon", show_default=True, help="PrometheusRule name (kubernetes).")
@click.option("--namespace", help="PrometheusRule namespace (kubernetes). Default: none set.")
@click.option(
    "--allow-unset",
    is_flag=True,
    help="Stand in for environment variables that are not set (database URLs, tokens: they do not "
    "shape the rules), so rules can be generated where the secrets are not available.",
)
def rules(
    config_files: tuple[str, ...],
    output_format: str,
    output: str | None,
    job: str,
    grafana_url: str,
    runbook_url: str,
    api_url: str | None,
    name: str,
    namespace: str | None,
    allow_unset: bool,
) -> None:
    """Generate alerting rules for a config: drift per column, stale, failing and behind per monitor.

    Drift alerts fire on the alert state driftmon computes; the per-monitor alerts use each
    monitor's window size, schedule and timeout, so regenerate the rules when those change
    (DriftmonRulesOutdated fires when the running service and the rules disagree).
    """
    config = _load(config_files, allow_unset)
    options = RuleOptions(job=job, grafana_url=grafana_url, runbook_url=runbook_url, api_url=api_url)
    flags = [
        f"--{flag}={value}"
        for flag, value, default in (
            ("format", output_format, "prometheus"),
            ("job", job, DEFAULT_JOB),
            ("grafana-url", grafana_url, DEFAULT_GRAFANA_URL),
            ("runbook-url", runbook_url, DEFAULT_RUNBOOK_URL),
            ("api-url", api_url, None),
            ("name", name, "driftmon"),
            ("namespace", namespace, None),
        )
        if value != default
    ]
    command = rules_command(config_files, *flags, *(["--allow-unset"] if allow_unset else []))
    now = datetime.now(UTC)
    if output_format == "kubernetes":
        text = prometheus_rule_manifest(
            config, options, now=now, command=command, name=name, namespace=namespace
        )
    else:
        text = render_rules(config, options, now=now, command=command)
    if output is None:
        click.echo(text, nl=False)
    else:
        _write(output, text)
