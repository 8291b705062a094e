"""Three `driftmon serve` replicas on one PostgreSQL store, one killed mid-run, scraped by Prometheus.

The replicas share one config (only their ports differ): two monitors of 5-second windows on
SQL sources in the store's own database, a webhook notifier pointing at a local receiver. A
real Prometheus scrapes all three every second and evaluates the rules `driftmon rules`
generates for that config. Drift is injected into windows that are not complete yet once the
replicas are up, so alerts fire while the test watches. Then the webhook goes down and more
drift fires more alerts, which wait in the store's outbox; one replica, chosen at random and
started first so that it holds the notifier lease, is made slow in its source query and killed
with SIGKILL while it holds a window; the webhook comes back.

What must hold afterwards: every window computed exactly once (the killed one's taken over),
one webhook per stored alert transition (the outbox sent by the next lease holder), one
Prometheus alert per drifting column (not one per replica), and the surviving replicas'
per-column series equal.
"""

from __future__ import annotations

import math
import os
import random
import subprocess
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, NamedTuple

import httpx
import numpy as np
import pytest
import sqlalchemy as sa
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.engine import Engine

from driftmon.service.delivery import NOTIFIER_LEASE
from driftmon.store import Lease
from tests.deploy.conftest import tool
from tests.deploy.stack import log_tail, prometheus_args, spawn, wait_ready, write_prometheus_config

from .helpers import event_rows, free_port, in_source_query, poll
from .server import Receiver, ServerProcess, write_config

WINDOW = timedelta(seconds=5)
ROWS = 200  # live rows per window (min_samples 100)
BACKLOG = 4  # complete windows of live data before the replicas start: caught up at start-up
AHEAD = timedelta(minutes=4)  # live data reaches this far past the start: longer than the test
TIMEOUT = timedelta(seconds=10)
TAKEOVER = timedelta(seconds=14)  # a claim this old and still running is taken over
SLOW = 4.0  # seconds each source query of the chosen replica sleeps: it holds its window that long
JITTER = 10.0  # seconds a loaded machine may add to the takeover (the tick, the claim, the run)
REPLICAS = ("replica-0", "replica-1", "replica-2")
# Monitor -> its live table; drift goes into x of monitor a and c of monitor b.
MONITORS = {"a": "live_a", "b": "live_b"}
# Drift injected later, while the webhook refuses: (monitor, column).
MORE_DRIFT = {("a", "c"), ("b", "x")}
RETRY_AFTER = 8  # seconds between a refused delivery and the next (20 retries: 160 s, never given up)
STATISTIC = "js_divergence"
DRIFT_ALERTS = ("DriftmonColumnDriftWarning", "DriftmonColumnDriftCritical")


def _query(table: str) -> str:
    """The live query: it sleeps as long as slow_control says for the connection's application name."""
    return (
        f"SELECT e.* FROM {table} e CROSS JOIN (SELECT pg_sleep(coalesce(max(seconds), 0)) AS slept "
        "FROM slow_control WHERE app = current_setting('application_name')) AS s"
    )


