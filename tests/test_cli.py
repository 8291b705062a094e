"""The run, backfill, baseline and demo commands, on the demo data and the demo config."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from driftmon.cli import main
from driftmon.core import STATISTICS

ROOT = Path(__file__).resolve().parents[1]
DEMO_CONFIG = str(ROOT / "config" / "demo.yaml")
COLUMN_KEYS = {
    "column",
    "kind",
    "role",
    "baseline_version",
    "n_reference",
    "n_live",
    *STATISTICS,
    "p_value",
    "status",
    "top_bins",
}
TOP_BIN_KEYS = {"bin", "index", "reference_share", "live_share", "contribution"}


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Demo data made by `driftmon demo` for the current hour (the commands use the real clock)."""
    directory = tmp_path_factory.mktemp("cli") / "demo"
    result = CliRunner().invoke(main, ["demo", "--dir", str(directory)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"wrote {directory}/ events ")
    return directory


@pytest.fixture
def runner(demo_dir: Path, tmp_path: Path) -> CliRunner:
    """A runner whose demo config reads `demo_dir` and stores into a fresh SQLite file."""
    return CliRunner(
        env={
            "DRIFTMON_DEMO_DIR": str(demo_dir),
            "DRIFTMON_DATABASE_URL": f"sqlite:///{tmp_path}/store.sqlite",
        }
    )


def test_demo_is_idempotent(runner: CliRunner, demo_dir: Path) -> None:
    again = runner.invoke(main, ["demo", "--dir", str(demo_dir)])
    assert again.exit_code == 0, again.output
    assert again.output.startswith(f"up to date: {demo_dir}/ events ")


def test_run_json_is_one_document_with_every_field(runner: CliRunner) -> None:
    result = runner.invoke(main, ["run", "-c", DEMO_CONFIG, "--monitor", "checkout-fraud", "--json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert {"monitor", "window_start", "window_end", "status", "columns"} <= set(document)
    assert document["monitor"] == "checkout-fraud"
    assert document["status"] == "succeeded"
    assert document["skipped"] is None
    columns = document["columns"]
    assert [c["column"] for c in columns] == [
        "amount",
        "country",
        "device",
        "account_age_days",
        "session_seconds",
        "items_in_cart",
        "fraud_score",
    ]
    for column in columns:
        assert set(column) >= COLUMN_KEYS, COLUMN_KEYS - set(column)
        assert column["baseline_version"] == 1
        assert column["status"] == "ok"
        assert column["n_reference"] == 40_000
        assert all(isinstance(column[s], float) for s in STATISTICS)
        assert 0 <= column["p_value"] <= 1
        assert column["top_bins"]
        assert all(set(b) == TOP_BIN_KEYS for b in column["top_bins"])
    assert columns[-1]["role"] == "prediction"
    assert {c["kind"] for c in columns} == {"numeric", "categorical"}
    # The latest window is hours into the drift: the drifted columns are alerting.
    assert columns[1]["top_bins"][0]["bin"] == "other"

    again = runner.invoke(main, ["run", "-c", DEMO_CONFIG, "--monitor", "checkout-fraud", "--json"])
    assert again.exit_code == 0, again.output
    stored = json.loads(again.stdout)
    assert stored["skipped"] == "already_done"
    assert stored["run_id"] == document["run_id"]
    assert stored["columns"] == document["columns"]


def test_run_prints_a_table(runner: CliRunner) -> None:
    result = runner.invoke(main, ["run", "-c", DEMO_CONFIG, "--monitor", "churn"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("churn  window ")
    assert lines[0].endswith("rows")
    assert lines[1].split()[:6] == ["column", "kind", "role", "base", "n_live", "js_div"]
    assert [line.split()[0] for line in lines[3:7]] == [
        "tenure_months",
        "plan",
        "monthly_charges",
        "churn_probability",
    ]
    assert "fitted baseline v1 for 'plan': categorical" in result.stdout


def test_a_run_can_name_its_window(runner: CliRunner, demo_dir: Path) -> None:
    manifest = json.loads((demo_dir / "manifest.json").read_text())
    end = manifest["drift_start"]
    result = runner.invoke(
        main, ["run", "-c", DEMO_CONFIG, "--monitor", "churn", "--window-end", end, "--json"]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["window_end"] == end
    off = runner.invoke(
        main, ["run", "-c", DEMO_CONFIG, "--monitor", "churn", "--window-end", end[:14] + "30:00Z"]
    )
    assert off.exit_code == 1
    assert "is not a window boundary of monitor 'churn' (1h windows)" in off.stderr
    future = runner.invoke(
        main, ["run", "-c", DEMO_CONFIG, "--monitor", "churn", "--window-end", manifest["live_end"]]
    )
    assert future.exit_code == 1
    assert "is not complete until" in future.stderr


def test_backfill_shows_progress_and_skips_stored_windows(runner: CliRunner) -> None:
    first = runner.invoke(main, ["backfill", "-c", DEMO_CONFIG, "--monitor", "churn", "--last", "3"])
    assert first.exit_code == 0, first.output
    # Not a terminal: one summary line per monitor and nothing else (no progress bar, no label).
    assert first.stdout.splitlines() == [
        "churn: 3 windows: 3 ran (3 succeeded), 0 already stored, 0 alert transitions"
    ]
    assert "churn" not in first.stderr
    second = runner.invoke(main, ["backfill", "-c", DEMO_CONFIG, "--last", "4"])
    assert second.exit_code == 0, second.output
    assert "churn: 4 windows: 1 ran (1 succeeded), 3 already stored" in second.stdout
    assert "checkout-fraud: 4 windows: 4 ran (4 succeeded), 0 already stored" in second.stdout


def test_backfill_draws_its_progress_bar_on_a_terminal(demo_dir: Path, tmp_path: Path) -> None:
    env = {
        **os.environ,
        "DRIFTMON_DEMO_DIR": str(demo_dir),
        "DRIFTMON_DATABASE_URL": f"sqlite:///{tmp_path}/store.sqlite",
        "COLUMNS": "100",
    }
    args = [
        sys.executable,
        "-m",
        "driftmon",
        "backfill",
        "-c",
        DEMO_CONFIG,
        "--monitor",
        "churn",
        "--last",
        "3",
    ]
    controller, terminal = pty.openpty()
    try:
        with subprocess.Popen(
            args, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=terminal, stderr=terminal
        ) as process:
            os.close(terminal)
            terminal = -1
            seen = b""
            while True:
                try:
                    chunk = os.read(controller, 4096)
                except OSError:  # the terminal closed: the process is done
                    break
                if not chunk:
                    break
                seen += chunk
            assert process.wait(timeout=120) == 0, seen
    finally:
        os.close(controller)
        if terminal >= 0:
            os.close(terminal)
    text = seen.decode(errors="replace")
    assert "churn  [" in text, text  # the bar...
    assert "3/3" in text, text  # ...drawn to its end
    assert "churn: 3 windows: 3 ran (3 succeeded)" in text


def test_backfill_by_range(runner: CliRunner, demo_dir: Path) -> None:
    manifest = json.loads((demo_dir / "manifest.json").read_text())
    args = ["backfill", "-c", DEMO_CONFIG, "--monitor", "churn", "--start", manifest["live_start"]]
    result = runner.invoke(main, [*args, "--end", manifest["drift_start"]])
    assert result.exit_code == 0, result.output
    assert "churn: 36 windows: 36 ran (36 succeeded)" in result.stdout
    both = runner.invoke(main, [*args, "--last", "2"])
    assert both.exit_code == 2
    assert "give --last N, or --start and --end, not both" in both.output


def test_baseline_fit_and_list(runner: CliRunner) -> None:
    fit = runner.invoke(
        main, ["baseline", "fit", "-c", DEMO_CONFIG, "--monitor", "churn", "--column", "plan"]
    )
    assert fit.exit_code == 0, fit.output
    assert "plan: v1, categorical, 5 bins, 40000 values" in fit.stdout
    refit = runner.invoke(main, ["baseline", "fit", "-c", DEMO_CONFIG, "--monitor", "churn"])
    assert refit.exit_code == 0, refit.output
    assert "plan: v2, categorical" in refit.stdout
    assert "tenure_months: v1, numeric, 11 bins" in refit.stdout
    listed = runner.invoke(main, ["baseline", "list", "-c", DEMO_CONFIG, "--monitor", "churn"])
    assert listed.exit_code == 0, listed.output
    rows = [line.split()[:4] for line in listed.stdout.splitlines()[2:]]
    assert ["churn", "plan", "v1"] in [r[:3] for r in rows]
    assert ["churn", "plan", "v2", "*"] in rows
    active = runner.invoke(main, ["baseline", "list", "-c", DEMO_CONFIG, "--active"])
    assert len(active.stdout.splitlines()) == 2 + 4
    unknown = runner.invoke(
        main, ["baseline", "fit", "-c", DEMO_CONFIG, "--monitor", "churn", "--column", "x"]
    )
    assert unknown.exit_code == 1
    assert "monitor 'churn' has no column 'x'" in unknown.stderr


def test_bad_input_exits_1_with_a_clear_message(runner: CliRunner, tmp_path: Path) -> None:
    unknown = runner.invoke(main, ["run", "-c", DEMO_CONFIG, "--monitor", "nope"])
    assert unknown.exit_code == 1
    assert (
        "no monitor named 'nope' in the configuration; monitors: 'checkout-fraud', 'churn'" in unknown.stderr
    )

    broken = tmp_path / "broken.yaml"
    broken.write_text("monitors:\n  - name: x\n    windw: 1h\n")
    invalid = runner.invoke(main, ["run", "-c", str(broken), "--monitor", "x"])
    assert invalid.exit_code == 1
    assert (
        f"{broken}:3: monitors[0].windw (monitor 'x'): unknown key 'windw'; did you mean 'window'?"
        in invalid.stderr
    )

    empty = tmp_path / "no-data"
    empty.mkdir()
    failed = runner.invoke(
        main, ["run", "-c", DEMO_CONFIG, "--monitor", "churn"], env={"DRIFTMON_DEMO_DIR": str(empty)}
    )
    assert failed.exit_code == 1
    assert f"no such file: {empty}/churn/reference.parquet" in failed.stderr
    assert "error: monitor 'churn' window [" in failed.stderr

    usage = runner.invoke(main, ["run", "-c", DEMO_CONFIG])
    assert usage.exit_code == 2
    assert "Missing option '--monitor'" in usage.output


@pytest.mark.postgres
def test_a_postgresql_store_must_be_upgraded_first(runner: CliRunner, postgres_url: str) -> None:
    args = ["run", "-c", DEMO_CONFIG, "--monitor", "churn", "--database-url", postgres_url]
    refused = runner.invoke(main, args)
    assert refused.exit_code == 1
    assert "has no driftmon tables" in refused.stderr
    assert "run `driftmon db upgrade`" in refused.stderr
    assert runner.invoke(main, ["db", "upgrade", "--database-url", postgres_url]).exit_code == 0
    done = runner.invoke(main, args)
    assert done.exit_code == 0, done.output


def test_run_json_from_a_real_process_is_only_json_on_stdout(demo_dir: Path, tmp_path: Path) -> None:
    env = os.environ | {
        "DRIFTMON_DEMO_DIR": str(demo_dir),
        "DRIFTMON_DATABASE_URL": f"sqlite:///{tmp_path}/s.sqlite",
    }
    command = [sys.executable, "-m", "driftmon", "run", "-c", DEMO_CONFIG, "--monitor", "churn", "--json"]
    done = subprocess.run(
        command, capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["monitor"] == "churn"
    assert "schema created" in done.stderr  # the SQLite store was created on the way


def test_a_driftmon_error_is_one_line_on_stderr_not_a_traceback(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "driftmon", "run", "-c", DEMO_CONFIG, "--monitor", "nope"]
    env = os.environ | {"DRIFTMON_DATABASE_URL": f"sqlite:///{tmp_path}/s.sqlite"}
    done = subprocess.run(
        command, capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120, check=False
    )
    assert done.returncode == 1
    assert done.stderr == (
        "error: no monitor named 'nope' in the configuration; monitors: 'checkout-fraud', 'churn'\n"
    )
    assert done.stdout == ""
