"""`driftmon serve` end to end: a real server process on a free port, real HTTP, real signals.

The server runs on the wall clock, so the data is written around the current time and every
wait polls with a deadline.
"""

from __future__ import annotations

import itertools
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from driftmon.core import STATISTICS
from driftmon.metrics import STATISTIC_METRICS
from driftmon.store import (
    RunRecord,
    alert_history,
    get_run,
    latest_results,
    make_engine,
    run_history,
    session_factory,
)

from .helpers import (
    HOUR,
    Parsed,
    file_monitor,
    free_port,
    monitor,
    poll,
    series,
    value,
    write_parquet,
    write_sqlite,
)
from .server import Receiver, promtool_check, serve_process, wait_until, write_config

ENV = {k: v for k, v in os.environ.items() if k != "DRIFTMON_DATABASE_URL"}


def floor(moment: datetime, size: timedelta) -> datetime:
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    return epoch + (moment - epoch) // size * size


@pytest.fixture
def store_of(tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    """Sessions on the SQLite store the server in tmp_path writes (read alongside it, WAL mode)."""
    engine = make_engine(f"sqlite:///{tmp_path / 'driftmon.sqlite'}")
    yield session_factory(engine)
    engine.dispose()


def base(tmp_path: Path, port: int, monitors: list[dict[str, Any]], **sections: Any) -> dict[str, Any]:
    return {
        "database": {"url": f"sqlite:///{tmp_path / 'driftmon.sqlite'}"},
        "server": {"port": port},
        "monitors": monitors,
        **sections,
    }


def all_runs(sessions: sessionmaker[Session], name: str) -> list[RunRecord]:
    with sessions() as session:
        return sorted(run_history(session, name, limit=10_000), key=lambda r: r.window_start)


def behind(parsed: Parsed, *monitors: str) -> bool:
    found = series(parsed, "driftmon_monitor_windows_behind")
    return all(found.get(frozenset({("monitor", m)})) == 0 for m in monitors)


def test_metrics_equal_the_stored_results_pass_promtool_and_alerts_reach_the_webhook(
    tmp_path: Path, store_of: sessionmaker[Session]
) -> None:
    hour = floor(datetime.now(UTC), HOUR)
    start = hour - 6 * HOUR
    ref = write_parquet(tmp_path / "ref.parquet", start - 24 * HOUR, 24, rows=200, seed=7)
    write_parquet(tmp_path / "m1" / "a.parquet", start, 3, seed=8)
    write_parquet(tmp_path / "m1" / "b.parquet", start + 3 * HOUR, 4, shift=1.0, seed=9)  # drift
    write_parquet(tmp_path / "m2" / "a.parquet", start, 7, seed=10)
    port = free_port()
    with Receiver() as receiver:
        cfg = base(
            tmp_path,
            port,
            # m1 exports every family, m2 the default metric set.
            [
                file_monitor("m1", tmp_path / "m1", ref, metrics="full"),
                file_monitor("m2", tmp_path / "m2", ref),
            ],
            server={"port": port, "public_url": "http://driftmon.test"},
            scheduler={"max_backfill_windows": 6},
            logging={"format": "json"},
            notifiers=[{"name": "hook", "url": receiver.url, "retries": 1, "timeout": "5s"}],
        )
        path = write_config(tmp_path / "driftmon.yaml", cfg)
        with serve_process(path, tmp_path, port=port, env=ENV) as server:
            server.start()

            def consistent() -> tuple[bytes, Parsed, list[Any]] | None:
                with store_of() as session:
                    before = latest_results(session)
                body, parsed = server.metrics()
                with store_of() as session:
                    after = latest_results(session)
                done = behind(parsed, "m1", "m2") and len(after) == 4
                return (body, parsed, after) if done and before == after else None

            body, parsed, stored = poll(consistent, timeout=90, what="both monitors to catch up")
            for r in stored:
                labels = {"monitor": r.monitor, "column": r.column, "role": r.role}
                full = r.monitor == "m1"
                for stat in STATISTICS:
                    names = STATISTIC_METRICS[stat]
                    null = r.null(stat)
                    assert null is not None
                    if full or stat == "js_divergence":  # the statistic the columns alert on
                        assert value(parsed, names.value, **labels) == r.scores[stat]
                        assert value(parsed, names.p_value, **labels) == null.p_value
                    else:
                        assert (names.value, frozenset(labels.items())) not in parsed
                    if full:
                        assert value(parsed, names.null_quantile, **labels) == null.quantile
                    else:
                        assert (names.null_quantile, frozenset(labels.items())) not in parsed
                assert value(parsed, "driftmon_column_live_values", **labels) == r.n_live
                if full:
                    assert (
                        value(parsed, "driftmon_column_window_end_timestamp_seconds", **labels)
                        == r.window_end.timestamp()
                    )
                    version = str(r.baseline_version)
                    assert value(parsed, "driftmon_column_baseline_info", **labels, version=version) == 1
            x1 = {"monitor": "m1", "column": "x", "role": "feature", "statistic": "js_divergence"}
            assert value(parsed, "driftmon_column_alert_state", **x1) == 2
            assert value(parsed, "driftmon_column_alert_state", **{**x1, "monitor": "m2"}) == 0
            assert value(parsed, "driftmon_monitor_runs_total", monitor="m1", status="succeeded") == 6
            assert value(parsed, "driftmon_database_up") == 1

            assert promtool_check(body) == ""

            with store_of() as session:
                events = alert_history(session)
            assert events
            bodies = poll(
                lambda: (got := receiver.received()) and len(got) >= len(events) and got,
                timeout=30,
                what="every alert transition to reach the webhook",
            )
            assert len(bodies) == len(events)
            fired = next(b for b in bodies if b["monitor"] == "m1" and b["column"] == "x")
            assert (fired["schema"], fired["statistic"], fired["state"]) == (
                "driftmon.alert/v1",
                "js_divergence",
                "firing",
            )
            assert fired["top_bins"]
            assert fired["link"].startswith("http://driftmon.test/api/v1/runs/")
            linked = server.get(fired["link"].removeprefix("http://driftmon.test")).json()
            parse_time = datetime.fromisoformat
            assert parse_time(linked["window_start"]) == parse_time(fired["window_start"])
            assert linked["monitor"] == "m1"
            # The column page of the window that fired, on the same server.
            assert fired["page"].startswith("http://driftmon.test/monitors/m1/columns/x?window=")
            page = server.get(fired["page"].removeprefix("http://driftmon.test"))
            assert page.status_code == 200
            assert 'class="point chosen"' in page.text

            assert server.stop(signal.SIGTERM) == 0
            lines = [json.loads(line) for line in server.log().splitlines() if line.strip()]
            runs = [line for line in lines if line["logger"] == "driftmon.jobs.run"]
            assert len(runs) >= 12
            assert all({"monitor", "window", "window_start", "window_end"} <= set(line) for line in runs)
            assert any(line["message"] == "driftmon stopped" for line in lines)


def test_kill_9_and_restart_backfills_the_missed_windows_once_and_metrics_come_back_from_sql(
    tmp_path: Path, store_of: sessionmaker[Session]
) -> None:
    size = timedelta(seconds=2)
    now = datetime.now(UTC)
    start = floor(now, size) - 60 * size
    ref = write_parquet(tmp_path / "ref.parquet", start - HOUR, 1, rows=4000, seed=7)
    write_parquet(tmp_path / "live" / "a.parquet", start, 200, size, rows=150, seed=8)  # 400 seconds
    port = free_port()
    fast = {"window": {"size": "2s"}, "schedule": {"interval": "2s"}, "timeout": "2s"}
    cfg = base(
        tmp_path,
        port,
        [file_monitor("m", tmp_path / "live", ref, metrics="full", **fast)],
        scheduler={"max_backfill_windows": 60},
    )
    path = write_config(tmp_path / "driftmon.yaml", cfg)
    with serve_process(path, tmp_path, port=port, env=ENV) as server:
        server.start()
        poll(
            lambda: len([r for r in all_runs(store_of, "m") if r.status == "succeeded"]) >= 13,
            timeout=60,
            what="windows",
        )
        server.kill()
        killed_at = time.time()
        before = all_runs(store_of, "m")
        last_before = max(r.window_end for r in before if r.status == "succeeded")
        wait_until(killed_at + 6)  # three windows pass while the server is down

        server.start()
        # Whatever the first scrape shows is a stored result: the snapshot was rebuilt from SQL.
        _, parsed = server.metrics()
        labels = {"monitor": "m", "column": "x", "role": "feature"}
        end = datetime.fromtimestamp(
            value(parsed, "driftmon_column_window_end_timestamp_seconds", **labels), UTC
        )
        assert end >= last_before
        with store_of() as session:
            (run,) = [r for r in run_history(session, "m", limit=10_000) if r.window_end == end]
            (shown,) = [r for r in get_run(session, run.id).results if r.column == "x"]
        assert (
            value(parsed, STATISTIC_METRICS["js_divergence"].value, **labels) == shown.scores["js_divergence"]
        )

        restarted = time.time()

        def caught_up() -> list[RunRecord] | None:
            runs = all_runs(store_of, "m")
            ends = [r.window_end.timestamp() for r in runs if r.status == "succeeded"]
            return (
                runs
                if ends and max(ends) >= restarted and all(r.status == "succeeded" for r in runs)
                else None
            )

        try:
            runs = poll(caught_up, timeout=60, what="the missed windows and the one cut off to be done")
        except AssertionError as exc:
            listing = [
                (r.window_start.time().isoformat(), r.status, r.attempts) for r in all_runs(store_of, "m")
            ]
            raise AssertionError(f"{exc}: {listing}") from None
        assert server.stop() == 0
    windows = [(r.window_start, r.window_end) for r in runs]
    assert len(windows) == len(set(windows))  # none twice
    steps = {b[0] - a[0] for a, b in itertools.pairwise(windows)}
    # No gap: every window from the first to the last, the down time included.
    assert steps == {size}, [(r.window_start.time().isoformat(), r.status, r.attempts) for r in runs]
    assert sum(1 for r in runs if killed_at <= r.window_end.timestamp() <= restarted) >= 3
    assert {r.attempts for r in runs} <= {1, 2}  # 2: a run the kill cut off, taken over once stale
    cut = {(r.window_start, r.window_end) for r in before if r.status == "running"}
    assert [r.attempts for r in runs if (r.window_start, r.window_end) in cut] == [2] * len(cut)


def test_a_dead_source_database_fails_its_monitor_while_another_keeps_producing(
    tmp_path: Path, store_of: sessionmaker[Session]
) -> None:
    size = timedelta(seconds=2)
    start = floor(datetime.now(UTC), size) - 5 * size
    ref = write_parquet(tmp_path / "ref.parquet", start - HOUR, 1, rows=4000, seed=7)
    write_parquet(tmp_path / "live" / "a.parquet", start, 100, size, rows=150, seed=8)
    fast = {"window": {"size": "2s"}, "schedule": {"interval": "2s"}}
    reference = {"table": "events", "start": "2026-01-01T00:00:00Z", "end": "2026-01-02T00:00:00Z"}
    dead = monitor("dead", {"kind": "sql", "url": "${DEAD_URL}", "table": "events"}, reference, **fast)
    port = free_port()
    token = "api-t0ken-never-logged"
    cfg = base(
        tmp_path,
        port,
        [dead, file_monitor("alive", tmp_path / "live", ref, **fast)],
        server={"port": port, "api_token": "${API_TOKEN}"},
        scheduler={"max_backfill_windows": 3},
        logging={"format": "json", "level": "DEBUG"},
    )
    path = write_config(tmp_path / "driftmon.yaml", cfg)
    password = "pw-s3cr3t-value"
    env = {
        **ENV,
        "DEAD_URL": f"postgresql+psycopg://driftmon:{password}@127.0.0.1:1/warehouse",
        "API_TOKEN": token,
    }
    with serve_process(path, tmp_path, port=port, env=env) as server:
        server.start()
        poll(
            lambda: len([r for r in all_runs(store_of, "dead") if r.status == "failed"]) >= 2,
            timeout=60,
            what="failures",
        )
        first_failure = min(r.started_at for r in all_runs(store_of, "dead"))
        poll(
            lambda: (
                sum(
                    r.status == "succeeded" and r.started_at > first_failure
                    for r in all_runs(store_of, "alive")
                )
                >= 3
            ),
            timeout=60,
            what="the live monitor to keep producing",
        )
        body, parsed = server.metrics()
        assert value(parsed, "driftmon_monitor_runs_total", monitor="dead", status="failed") >= 1
        assert value(parsed, "driftmon_monitor_runs_total", monitor="dead", status="succeeded") == 0
        assert value(parsed, "driftmon_monitor_source_up", monitor="dead") == 0
        assert value(parsed, "driftmon_monitor_source_up", monitor="alive") == 1
        assert value(parsed, "driftmon_monitor_runs_total", monitor="alive", status="succeeded") >= 3
        failed = [r for r in all_runs(store_of, "dead") if r.status == "failed"]
        assert all("database unreachable" in (r.error or "") for r in failed)
        api = server.get("/api/v1/monitors/dead/runs", headers={"Authorization": f"Bearer {token}"})
        assert api.status_code == 200
        assert api.json()[0]["status"] == "failed"
        listing = server.get("/api/v1/monitors", headers={"Authorization": f"Bearer {token}"}).text
        assert server.stop() == 0
    # Secrets never leave the process: not in logs, metrics, the API or the store.
    for text in (server.log(), body.decode(), api.text, listing, *(r.error or "" for r in failed)):
        assert password not in text
        assert token not in text
    assert "driftmon:***@127.0.0.1:1" in listing


def locked_sql_monitor(tmp_path: Path, hour: datetime) -> tuple[dict[str, Any], Path]:
    path = tmp_path / "source.sqlite"
    url = write_sqlite(path, hour - 4 * HOUR, 6, rows=150)
    reference = {"table": "events", "end": (hour - 3 * HOUR).isoformat()}
    return monitor(
        "m", {"kind": "sql", "url": f"{url}?timeout=120", "table": "events"}, reference, timeout="60s"
    ), path


def results_of(sessions: sessionmaker[Session]) -> dict[int, int]:
    with sessions() as session:
        rows = session.execute(sa.text("SELECT run_id, count(*) FROM column_results GROUP BY run_id")).all()
    return dict(rows)


def test_sigterm_exits_0_and_leaves_nothing_half_written(
    tmp_path: Path, store_of: sessionmaker[Session]
) -> None:
    hour = floor(datetime.now(UTC), HOUR)
    raw, source = locked_sql_monitor(tmp_path, hour)
    port = free_port()
    config = tmp_path / "driftmon.yaml"
    write_config(
        config, base(tmp_path, port, [raw], scheduler={"max_backfill_windows": 3, "shutdown_grace": "1s"})
    )
    holder = sqlite3.connect(source, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # every read of the source now waits
    with serve_process(config, tmp_path, port=port, env=ENV) as server:
        # A run past its grace period is cut off: its claim stays `running`, nothing else is written.
        server.start()
        poll(
            lambda: [r.status for r in all_runs(store_of, "m")] == ["running"],
            timeout=30,
            what="a run in flight",
        )
        stopped = time.monotonic()
        assert server.stop(signal.SIGTERM) == 0
        assert time.monotonic() - stopped < 15
        (cut,) = all_runs(store_of, "m")
        assert cut.window_end == hour - 2 * HOUR
        assert results_of(store_of) == {}
        assert "cut off after the 1s grace" in server.log()

        # A run that finishes within the grace period is stored whole, then the process exits 0.
        write_config(
            config,
            base(tmp_path, port, [raw], scheduler={"max_backfill_windows": 3, "shutdown_grace": "60s"}),
        )
        server.start()
        poll(lambda: len(all_runs(store_of, "m")) == 2, timeout=30, what="the next window's run")
        server.send(signal.SIGTERM)
        poll(lambda: "SIGTERM: stopping" in server.log(), timeout=30, what="the server to start stopping")
        assert server.get("/readyz").status_code == 503  # still serving, no longer ready
        holder.execute("ROLLBACK")  # the run finishes inside the grace period
        assert server.wait(timeout=60) == 0
    holder.close()
    runs = {(r.window_end, r.status): r for r in all_runs(store_of, "m")}
    assert set(runs) == {(hour - 2 * HOUR, "running"), (hour - HOUR, "succeeded")}
    assert results_of(store_of) == {runs[hour - HOUR, "succeeded"].id: 2}


def test_sighup_reloads_the_configuration_without_losing_state(
    tmp_path: Path, store_of: sessionmaker[Session]
) -> None:
    hour = floor(datetime.now(UTC), HOUR)
    ref = write_parquet(tmp_path / "ref.parquet", hour - 30 * HOUR, 24, rows=200, seed=7)
    write_parquet(tmp_path / "live" / "a.parquet", hour - 3 * HOUR, 4, seed=8)
    port = free_port()
    a, b = file_monitor("a", tmp_path / "live", ref), file_monitor("b", tmp_path / "live", ref)
    config = tmp_path / "driftmon.yaml"
    write_config(config, base(tmp_path, port, [a], scheduler={"max_backfill_windows": 2}))
    with serve_process(config, tmp_path, port=port, env=ENV) as server:
        server.start()
        poll(lambda: behind(server.metrics()[1], "a"), timeout=60, what="monitor a to catch up")
        runs_a = value(server.metrics()[1], "driftmon_monitor_runs_total", monitor="a", status="succeeded")
        assert runs_a == 2

        write_config(config, base(tmp_path, port, [a, b], scheduler={"max_backfill_windows": 2}))
        server.send(signal.SIGHUP)
        poll(lambda: behind(server.metrics()[1], "a", "b"), timeout=60, what="the new monitor b to catch up")
        parsed = server.metrics()[1]
        assert value(parsed, "driftmon_monitor_runs_total", monitor="a", status="succeeded") == runs_a  # kept
        assert value(parsed, "driftmon_monitor_runs_total", monitor="b", status="succeeded") == 2
        assert [m["name"] for m in server.get("/api/v1/monitors").json()] == ["a", "b"]

        config.write_text("monitors: [{name: a, colums: []}]\n")  # invalid: refused, the running config stays
        server.send(signal.SIGHUP)
        poll(lambda: "reload refused" in server.log(), timeout=30, what="the reload to be refused")
        assert server.get("/readyz").status_code == 200
        assert [m["name"] for m in server.get("/api/v1/monitors").json()] == ["a", "b"]
        assert server.stop() == 0


def test_host_and_port_flags_override_the_config_and_survive_a_reload(tmp_path: Path) -> None:
    ref = write_parquet(tmp_path / "ref.parquet", datetime(2026, 1, 1, tzinfo=UTC), 1)
    monitors = [file_monitor("m", tmp_path / "live", ref)]
    config = tmp_path / "driftmon.yaml"
    with socket.socket() as taken:  # the config's port is in use: only the flag lets serve start
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        write_config(config, base(tmp_path, taken.getsockname()[1], monitors))
        port = free_port()
        args = ["--host", "127.0.0.1", "--port", str(port)]
        with serve_process(config, tmp_path, port=port, env=ENV, args=args) as server:
            server.start()
            assert server.get("/readyz").status_code == 200
            server.send(signal.SIGHUP)
            poll(lambda: "configuration reloaded" in server.log(), timeout=30, what="the reload")
            assert "keeps listening" not in server.log()
            assert server.get("/healthz").status_code == 200
            assert server.stop() == 0
    command = [sys.executable, "-m", "driftmon", "serve", "-c", str(config), "--port", "0"]
    done = subprocess.run(command, cwd=tmp_path, env=ENV, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "Invalid value for '--port': 0 is not in the range 1<=x<=65535" in done.stderr


def test_no_catch_up_runs_nothing_at_start_and_the_api_runs_the_missed_windows(
    tmp_path: Path, store_of: sessionmaker[Session]
) -> None:
    hour = floor(datetime.now(UTC), HOUR)
    ref = write_parquet(tmp_path / "ref.parquet", hour - 30 * HOUR, 24, rows=200, seed=7)
    write_parquet(tmp_path / "live" / "a.parquet", hour - 3 * HOUR, 4, seed=8)
    port = free_port()
    config = write_config(
        tmp_path / "driftmon.yaml",
        base(
            tmp_path,
            port,
            [file_monitor("a", tmp_path / "live", ref)],
            server={"port": port, "allow_anonymous_writes": True},
            scheduler={"max_backfill_windows": 2},
        ),
    )
    with serve_process(config, tmp_path, port=port, env=ENV, args=["--no-catch-up"]) as server:
        server.start()
        poll(lambda: "no start-up catch-up" in server.log(), timeout=30, what="the scheduler to start")
        assert server.get("/readyz").status_code == 200
        parsed = server.metrics()[1]
        assert value(parsed, "driftmon_monitor_runs_total", monitor="a", status="succeeded") == 0
        assert value(parsed, "driftmon_monitor_windows_behind", monitor="a") == 2  # known from the start
        assert all_runs(store_of, "a") == []
        for end in (hour - HOUR, hour):  # the two windows a start-up catch-up would have run
            response = httpx.post(
                f"{server.url}/api/v1/monitors/a/runs", json={"window_end": end.isoformat()}, timeout=60
            )
            assert response.status_code == 200, response.text
            assert response.json()["status"] == "succeeded"
        assert [r.window_end for r in all_runs(store_of, "a")] == [hour - HOUR, hour]

        # The runs reach /metrics as they are applied to the snapshot, not with the response: wait.
        def both_counted() -> Parsed | None:
            parsed = server.metrics()[1]
            counted = value(parsed, "driftmon_monitor_runs_total", monitor="a", status="succeeded")
            return parsed if counted == 2 else None

        parsed = poll(both_counted, timeout=30, what="/metrics to count both runs")
        assert value(parsed, "driftmon_monitor_windows_behind", monitor="a") == 0
        assert server.stop() == 0


@pytest.mark.postgres
def test_serve_refuses_to_start_with_a_clear_reason(tmp_path: Path, postgres_url: str) -> None:
    ref = write_parquet(tmp_path / "ref.parquet", datetime(2026, 1, 1, tzinfo=UTC), 1)
    monitors = [file_monitor("m", tmp_path / "live", ref)]

    def serve(data: dict[str, Any], env: dict[str, str] = ENV) -> tuple[int, str]:
        path = write_config(tmp_path / "driftmon.yaml", data)
        command = [sys.executable, "-m", "driftmon", "serve", "-c", str(path)]
        done = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
        return done.returncode, done.stderr

    # A PostgreSQL store is never migrated as a side effect of a start.
    code, err = serve(base(tmp_path, free_port(), monitors), {**ENV, "DRIFTMON_DATABASE_URL": postgres_url})
    assert code == 1
    assert "driftmon db upgrade" in err
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code, err = serve(base(tmp_path, port, monitors))
    assert code == 1
    assert f"cannot listen on 127.0.0.1:{port}: Address already in use" in err
    code, err = serve({**base(tmp_path, free_port(), monitors), "sheduler": {}})
    assert code == 1
    assert "unknown key 'sheduler'" in err