def _floor(moment: datetime) -> datetime:
    """Return the start of the window holding `moment` (windows are aligned to the Unix epoch)."""
    seconds = WINDOW.total_seconds()
    return datetime.fromtimestamp(moment.timestamp() // seconds * seconds, UTC)


def _insert(engine: Engine, table: str, start: datetime, windows: int, *, rows: int, seed: int) -> None:
    stamps, x, c = event_rows(start, windows, WINDOW, rows=rows, seed=seed)
    events = sa.table(table, sa.column("event_time"), sa.column("x"), sa.column("c"))
    values = [
        {"event_time": t, "x": float(v), "c": k} for t, v, k in zip(stamps, np.asarray(x), c, strict=True)
    ]
    with engine.begin() as conn:
        conn.execute(sa.text(f"CREATE TABLE {table} (event_time timestamptz, x float8, c text)"))
        conn.execute(sa.insert(events), values)


def _load_data(engine: Engine, live_start: datetime, windows: int) -> None:
    _insert(engine, "ref_events", live_start - timedelta(days=1), 10, rows=300, seed=1)
    for seed, table in enumerate(MONITORS.values(), start=2):
        _insert(engine, table, live_start, windows, rows=ROWS, seed=seed)
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE slow_control (app text, seconds float8)"))


def _inject_drift(engine: Engine, onset: datetime) -> None:
    """From `onset`: two windows of moderate drift, then strong drift (x of live_a, c of live_b)."""
    strong = onset + 2 * WINDOW
    with engine.begin() as conn:
        bounds = {"onset": onset, "strong": strong}
        conn.execute(
            sa.text("UPDATE live_a SET x = x + 0.7 WHERE event_time >= :onset AND event_time < :strong"),
            bounds,
        )
        conn.execute(sa.text("UPDATE live_a SET x = x + 3 WHERE event_time >= :strong"), bounds)
        conn.execute(
            sa.text(
                "UPDATE live_b SET c = 'b' WHERE c = 'c' AND x > -0.67 "
                "AND event_time >= :onset AND event_time < :strong"
            ),
            bounds,
        )
        conn.execute(sa.text("UPDATE live_b SET c = 'c' WHERE c = 'a' AND event_time >= :strong"), bounds)


def _inject_more_drift(engine: Engine, onset: datetime) -> None:
    """From `onset`: strong drift in the columns that had none (c of live_a, x of live_b)."""
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE live_a SET c = 'c' WHERE c = 'a' AND event_time >= :t"), {"t": onset})
        conn.execute(sa.text("UPDATE live_b SET x = x + 3 WHERE event_time >= :t"), {"t": onset})


def _fired_since(engine: Engine, onset: datetime, columns: set[tuple[str, str]]) -> list[Transition]:
    """Return the transitions of windows from `onset` once each of (monitor, column) has fired."""
    fired = [e for e in _events(engine) if e.window_start >= onset and (e.monitor, e.column) in columns]
    return fired if {(e.monitor, e.column) for e in fired} >= columns else []


def _lease_holders(engine: Engine) -> list[str]:
    """Return the application names (replicas) holding the notifier lease, a PostgreSQL advisory lock."""
    key = Lease(engine, NOTIFIER_LEASE).key
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
                "WHERE l.locktype = 'advisory' AND l.granted AND l.classid = :high AND l.objid = :low "
                "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"
            ),
            {"high": (key >> 32) & 0xFFFFFFFF, "low": key & 0xFFFFFFFF},
        )
        return sorted(r.application_name for r in rows)


def _config(workdir: Path, url: str, hook: str) -> Path:
    monitors = [
        {
            "name": name,
            "source": {"kind": "sql", "url": url, "query": _query(table)},
            "timestamp_column": "event_time",
            "reference": {"table": "ref_events"},
            "window": {"size": f"{WINDOW.seconds}s"},
            "columns": ["x", {"name": "c", "kind": "categorical"}],
            "statistics": [STATISTIC, "psi"],
            "min_samples": 100,
            "timeout": f"{TIMEOUT.seconds}s",
            "takeover_after": f"{TAKEOVER.seconds}s",
            "alerts": {STATISTIC: {"warning": 0.02, "critical": 0.2, "for_windows": 1}},
        }
        for name, table in MONITORS.items()
    ]
    data: dict[str, Any] = {
        "database": {"url": url},
        "server": {"host": "127.0.0.1"},
        "scheduler": {"max_backfill_windows": 100, "follow_every": "1s", "notify_every": "1s"},
        # Retried every RETRY_AFTER seconds while the webhook refuses: longer than it does.
        "notifiers": [{"name": "hook", "url": hook, "timeout": "5s", "retries": 20}],
        "monitors": monitors,
    }
    return write_config(workdir / "driftmon.yaml", data)


