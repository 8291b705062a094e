"""The default policy end to end: `driftmon backfill --json` from Parquet, a training set as the reference.

The RAND HIE free plan's reference half is the reference file (no timestamp column: a training
set as it is); live files hold 500 rows an hour of the 95% plan (monitor `paying`) and of the free
plan's held-out half (monitor `held-out`). The config has no `alerts:` block.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pandas as pd
import pytest
from click.testing import CliRunner

from driftmon.cli import main
from tests.policy.realdata import HOUR, RAND_CATEGORICAL, RAND_CONTROL, RAND_DRIFT, START, randhie

ROWS_PER_HOUR = 500
HOURS = 5


def _live(frame: pd.DataFrame) -> pd.DataFrame:
    rows = frame.iloc[: ROWS_PER_HOUR * HOURS].copy()
    offsets = [timedelta(seconds=3600 * i / ROWS_PER_HOUR) for i in range(len(rows))]
    rows["event_time"] = [START + offset for offset in offsets]
    return rows


@pytest.fixture(scope="module")
def records(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[dict]]:
    root = tmp_path_factory.mktemp("rand")
    frame = randhie()
    free = frame[frame["coins"] == 0].sample(frac=1.0, random_state=1)
    paying = frame[frame["coins"] == 95].sample(frac=1.0, random_state=2)
    columns = list(RAND_DRIFT + RAND_CONTROL)
    free.iloc[: len(free) // 2][columns].to_parquet(root / "training.parquet", index=False)
    (root / "paying").mkdir()
    (root / "held-out").mkdir()
    _live(paying)[[*columns, "event_time"]].to_parquet(root / "paying" / "part.parquet", index=False)
    _live(free.iloc[len(free) // 2 :])[[*columns, "event_time"]].to_parquet(
        root / "held-out" / "part.parquet", index=False
    )
    spec = [{"name": c, "kind": "categorical"} if c in RAND_CATEGORICAL else c for c in columns]
    monitor = {
        "source": {"kind": "file", "format": "parquet"},
        "timestamp_column": "event_time",
        "reference": {"path": str(root / "training.parquet")},
        "window": {"size": "1h"},
        "columns": spec,
    }
    config = {
        "database": {"url": f"sqlite:///{root}/driftmon.sqlite"},
        "monitors": [
            {**monitor, "name": name, "source": {**monitor["source"], "path": str(root / name)}}
            for name in ("paying", "held-out")
        ],
    }
    path = root / "driftmon.yaml"
    path.write_text(json.dumps(config))
    end = START + HOURS * HOUR
    args = ["backfill", "-c", str(path), "--start", START.isoformat(), "--end", end.isoformat(), "--json"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    out: dict[str, list[dict]] = {}
    for line in result.stdout.splitlines():
        record = json.loads(line)
        out.setdefault(f"{record['monitor']}/{record['column']}", []).append(record)
    return out


def _states(records: list[dict]) -> list[str]:
    return [r["alerts"]["js_divergence"] for r in records]


@pytest.mark.parametrize("column", RAND_DRIFT)
def test_care_on_the_95_percent_plan_alerts_from_the_second_window_at_the_latest(
    records, column: str
) -> None:
    states = _states(records[f"paying/{column}"])
    assert len(states) == HOURS
    assert "ok" not in states[1:], states
    assert {r["n_live"] for r in records[f"paying/{column}"]} == {ROWS_PER_HOUR}


@pytest.mark.parametrize("column", RAND_CONTROL)
def test_balanced_covariates_stay_quiet(records, column: str) -> None:
    assert set(_states(records[f"paying/{column}"])) == {"ok"}


@pytest.mark.parametrize("column", RAND_DRIFT + RAND_CONTROL)
def test_held_out_rows_of_the_training_arm_stay_quiet(records, column: str) -> None:
    held = records[f"held-out/{column}"]
    assert set(_states(held)) == {"ok"}
    assert all(r["status"] == "ok" for r in held)
