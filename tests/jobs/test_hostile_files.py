"""Bad files and bad text through run_window and backfill: one window or one column fails, named.

- Hive date partitions: a corrupt file in a partition after the window is never opened; a
  truncated (still being written) file inside the window fails that window, naming the file,
  and the window succeeds once the file is complete. Hidden files (`_temporary/`) are skipped.
- Text that is not UTF-8 in a Parquet string column or a CSV field fails that column alone,
  naming the column and the file; the other columns are still scored.
- A categorical column whose type cannot be matched to its baseline (floats against strings)
  is `type_changed`, not scored, and moves no alert.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy.orm import Session, sessionmaker

from driftmon.jobs import backfill, run_window
from driftmon.store import alert_history, latest_results
from driftmon.windows import Window
from tests.jobs.conftest import HOUR, STABLE, T0, monitor, write_events

DAY = timedelta(days=1)


def _day(root: Path, day: int, name: str = "part-0.parquet") -> Path:
    return root / f"date={(T0 + day * DAY).date().isoformat()}" / name


def test_a_bad_file_fails_only_the_windows_its_partition_holds(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    live = tmp_path / "live"
    write_events(tmp_path / "reference.parquet", T0 - DAY, 24, STABLE, rows_per_hour=300, seed=7)
    write_events(_day(live, 0), T0, 3, STABLE, seed=8)
    second = _day(live, 1)
    write_events(second, T0 + DAY, 2, STABLE, seed=9)
    complete = second.read_bytes()
    second.write_bytes(complete[: len(complete) // 2])  # still being written: no footer yet
    _day(live, 2).parent.mkdir(parents=True)
    _day(live, 2).write_bytes(b"PAR1 this is not a parquet file")  # corrupt, after every window
    hidden = _day(live, 0).parent / "_temporary" / "0" / "part-9.parquet"
    hidden.parent.mkdir(parents=True)
    hidden.write_bytes(b"PAR1 half")  # a writer's scratch file inside the window's partition
    m = monitor(live, {"path": str(tmp_path / "reference.parquet")}, ["x", "c"])
    now = T0 + 3 * DAY

    first = backfill(m, T0, T0 + 3 * HOUR, sessions=sessions, now=now)
    assert [r.status for r in first.runs] == ["succeeded"] * 3

    broken = backfill(m, T0 + DAY, T0 + DAY + 2 * HOUR, sessions=sessions, now=now)
    assert [r.status for r in broken.runs] == ["failed", "failed"]
    for run in broken.runs:
        assert run.error is not None
        assert f"cannot read {second}" in run.error

    later = run_window(m, Window(T0 + 2 * HOUR, T0 + 3 * HOUR), sessions=sessions, now=now)
    assert later.skipped == "already_done"  # a failed window elsewhere changes nothing here

    second.write_bytes(complete)  # the writer finished: the failed windows heal on their retry
    healed = backfill(m, T0 + DAY, T0 + DAY + 2 * HOUR, sessions=sessions, now=now)
    assert [(r.status, r.attempt) for r in healed.runs] == [("succeeded", 2), ("succeeded", 2)]
    assert all(r.rows_read == 500 for r in healed.runs)


def _strings_with_bad_byte(n: int, rng: np.random.Generator, bad_at: int | None) -> pa.Array:
    values = [v.encode() for v in rng.choice(["a", "b", "c"], n).tolist()]
    if bad_at is not None:
        values[bad_at] = b"\xff\xfeb"
    # Parquet writers that do not check their bytes: the column is typed string, the bytes are not UTF-8.
    return pa.array(values, pa.binary()).view(pa.string())


def _events(path: Path, hours: int, bad_hour: int | None, seed: int) -> None:
    rng = np.random.default_rng(seed)
    parts = []
    for h in range(hours):
        stamps = [T0 + h * HOUR + timedelta(seconds=float(s)) for s in np.sort(rng.uniform(0, 3599, 400))]
        parts.append(
            pa.table(
                {
                    "event_time": pa.array(stamps, pa.timestamp("us", tz="UTC")),
                    "x": pa.array(rng.normal(size=400)),
                    "c": _strings_with_bad_byte(400, rng, 17 if h == bad_hour else None),
                }
            )
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.concat_tables(parts), path)


def test_invalid_utf8_in_a_parquet_string_column_fails_that_column(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    write_events(tmp_path / "reference.parquet", T0 - DAY, 24, STABLE, rows_per_hour=300, seed=7)
    live = tmp_path / "live" / "part-0.parquet"
    _events(live, 2, bad_hour=1, seed=3)
    m = monitor(
        live, {"path": str(tmp_path / "reference.parquet")}, ["x", {"name": "c", "kind": "categorical"}]
    )
    good, bad = backfill(m, T0, T0 + 2 * HOUR, sessions=sessions, now=T0 + DAY).runs
    assert good.status == "succeeded"
    assert bad.status == "partial"
    columns = {c.column: c for c in bad.columns}
    assert columns["x"].status == "ok"
    assert columns["c"].status == "failed"
    assert columns["c"].error == (
        f"column 'c': value b'\\xff\\xfeb' in {live} is not valid UTF-8 text; re-encode the file as "
        "UTF-8 (only this column fails; the others are still counted)"
    )
    assert bad.error is not None
    assert "1 of 2 columns failed" in bad.error


def test_a_csv_byte_that_is_not_utf8_fails_its_column_not_the_run(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    write_events(tmp_path / "reference.parquet", T0 - DAY, 24, STABLE, rows_per_hour=300, seed=7)
    rng = np.random.default_rng(4)
    lines = [b"event_time,x,y,c"]
    for i in range(600):
        stamp = (T0 + timedelta(seconds=6 * i)).strftime("%Y-%m-%dT%H:%M:%SZ").encode()
        c = rng.choice(["a", "b", "c"]).encode()
        y = b"%.4f" % (5 + rng.normal())
        if i == 450:
            c = b"caf\xe9"  # Latin-1, not UTF-8
        if i == 500:
            y = b"5.\xb0"
        lines.append(b"%s,%.5f,%s,%s" % (stamp, rng.normal(), y, c))
    live = tmp_path / "live.csv"
    live.write_bytes(b"\n".join(lines) + b"\n")
    m = monitor(
        live, {"path": str(tmp_path / "reference.parquet")}, ["x", "y", {"name": "c", "kind": "categorical"}]
    )
    run = run_window(m, Window(T0, T0 + HOUR), sessions=sessions, now=T0 + DAY)
    assert run.status == "partial"
    columns = {c.column: c for c in run.columns}
    assert columns["x"].status == "ok"
    assert columns["x"].n_live == 600
    for name, value in (("c", "b'caf\\xe9'"), ("y", "b'5.\\xb0'")):
        assert columns[name].status == "failed"
        assert columns[name].error == (
            f"column {name!r}: value {value} in {live} is not valid UTF-8 text; re-encode the file as "
            "UTF-8 (only this column fails; the others are still counted)"
        )


def test_values_of_a_type_that_cannot_be_matched_are_a_type_change_not_drift(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    write_events(tmp_path / "reference.parquet", T0 - DAY, 24, STABLE, rows_per_hour=300, seed=7)
    rng = np.random.default_rng(5)
    stamps = [T0 + timedelta(seconds=float(s)) for s in np.sort(rng.uniform(0, 3599, 500))]
    live = tmp_path / "live.parquet"
    table = {
        "event_time": pa.array(stamps, pa.timestamp("us", tz="UTC")),
        "x": pa.array(rng.normal(size=500)),
        "c": pa.array(rng.choice([1.0, 2.0, 3.0], 500)),  # the reference has "a", "b", "c"
    }
    pq.write_table(pa.table(table), live)
    m = monitor(
        live,
        {"path": str(tmp_path / "reference.parquet")},
        ["x", {"name": "c", "kind": "categorical"}],
        alerts={"js_divergence": {"warning": 0.02, "critical": 0.05, "for_windows": 1}},
    )
    run = run_window(m, Window(T0, T0 + HOUR), sessions=sessions, now=T0 + DAY)
    assert run.status == "partial"
    c = {col.column: col for col in run.columns}["c"]
    assert c.status == "type_changed"
    assert c.n_live is None
    assert c.scores == {}
    assert c.error == (
        "column 'c': type changed: the baseline's categories are string, the live values float; not "
        "compared: values of these types cannot be matched safely (cast the column back to its "
        "reference type, or refit the baseline)"
    )
    assert run.failed_columns == (c,)
    assert run.transitions == ()
    with sessions() as session:
        stored = {r.column: r for r in latest_results(session)}
        assert alert_history(session) == []
    assert stored["c"].status == "type_changed"
    assert stored["c"].scores.get("js_divergence") is None
    assert stored["x"].status == "ok"