def _rules(config: Path, workdir: Path) -> Path:
    """Generate the alerting rules for the config with `driftmon rules`, as an operator does."""
    path = workdir / "driftmon.rules.yml"
    done = subprocess.run(
        [sys.executable, "-m", "driftmon", "rules", f"--config={config}", f"--output={path}"],
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return path


class Prometheus:
    """A real Prometheus scraping `targets` every second and evaluating `rules` every second."""

    def __init__(self, root: Path, targets: list[str], rules: Path) -> None:
        self.root = root
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = {
            "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
            "rule_files": [str(rules)],
            "scrape_configs": [{"job_name": "driftmon", "static_configs": [{"targets": targets}]}],
        }
        write_prometheus_config(root, config)
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> Prometheus:
        self.process = spawn(
            self.root, "prometheus", prometheus_args(tool("prometheus"), self.root, self.port), self.root
        )
        wait_ready(self.root, "prometheus", self.process, f"{self.url}/-/ready")
        return self

    def get(self, path: str, **params: str) -> Any:
        body = httpx.get(f"{self.url}{path}", params=params, timeout=30).json()
        assert body["status"] == "success", body
        return body["data"]

    def log(self) -> str:
        return log_tail(self.root, "prometheus")

    def close(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(30)


def _runs(engine: Engine) -> list[sa.Row[Any]]:
    with engine.connect() as conn:
        return list(
            conn.execute(
                sa.text(
                    "SELECT r.id, m.name AS monitor, r.window_start, r.window_end, r.status, r.attempts, "
                    "r.started_at, r.finished_at, r.error FROM runs r JOIN monitors m ON m.id = r.monitor_id "
                    "ORDER BY m.name, r.window_start"
                )
            )
        )


def _done(engine: Engine, until: datetime) -> dict[str, set[datetime]]:
    """Return, per monitor, the window starts before `until` whose run has completed."""
    out: dict[str, set[datetime]] = {name: set() for name in MONITORS}
    for run in _runs(engine):
        if run.window_end <= until and run.status != "running":
            out[run.monitor].add(run.window_start)
    return out


def _window_starts(first: datetime, until: datetime) -> set[datetime]:
    count = int((until - first) / WINDOW)
    return {first + k * WINDOW for k in range(count)}


def _covered(engine: Engine, first: datetime, until: datetime) -> bool:
    expected = _window_starts(first, until)
    return all(done >= expected for done in _done(engine, until).values())


class Transition(NamedTuple):
    """One alert transition, as stored in alert_events and as a webhook body names it."""

    monitor: str
    column: str
    statistic: str
    window_start: datetime
    window_end: datetime
    state: str
    severity: str


def _events(engine: Engine) -> list[Transition]:
    """Return the stored alert transitions as (monitor, column, statistic, window, state, severity)."""
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT m.name AS monitor, e.column_name, e.statistic, e.window_start, e.window_end, "
                "e.state, e.severity FROM alert_events e JOIN monitors m ON m.id = e.monitor_id ORDER BY e.id"
            )
        )
        return [Transition(*row) for row in rows]


def _received(receiver: Receiver) -> list[Transition]:
    """Return the transitions the receiver was sent, in the shape of `_events`.

    The body's severity is the new one; a resolved alert is stored under the severity that cleared.
    """
    out: list[Transition] = []
    for body in receiver.received():
        severity = body["previous_severity"] if body["state"] == "resolved" else body["severity"]
        out.append(
            Transition(
                body["monitor"],
                body["column"],
                body["statistic"],
                datetime.fromisoformat(body["window_start"]),
                datetime.fromisoformat(body["window_end"]),
                body["state"],
                severity,
            )
        )
    return out


