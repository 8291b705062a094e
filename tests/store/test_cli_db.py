"""`driftmon db upgrade | current | prune` against real databases."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from driftmon.cli import main
from driftmon.store import (
    DATABASE_URL_ENV,
    claim_run,
    finish_run,
    head_revision,
    make_engine,
    run_history,
    session_factory,
)
from tests.store.conftest import revision_of


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> CliRunner:
    monkeypatch.delenv(DATABASE_URL_ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    return CliRunner()


def test_upgrade_then_current(runner: CliRunner, database_url: str) -> None:
    before = runner.invoke(main, ["db", "current", "--check", "--database-url", database_url])
    assert before.exit_code == 1
    assert "empty (no driftmon tables)" in before.output
    assert "run `driftmon db upgrade`" in before.output
    done = runner.invoke(main, ["db", "upgrade", "--database-url", database_url])
    assert done.exit_code == 0, done.output
    assert f"empty -> {head_revision()}" in done.output
    again = runner.invoke(main, ["db", "upgrade", "--database-url", database_url])
    assert f"{head_revision()} -> {head_revision()}" in again.output
    after = runner.invoke(main, ["db", "current", "--check", "--database-url", database_url])
    assert after.exit_code == 0
    assert "(at head)" in after.output
    assert revision_of(database_url) == head_revision()


def test_default_sqlite_file_in_the_working_directory(runner: CliRunner, tmp_path: Path) -> None:
    done = runner.invoke(main, ["db", "upgrade"])
    assert done.exit_code == 0, done.output
    assert (tmp_path / "driftmon.sqlite").is_file()
    assert revision_of(f"sqlite:///{tmp_path / 'driftmon.sqlite'}") == head_revision()


def test_environment_variable(runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(DATABASE_URL_ENV, f"sqlite:///{tmp_path / 'from-env.sqlite'}")
    assert runner.invoke(main, ["db", "upgrade"]).exit_code == 0
    assert (tmp_path / "from-env.sqlite").is_file()
    assert not (tmp_path / "driftmon.sqlite").exists()


def test_config_file_database_and_retention(runner: CliRunner, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'configured.sqlite'}"
    config = tmp_path / "driftmon.yaml"
    config.write_text(f"database:\n  url: {url}\n  retention_days: 5\n")
    assert runner.invoke(main, ["db", "upgrade", "-c", str(config)]).exit_code == 0
    assert revision_of(url) == head_revision()
    engine = make_engine(url)
    sessions = session_factory(engine)
    old = datetime.now(UTC) - timedelta(days=10)
    with sessions() as s, s.begin():
        claim = claim_run(s, "m", old, old + timedelta(hours=1), now=old, stale_after=timedelta(hours=1))
        finish_run(s, claim, status="succeeded", finished_at=old)
    pruned = runner.invoke(main, ["db", "prune", "-c", str(config)])
    assert pruned.exit_code == 0, pruned.output
    assert "deleted 1 runs" in pruned.output
    assert "(kept 5 days)" in pruned.output
    with sessions() as s:
        assert run_history(s, "m") == []
    engine.dispose()


def test_prune_needs_a_retention(runner: CliRunner, sqlite_url: str) -> None:
    runner.invoke(main, ["db", "upgrade", "--database-url", sqlite_url])
    refused = runner.invoke(main, ["db", "prune", "--database-url", sqlite_url])
    assert refused.exit_code == 2
    assert "give --days N" in refused.output


def test_prune_refuses_a_database_not_at_head(runner: CliRunner, sqlite_url: str) -> None:
    refused = runner.invoke(main, ["db", "prune", "--days", "3", "--database-url", sqlite_url])
    assert refused.exit_code == 1
    assert "run `driftmon db upgrade`" in refused.output


def test_errors_hide_the_password(runner: CliRunner) -> None:
    url = "postgresql://alice:hunter2@127.0.0.1:1/nowhere"  # nothing listens on port 1
    failed = runner.invoke(main, ["db", "current", "--database-url", url])
    assert failed.exit_code == 1
    assert "cannot read postgresql://alice:***@127.0.0.1:1/nowhere" in failed.output
    assert "hunter2" not in failed.output


def test_unsupported_database(runner: CliRunner) -> None:
    failed = runner.invoke(main, ["db", "upgrade", "--database-url", "mysql://u@h/d"])
    assert failed.exit_code == 1
    assert "supports sqlite and postgresql, not 'mysql'" in failed.output


@pytest.mark.parametrize("command", ["upgrade", "current", "prune"])
def test_an_empty_database_url_is_a_message_not_a_traceback(command: str, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != DATABASE_URL_ENV}
    done = subprocess.run(
        [sys.executable, "-m", "driftmon", "db", command, "--database-url", ""],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1
    assert done.stderr == "error: the database URL given on the command line is empty\n"
    assert list(tmp_path.iterdir()) == []  # no SQLite file made on the way
