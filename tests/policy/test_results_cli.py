"""Reading results back per window: `backfill --json`, `results [--csv]`, and `run --window-end` on history.

On the demo (config/demo.yaml has no `alerts:` block, so the default policy decides): each window's
record carries the alert state of that window, whether it was just scored or already stored.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from driftmon.cli import main

DEMO_CONFIG = Path(__file__).resolve().parents[2] / "config" / "demo.yaml"
STABLE = ("device", "account_age_days", "items_in_cart")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[CliRunner, dict[str, str]]:
    root = tmp_path_factory.mktemp("demo")
    env = {"DRIFTMON_DEMO_DIR": str(root)}
    runner = CliRunner()
    made = runner.invoke(main, ["demo", "--dir", str(root)], env=env)
    assert made.exit_code == 0, made.output
    return runner, env


def _invoke(demo: tuple[CliRunner, dict[str, str]], *args: str) -> str:
    runner, env = demo
    result = runner.invoke(main, [args[0], "-c", str(DEMO_CONFIG), *args[1:]], env=env)
    assert result.exit_code == 0, result.output
    return result.stdout


def test_backfill_json_gives_each_window_and_column_with_the_alert_state_of_that_window(demo) -> None:
    out = _invoke(demo, "backfill", "--monitor", "checkout-fraud", "--last", "16", "--json")
    records = [json.loads(line) for line in out.splitlines()]
    assert len(records) == 16 * 7
    by_column: dict[str, list[dict]] = {}
    for record in records:
        assert record["monitor"] == "checkout-fraud"
        assert record["status"] == "ok"
        assert set(record["p_values"]) == set(record["noise"]) >= {"js_divergence", "psi"}
        by_column.setdefault(record["column"], []).append(record)
    windows = [r["window_end"] for r in by_column["amount"]]
    assert windows == sorted(windows)
    amount = [r["alerts"]["js_divergence"] for r in by_column["amount"]]
    # Drift starts 12 hours before the demo's data was made: quiet first, then a warning that holds.
    assert amount[0] == "ok"
    assert amount[-1] == "warning"
    assert amount == sorted(amount, key=["ok", "warning"].index)
    assert by_column["country"][-1]["alerts"] == {"js_divergence": "critical"}
    for name in STABLE:
        assert {r["alerts"]["js_divergence"] for r in by_column[name]} == {"ok"}
    # Run again: every window is already stored, and reads back the same.
    again = _invoke(demo, "backfill", "--monitor", "checkout-fraud", "--last", "16", "--json")
    assert [json.loads(line) for line in again.splitlines()] == records


def test_run_on_an_older_window_reports_the_alert_state_stored_for_it(demo) -> None:
    out = _invoke(demo, "backfill", "--monitor", "checkout-fraud", "--last", "16", "--json")
    amount = [r for r in map(json.loads, out.splitlines()) if r["column"] == "amount"]
    first_warning = next(r for r in amount if r["alerts"]["js_divergence"] == "warning")
    older = amount[amount.index(first_warning) - 1]
    for record in (older, first_warning):
        stored = json.loads(
            _invoke(
                demo, "run", "--monitor", "checkout-fraud", "--window-end", record["window_end"], "--json"
            )
        )
        column = next(c for c in stored["columns"] if c["column"] == "amount")
        assert column["alerts"] == record["alerts"]
    assert older["alerts"] == {"js_divergence": "ok"}


def test_results_csv_has_one_row_per_window_with_each_statistics_value_p_value_noise_and_alert(demo) -> None:
    out = _invoke(demo, "backfill", "--monitor", "checkout-fraud", "--last", "16", "--json")
    amount = [r for r in map(json.loads, out.splitlines()) if r["column"] == "amount"]
    since = amount[0]["window_start"]
    rows = list(
        csv.DictReader(
            io.StringIO(
                _invoke(
                    demo,
                    "results",
                    "--monitor",
                    "checkout-fraud",
                    "--since",
                    since,
                    "--column",
                    "amount",
                    "--csv",
                )
            )
        )
    )
    assert [r["window_end"] for r in rows] == [r["window_end"] for r in amount]
    for row, record in zip(rows, amount, strict=True):
        assert float(row["js_divergence"]) == record["js_divergence"]
        assert float(row["js_divergence_p_value"]) == record["p_values"]["js_divergence"]
        assert float(row["js_divergence_noise"]) == record["noise"]["js_divergence"]
        assert row["js_divergence_alert"] == record["alerts"]["js_divergence"]
    lines = _invoke(demo, "results", "--monitor", "checkout-fraud", "--since", since).splitlines()
    assert len(lines) == 16 * 7


def test_results_refuses_an_unknown_column_and_an_empty_range(demo) -> None:
    runner, env = demo
    unknown = runner.invoke(
        main, ["results", "-c", str(DEMO_CONFIG), "--monitor", "churn", "--column", "amount"], env=env
    )
    assert unknown.exit_code != 0
    assert "monitor 'churn' has no column 'amount'" in unknown.output
    empty = runner.invoke(
        main,
        [
            "results",
            "-c",
            str(DEMO_CONFIG),
            "--monitor",
            "churn",
            "--since",
            "2030-01-01T00:00:00Z",
            "--until",
            "2029-01-01T00:00:00Z",
        ],
        env=env,
    )
    assert empty.exit_code != 0
    assert "is not before --until" in empty.output