def _webhook_difference(engine: Engine, receiver: Receiver) -> tuple[list[Transition], list[Transition]]:
    """Return (transitions stored but not received once, deliveries not matching one stored transition)."""
    stored = Counter(_events(engine))
    received = Counter(_received(receiver))
    return sorted((stored - received).elements()), sorted((received - stored).elements())


Sample = tuple[str, frozenset[tuple[str, str]]]


def _column_series(server: ServerProcess) -> dict[Sample, float]:
    """Return the samples of /metrics that carry a `column` label."""
    out: dict[Sample, float] = {}
    for family in text_string_to_metric_families(server.get("/metrics").text):
        for sample in family.samples:
            if "column" in sample.labels:
                out[sample.name, frozenset(sample.labels.items())] = sample.value
    return out


def _disagreement(servers: list[ServerProcess]) -> list[str]:
    """Describe the per-column samples on which the servers' /metrics differ (empty: they agree)."""
    seen = [_column_series(s) for s in servers]
    keys = set().union(*seen)
    lines = []
    for key in sorted(keys, key=str):
        values = [s.get(key) for s in seen]
        if len(set(values)) > 1:
            labels = ",".join(f"{k}={v}" for k, v in sorted(key[1]))
            lines.append(f"{key[0]}{{{labels}}}: {values}")
    return lines if seen[0] else ["no per-column series at all"]


def _firing_drift_alerts(prometheus: Prometheus) -> Counter[tuple[str, str, str, str]]:
    """Count Prometheus' firing drift alerts by (alertname, monitor, column, statistic)."""
    alerts = prometheus.get("/api/v1/alerts")["alerts"]
    return Counter(
        (a["labels"]["alertname"], a["labels"]["monitor"], a["labels"]["column"], a["labels"]["statistic"])
        for a in alerts
        if a["state"] == "firing" and a["labels"]["alertname"] in DRIFT_ALERTS
    )


def _expected_alerts(engine: Engine) -> set[tuple[str, str, str, str]]:
    """Return the drift alerts the store says are firing: each column's latest transition, if firing."""
    latest: dict[tuple[str, str, str], tuple[str, str]] = {}
    for event in _events(engine):
        latest[event.monitor, event.column, event.statistic] = (event.state, event.severity)
    return {
        (f"DriftmonColumnDrift{severity.capitalize()}", monitor, column, statistic)
        for (monitor, column, statistic), (state, severity) in latest.items()
        if state == "firing"
    }


def _check_windows(
    engine: Engine, first: datetime, until: datetime, taken_over: set[tuple[str, datetime]]
) -> list[sa.Row[Any]]:
    """Check every window from `first` to `until` has one succeeded run, its two columns once.

    Only the windows in `taken_over` were claimed twice. Return the runs checked.
    """
    runs = [r for r in _runs(engine) if r.window_end <= until]
    expected = _window_starts(first, until)
    for name in MONITORS:
        mine = [r for r in runs if r.monitor == name]
        starts = [r.window_start for r in mine]
        assert sorted(starts) == sorted(expected), f"monitor {name}: windows {starts}, expected {expected}"
        assert {r.status for r in mine} == {"succeeded"}, [(r.window_start, r.status) for r in mine]
    twice = [(r.monitor, r.window_start, r.attempts) for r in runs if r.attempts != 1]
    assert sorted(twice) == sorted((m, w, 2) for m, w in taken_over), "\n".join(
        f"{r.monitor} {r.window_start.isoformat()}: {r.status}, {r.attempts} attempts, started "
        f"{r.started_at.isoformat()}, finished {r.finished_at.isoformat()}, error {r.error!r}"
        for r in runs
        if r.attempts != 1
    )
    with engine.connect() as conn:
        stored = conn.execute(
            sa.text("SELECT run_id, column_name FROM column_results WHERE run_id = ANY(:ids)"),
            {"ids": [r.id for r in runs]},
        ).all()
    columns: dict[int, list[str]] = {r.id: [] for r in runs}
    for result in stored:
        columns[result.run_id].append(result.column_name)
    wrong = {run_id: names for run_id, names in columns.items() if sorted(names) != ["c", "x"]}
    assert not wrong, f"runs whose column results are not c and x once each: {wrong}"
    return runs


