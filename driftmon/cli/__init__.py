"""The `driftmon` command line: `main` is the entry point; the commands register themselves on import."""

from __future__ import annotations

from driftmon.cli import baseline, check, db, demo, results, rules, runs, serve  # noqa: F401  (registers the commands)
from driftmon.cli.app import main

__all__ = ["main"]
