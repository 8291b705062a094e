"""What the rule generator needs beyond the config: the scrape job and where links point."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from driftmon.config import Config
from driftmon.errors import DriftmonError

# The shipped Grafana dashboard (deploy/grafana/dashboards/driftmon.json) has this uid, so
# links from alerts keep working across re-imports.
DASHBOARD_UID = "driftmon-overview"
DASHBOARD_SLUG = "driftmon"
DEFAULT_JOB = "driftmon"
# Grafana of deploy/docker-compose.yml.
DEFAULT_GRAFANA_URL = "http://localhost:3000"
# The runbooks are docs/runbooks/<AlertName>.md of the driftmon repository.
DEFAULT_RUNBOOK_URL = "https://github.com/driftmon/driftmon/blob/main/docs/runbooks"

_JOB = re.compile(r"[A-Za-z0-9_.:/-]+")


class RuleOptionsError(DriftmonError, ValueError):
    """A rule generator option is unusable; the message names the option and the value."""


def _base_url(value: str, option: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise RuleOptionsError(
            f"{option} must be an http(s) URL without query or fragment, such as "
            f"https://grafana.example.com, got {value!r}"
        )
    return value.rstrip("/")


@dataclass(frozen=True)
class RuleOptions:
    """Links and the Prometheus job the rules refer to; `api_url` None takes the config's public_url."""

    job: str = DEFAULT_JOB
    grafana_url: str = DEFAULT_GRAFANA_URL
    runbook_url: str = DEFAULT_RUNBOOK_URL
    api_url: str | None = None

    def checked(self, config: Config) -> RuleOptions:
        """Return the options with URLs normalised and the API URL resolved, or raise RuleOptionsError."""
        if not _JOB.fullmatch(self.job):
            raise RuleOptionsError(
                f"--job must be a Prometheus job name (letters, digits, '_', '.', ':', '/', '-'), "
                f"got {self.job!r}"
            )
        api = self.api_url if self.api_url is not None else config.server.public_url
        return RuleOptions(
            job=self.job,
            grafana_url=_base_url(self.grafana_url, "--grafana-url"),
            runbook_url=_base_url(self.runbook_url, "--runbook-url"),
            api_url=None if api is None else _base_url(api, "--api-url (or server.public_url)"),
        )

    def runbook(self, alert: str) -> str:
        """Return the runbook page of `alert`."""
        return f"{self.runbook_url}/{alert}.md"

    def dashboard(self, *variables: str) -> str:
        """Return the dashboard link, with each named label passed as a dashboard variable."""
        query = "&".join(f"var-{v}={{{{ $labels.{v} | urlquery }}}}" for v in variables)
        url = f"{self.grafana_url}/d/{DASHBOARD_UID}/{DASHBOARD_SLUG}"
        return f"{url}?{query}" if query else url