def _webhook_problem(engine: Engine, receiver: Receiver) -> str | None:
    missing, extra = _webhook_difference(engine, receiver)
    if not missing and not extra:
        return None
    return (
        f"2. webhooks do not match the alert transitions: {len(missing)} stored but not received once "
        f"{missing}; {len(extra)} received but not stored once {extra}"
    )


def _check_webhooks(engine: Engine, receiver: Receiver) -> tuple[float, str | None]:
    """Wait until the receiver got one POST per stored transition; return (seconds waited, problem)."""
    started = time.monotonic()
    try:
        poll(lambda: _webhook_problem(engine, receiver) is None, timeout=30, what="webhooks", every=0.2)
    except AssertionError:
        return time.monotonic() - started, _webhook_problem(engine, receiver)
    return time.monotonic() - started, None


def _latest_finish(engine: Engine) -> datetime:
    latest: datetime = max(r.finished_at for r in _runs(engine) if r.finished_at is not None)
    return latest


def _check_metrics(engine: Engine, servers: list[ServerProcess]) -> tuple[float, str | None]:
    """Once a newer run is stored, wait until the servers' per-column series agree.

    Only one of them computed that run; the others take it in from the store. Return (seconds
    from the newest run's finish to the servers agreeing, problem).
    """
    before = _latest_finish(engine)
    poll(lambda: _latest_finish(engine) > before, timeout=WINDOW.total_seconds() + 30, what="a newer run")
    try:
        poll(lambda: not _disagreement(servers), timeout=30, what="metrics to agree", every=0.1)
    except AssertionError:
        differ = _disagreement(servers)
        return math.inf, "4. the survivors' per-column series differ:\n" + "\n".join(differ)
    agreed = datetime.now(UTC)
    return (agreed - _latest_finish(engine)).total_seconds(), None


def _check_alerts(
    prometheus: Prometheus, engine: Engine
) -> tuple[Counter[tuple[str, str, str, str]], str | None]:
    """Wait until Prometheus fires every drift alert the store has firing; each must fire once."""
    expected = _expected_alerts(engine)
    if not expected:
        return Counter(), "3. no drift alert is firing in the store: the drift injected did not alert"

    def all_firing() -> Counter[tuple[str, str, str, str]] | None:
        found = _firing_drift_alerts(prometheus)
        return found if set(found) >= expected else None

    try:
        firing: Counter[tuple[str, str, str, str]] = poll(
            all_firing, timeout=30, what="drift alerts", every=0.2
        )
    except AssertionError:
        found = _firing_drift_alerts(prometheus)
        return found, f"3. Prometheus fires {dict(found)}, expected {sorted(expected)}:\n{prometheus.log()}"
    repeated = {key: n for key, n in firing.items() if n != 1}
    if repeated:
        return firing, f"3. drift alerts firing more than once (once per replica?): {repeated}"
    return firing, None


