"""Calendar windows from the command line: backfill --last N months, run --window-end, overlap warnings.

The commands read the real clock, so the data covers the five months before now and the
expected windows are computed from the same clock (before and after, in case a month turns).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from driftmon.cli import main
from driftmon.store import make_engine, run_history, session_factory
from tests.service.helpers import write_parquet

DAY = timedelta(days=1)

CONFIG = """\
database:
  url: sqlite:///{store}
monitors:
  - name: monthly
    source: {{kind: file, path: {live}}}
    timestamp_column: event_time
    reference: {{path: {ref}}}
    window: {{size: 1mo}}
    columns: [x, {{name: c, kind: categorical}}]
  - name: overlapping
    enabled: false
    source: {{kind: file, path: {live}}}
    timestamp_column: event_time
    reference: {{start: {ref_start}, end: {ref_end}}}
    window: {{size: 1mo}}
    columns: [x]
"""


def month_start(moment: datetime, back: int = 0) -> datetime:
    index = moment.year * 12 + moment.month - 1 - back
    return datetime(index // 12, index % 12 + 1, 1, tzinfo=UTC)


def last_months(count: int) -> list[tuple[datetime, datetime]]:
    now = datetime.now(UTC)
    return [(month_start(now, k + 1), month_start(now, k)) for k in range(count - 1, -1, -1)]


@pytest.fixture
def setup(tmp_path: Path) -> tuple[Path, Path]:
    start = month_start(datetime.now(UTC), 5)
    days = (datetime.now(UTC) - start).days + 1
    live = write_parquet(tmp_path / "live.parquet", start, days, DAY, rows=20, seed=8)
    ref = write_parquet(tmp_path / "ref.parquet", start - 30 * DAY, 30, DAY, rows=20, seed=7)
    # The overlapping monitor's reference is the month before last, plus a day of last month.
    ref_start, ref_end = month_start(datetime.now(UTC), 2), month_start(datetime.now(UTC), 1) + DAY
    path = tmp_path / "driftmon.yaml"
    path.write_text(
        CONFIG.format(
            store=tmp_path / "store.sqlite",
            live=live,
            ref=ref,
            ref_start=ref_start.isoformat(),
            ref_end=ref_end.isoformat(),
        )
    )
    return path, tmp_path / "store.sqlite"


def stored_windows(store: Path, monitor: str) -> list[tuple[datetime, datetime, str | None]]:
    engine = make_engine(f"sqlite:///{store}")
    try:
        with session_factory(engine)() as session:
            runs = run_history(session, monitor, limit=100)
    finally:
        engine.dispose()
    return sorted((r.window_start, r.window_end, r.error) for r in runs)


def test_backfill_last_3_scores_exactly_the_last_three_calendar_months(setup: tuple[Path, Path]) -> None:
    config, store = setup
    before = last_months(3)
    result = CliRunner().invoke(main, ["backfill", "-c", str(config), "--monitor", "monthly", "--last", "3"])
    assert result.exit_code == 0, result.output
    expected = {tuple(before), tuple(last_months(3))}
    assert "monthly: 3 windows: 3 ran (3 succeeded), 0 already stored" in result.output
    stored = [(start, end) for start, end, _ in stored_windows(store, "monthly")]
    assert tuple(stored) in expected
    assert "warning" not in result.output  # a reference of other data never overlaps


def test_run_window_end_takes_a_month_boundary_only(setup: tuple[Path, Path]) -> None:
    config, _ = setup
    start, end = last_months(1)[0]
    runner = CliRunner()
    result = runner.invoke(
        main, ["run", "-c", str(config), "--monitor", "monthly", "--window-end", end.isoformat()]
    )
    assert result.exit_code == 0, result.output
    assert f"monthly  window {start.isoformat()} .. {end.isoformat()}: succeeded" in result.output
    middle = start + 10 * DAY
    refused = runner.invoke(
        main, ["run", "-c", str(config), "--monitor", "monthly", "--window-end", middle.isoformat()]
    )
    assert refused.exit_code == 1
    assert (
        f"--window-end {middle.isoformat()} is not a window boundary of monitor 'monthly' (1mo windows); "
        f"the nearest are {start.isoformat()} and {end.isoformat()}"
    ) in refused.output


def test_windows_overlapping_the_reference_are_warned_about_and_recorded(setup: tuple[Path, Path]) -> None:
    config, store = setup
    months = last_months(3)
    runner = CliRunner()
    # An explicit range is scored as asked (`--last N` would start after the reference period).
    span = ["--start", months[0][0].isoformat(), "--end", months[2][1].isoformat()]
    result = runner.invoke(main, ["backfill", "-c", str(config), "--monitor", "overlapping", *span])
    assert result.exit_code == 0, result.output
    ref_start, ref_end = months[1][0], months[2][0] + DAY
    period = f"[{ref_start.isoformat()}, {ref_end.isoformat()})"
    overlapping = f"[{months[1][0].isoformat()}, {months[1][1].isoformat()})"
    last = f"[{months[2][0].isoformat()}, {months[2][1].isoformat()})"
    assert (
        f"warning: monitor 'overlapping': 2 of 3 windows ({overlapping} to {last}) overlap its reference "
        f"period {period}; rows in both are compared with themselves, so drift is understated"
    ) in result.stderr
    errors = [error for _, _, error in stored_windows(store, "overlapping")]
    assert errors[0] is None
    assert errors[1] is not None
    assert errors[1].startswith(
        f"warning: monitor 'overlapping': window {overlapping} overlaps its reference"
    )
    assert errors[2] is not None
    assert last in errors[2]

    one = runner.invoke(
        main, ["run", "-c", str(config), "--monitor", "overlapping", "--window-end", months[2][1].isoformat()]
    )
    assert one.exit_code == 0, one.output
    assert (
        f"warning: monitor 'overlapping': window {last} overlaps its reference period {period}" in one.stderr
    )

    checked = runner.invoke(main, ["check-config", "-c", str(config)])
    assert checked.exit_code == 0, checked.output
    assert "warning" not in checked.output  # the overlapping monitor is disabled
    config.write_text(config.read_text().replace("enabled: false", "enabled: true"))
    checked = runner.invoke(main, ["check-config", "-c", str(config)])
    assert checked.exit_code == 0, checked.output
    assert (
        f"warning: monitor 'overlapping': window {last} overlaps its reference period {period}"
        in checked.stderr
    )
    assert "(the latest complete window)" in checked.stderr