@pytest.mark.postgres
def test_replicas_behind_prometheus_lose_nothing_and_alert_once(
    pg: Engine, postgres_url: str, tmp_path: Path
) -> None:
    seed = int(os.environ.get("DRIFTMON_TEST_SEED", time.time_ns() % 2**32))
    print(f"\nseed {seed} (DRIFTMON_TEST_SEED={seed} repeats the choice of replica to kill)")
    victim_name = random.Random(seed).choice(REPLICAS)

    now = datetime.now(UTC)
    live_start = _floor(now) - BACKLOG * WINDOW
    _load_data(pg, live_start, int((AHEAD + BACKLOG * WINDOW) / WINDOW))

    with ExitStack() as stack:
        receiver = stack.enter_context(Receiver(retry_after=RETRY_AFTER))
        config = _config(tmp_path, postgres_url, receiver.url)
        ports = {name: free_port() for name in REPLICAS}
        rules = _rules(config, tmp_path)
        prom_dir = tmp_path / "prometheus"
        prom_dir.mkdir()
        prometheus = Prometheus(prom_dir, [f"127.0.0.1:{p}" for p in ports.values()], rules)
        stack.callback(prometheus.close)
        prometheus.start()
        loaded = prometheus.get("/api/v1/rules")["groups"]
        assert {r["name"] for g in loaded for r in g["rules"]} >= set(DRIFT_ALERTS), prometheus.log()

        replicas: dict[str, ServerProcess] = {}
        for name, port in ports.items():
            workdir = tmp_path / name
            workdir.mkdir()
            server = ServerProcess(
                config, workdir, port=port, env={"PGAPPNAME": name}, args=[f"--port={port}"]
            )
            stack.callback(server.close)
            replicas[name] = server
        # The chosen replica starts first, so it holds the notifier lease: killing it leaves
        # its undelivered notifications to the next holder.
        victim = replicas[victim_name].start()
        poll(
            lambda: _lease_holders(pg) == [victim_name],
            timeout=30,
            what=f"{victim_name} to take the notifier lease",
        )
        others = [s for n, s in replicas.items() if n != victim_name]
        with ThreadPoolExecutor(len(others)) as pool:
            for started in [pool.submit(s.start) for s in others]:
                started.result()
        up = datetime.now(UTC)
        print(f"3 replicas up {(up - now).total_seconds():.1f}s after the data was written")

        # Drift from the next window boundary: no replica has read those windows yet.
        onset = _floor(datetime.now(UTC)) + WINDOW
        _inject_drift(pg, onset)
        escalated = onset + 4 * WINDOW  # moderate, moderate, strong, strong
        poll(
            lambda: _covered(pg, live_start, escalated) and _events(pg),
            timeout=(escalated - datetime.now(UTC)).total_seconds() + 60,
            what=f"every window up to {escalated.isoformat()} computed and an alert transition stored",
            every=0.2,
        )

        # The webhook goes down; more drift fires more alerts, which wait in the store's outbox.
        # The chosen replica's source queries sleep: once it is inside one it holds a window.
        receiver.refuse()
        refused_at = time.monotonic()
        with pg.begin() as conn:
            conn.execute(
                sa.text("INSERT INTO slow_control VALUES (:app, :s)"), {"app": victim_name, "s": SLOW}
            )
        onset = _floor(datetime.now(UTC)) + WINDOW
        _inject_more_drift(pg, onset)
        pending = poll(
            lambda: _fired_since(pg, onset, MORE_DRIFT),
            timeout=(onset - datetime.now(UTC)).total_seconds() + 30,
            what=f"alerts on {MORE_DRIFT} fired while the webhook refuses",
            every=0.1,
        )
        poll(  # it must win a window's claim from the other two: a race
            lambda: in_source_query(pg, victim_name),
            timeout=90,
            what=f"{victim_name} inside a (slow) source query, holding a window",
            every=0.05,
        )
        assert _lease_holders(pg) == [victim_name], _lease_holders(pg)
        before_kill = _column_series(victim)
        victim.kill()
        killed_at = datetime.now(UTC)
        killed = time.monotonic()
        receiver.refuse(False)
        with pg.begin() as conn:
            conn.execute(sa.text("DELETE FROM slow_control"))
        running = {(r.monitor, r.window_start): r.started_at for r in _runs(pg) if r.status == "running"}
        print(
            f"kill -9 {victim_name} at {killed_at.isoformat()}: windows running then {sorted(running)}; "
            f"it exported {len(before_kill)} per-column samples, held the notifier lease and "
            f"{len(pending)} undelivered transitions (the webhook refused {receiver.refused} deliveries "
            f"for {killed - refused_at:.1f}s)"
        )
        survivors = [s for n, s in replicas.items() if n != victim_name]
        heir = poll(
            lambda: [n for n in _lease_holders(pg) if n != victim_name],
            timeout=30,
            what="a survivor to take the notifier lease",
            every=0.1,
        )
        lease_moved = time.monotonic() - killed
        poll(
            lambda: set(pending) <= set(_received(receiver)),
            timeout=60,
            what=f"the transitions left in the outbox delivered by the new lease holder {heir}",
            every=0.1,
        )
        redelivered = time.monotonic() - killed
        print(
            f"notifier lease taken by {heir[0]} {lease_moved:.2f}s after the kill; the transitions the "
            f"webhook had refused arrived {redelivered:.2f}s after the kill"
        )

        # The killed replica's window is taken over by a survivor once its claim is TAKEOVER old.
        def taken_over() -> list[sa.Row[Any]] | None:
            held = [r for r in _runs(pg) if (r.monitor, r.window_start) in running]
            if any(r.status == "running" for r in held):
                return None
            return [r for r in held if r.attempts > 1]

        taken = poll(
            taken_over,
            timeout=TAKEOVER.total_seconds() + JITTER + 30,
            what="a survivor to take over and complete the killed replica's window:\n"
            + "\n".join(s.log()[-3000:] for s in survivors),
            every=0.2,
        )
        takeovers = [(r.started_at - killed_at).total_seconds() for r in taken]
        claims = [(r.started_at - running[r.monitor, r.window_start]).total_seconds() for r in taken]
        print(
            f"taken over: {[(r.monitor, r.window_start.isoformat()) for r in taken]}, "
            f"{', '.join(f'{t:.2f}s' for t in takeovers)} after the kill, "
            f"{', '.join(f'{c:.2f}s' for c in claims)} after the claim (takeover_after {TAKEOVER.seconds}s)"
        )
        for run, after_claim in zip(taken, claims, strict=True):
            assert (run.monitor, run.window_start) in running, (run, running)
            assert TAKEOVER.total_seconds() <= after_claim <= TAKEOVER.total_seconds() + JITTER, run

        # 1. No window lost or computed twice: every window from the first row's to `until`
        # has exactly one completed run, its two columns once; only the taken-over windows
        # were claimed twice.
        until = _floor(datetime.now(UTC))
        poll(
            lambda: _covered(pg, live_start, until),
            timeout=60,
            what=f"every window up to {until.isoformat()} computed:\n"
            + "\n".join(s.log()[-3000:] for s in survivors),
            every=0.2,
        )
        runs = _check_windows(pg, live_start, until, {(r.monitor, r.window_start) for r in taken})

        # 2-4 are each waited for in turn; all are reported together.
        webhook_wait, webhooks_problem = _check_webhooks(pg, receiver)
        agreed, metrics_problem = _check_metrics(pg, survivors)
        firing, alerts_problem = _check_alerts(prometheus, pg)
        if webhooks_problem is None:  # still one each: nothing arrived twice meanwhile
            webhooks_problem = _webhook_problem(pg, receiver)
        print(
            f"figures: kill-to-takeover {', '.join(f'{t:.2f}s' for t in takeovers)}; "
            f"survivors' metrics agreed {agreed:.2f}s after the newest run was stored "
            f"({len(_column_series(survivors[0]))} per-column samples); {len(runs)} windows checked; "
            f"{len(_events(pg))} transitions, {len(receiver.received())} webhooks "
            f"(matched {webhook_wait:.2f}s after the windows); "
            f"{sum(firing.values())} Prometheus drift alerts for {len(firing)} columns"
        )
        problems = [p for p in (webhooks_problem, metrics_problem, alerts_problem) if p is not None]
        assert not problems, "\n\n".join(problems)
        for server in survivors:
            assert server.stop() == 0, server.log()
