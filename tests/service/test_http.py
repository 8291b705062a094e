"""The HTTP app over a real store: /metrics, probes, the JSON API, bearer tokens, 404s, POST trigger."""

from __future__ import annotations

import re
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.orm import Session, sessionmaker

from driftmon.config import Config
from driftmon.core import STATISTICS
from driftmon.http import ApiContext, HttpServer, Readiness, create_app
from driftmon.metrics import CONTENT_TYPE, STATISTIC_METRICS, MetricsSnapshot
from driftmon.scheduler import MonitorWorker
from driftmon.service import Reporter, SchedulerTrigger, StoreHandle, rebuild_snapshot
from driftmon.store import latest_results, make_engine

from .helpers import (
    HOUR,
    T0,
    Clock,
    config,
    file_monitor,
    monitor,
    parse,
    poll,
    value,
    write_parquet,
    write_sqlite,
)

TOKEN = "s3cret-token-value"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@contextmanager
def running(ctx: ApiContext) -> Iterator[httpx.Client]:
    """Serve the app over real HTTP on a free port; yield a client for it."""
    server = HttpServer(create_app(ctx), "127.0.0.1", 0)
    server.start()
    try:
        with httpx.Client(base_url=server.url, timeout=30) as client:
            yield client
    finally:
        server.stop()


@dataclass
class Served:
    client: httpx.Client
    config: Config
    sessions: sessionmaker[Session]
    worker: MonitorWorker
    snapshot: MetricsSnapshot
    clock: Clock


@contextmanager
def serve(
    sessions: sessionmaker[Session],
    cfg: Config,
    clock: Clock,
    readiness: Callable[[], Readiness] = lambda: Readiness({"database": "ok", "scheduler": "ok"}),
) -> Iterator[Served]:
    snapshot = MetricsSnapshot()
    rebuild_snapshot(snapshot, cfg, sessions, now=clock())
    worker = MonitorWorker(
        cfg.monitors, sessions=sessions, settings=cfg.scheduler, listener=Reporter(snapshot), clock=clock
    )
    ctx = ApiContext(
        config=lambda: cfg,
        sessions=sessions,
        snapshot=snapshot,
        readiness=readiness,
        trigger=SchedulerTrigger(worker),
    )
    with running(ctx) as client:
        yield Served(client, cfg, sessions, worker, snapshot, clock)


@pytest.fixture
def served(store: sessionmaker[Session], tmp_path: Path) -> Iterator[Served]:
    """Monitor `m`: 4 stable hours then 4 drifted ones, all scored; API token required."""
    ref = write_parquet(tmp_path / "reference.parquet", T0 - 24 * HOUR, 24, rows=200, seed=7)
    write_parquet(tmp_path / "live" / "a.parquet", T0, 4, seed=8)
    write_parquet(tmp_path / "live" / "b.parquet", T0 + 4 * HOUR, 4, shift=1.0, seed=9)
    cfg = config(
        file_monitor("m", tmp_path / "live", ref, description="the test monitor"),
        file_monitor("idle", tmp_path / "live", ref),
        server={"api_token": TOKEN},
        scheduler={"max_backfill_windows": 8},
    )
    with serve(store, cfg, Clock(T0 + 8 * HOUR)) as result:
        assert [o.status for o in result.worker.tick("m")] == ["succeeded"] * 8
        yield result


def test_metrics_serve_the_snapshot_in_the_text_format_without_a_token(served: Served) -> None:
    response = served.client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"] == CONTENT_TYPE
    parsed = parse(response.content)
    with served.sessions() as session:
        stored = {r.column: r for r in latest_results(session, ["m"])}
    labels = {"monitor": "m", "role": "feature"}
    for column in ("x", "c"):
        exported = value(parsed, STATISTIC_METRICS["js_divergence"].value, column=column, **labels)
        assert exported == stored[column].scores["js_divergence"]
    assert value(parsed, "driftmon_column_alert_state", column="x", statistic="js_divergence", **labels) == 2
    assert value(parsed, "driftmon_monitor_runs_total", monitor="m", status="succeeded") == 8


def test_probes(served: Served, store: sessionmaker[Session], tmp_path: Path) -> None:
    assert served.client.get("/healthz").json() == {"status": "ok"}
    ready = served.client.get("/readyz")
    assert (ready.status_code, ready.json()) == (
        200,
        {"status": "ready", "checks": {"database": "ok", "scheduler": "ok"}},
    )
    # A real store check: an empty database is reachable but not at the schema head.
    engine = make_engine(f"sqlite:///{tmp_path / 'empty.sqlite'}")
    handle = StoreHandle(engine)
    with serve(store, served.config, served.clock, lambda: Readiness({"database": handle.check()})) as down:
        response = down.client.get("/readyz")
    engine.dispose()
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "not ready"
    assert "schema at nothing, driftmon needs" in body["checks"]["database"]
    assert "driftmon db upgrade" in body["checks"]["database"]


def test_the_api_needs_the_bearer_token(served: Served) -> None:
    missing = served.client.get("/api/v1/monitors")
    assert missing.status_code == 401
    assert missing.headers["www-authenticate"] == "Bearer"
    assert "missing bearer token" in missing.json()["detail"]
    wrong = served.client.get("/api/v1/monitors", headers={"Authorization": "Bearer nope"})
    assert (wrong.status_code, wrong.json()["detail"]) == (401, "invalid bearer token")
    basic = served.client.get("/api/v1/monitors", headers={"Authorization": f"Basic {TOKEN}"})
    assert basic.status_code == 401
    assert served.client.post("/api/v1/monitors/m/runs").status_code == 401
    assert served.client.get("/api/v1/monitors", headers=AUTH).status_code == 200
    assert TOKEN not in served.client.get("/api/v1/monitors", headers=AUTH).text


def test_metrics_and_health_can_require_the_token(store: sessionmaker[Session], tmp_path: Path) -> None:
    cfg = config(
        file_monitor("m", tmp_path / "live", tmp_path / "ref.parquet"),
        server={"api_token": TOKEN, "metrics_auth": True, "health_auth": True},
    )
    with serve(store, cfg, Clock(T0)) as locked:
        for path in ("/metrics", "/healthz", "/readyz"):
            assert locked.client.get(path).status_code == 401, path
            assert locked.client.get(path, headers=AUTH).status_code == 200, path


def test_monitors_list_their_columns_latest_results_and_firing_alerts(served: Served) -> None:
    monitors = served.client.get("/api/v1/monitors", headers=AUTH).json()
    assert [m["name"] for m in monitors] == ["m", "idle"]
    m = served.client.get("/api/v1/monitors/m", headers=AUTH).json()
    assert m == monitors[0]
    assert (m["description"], m["window"], m["schedule"], m["last_run"]["status"]) == (
        "the test monitor",
        "1h",
        "every 1h",
        "succeeded",
    )
    x = {c["name"]: c for c in m["columns"]}["x"]
    assert x["alerts"]["js_divergence"]["warning"] == 0.02
    assert x["alert_states"] == {"js_divergence": "critical"}
    latest = x["latest"]
    assert latest["window_end"].startswith("2026-03-02T08:00:00")
    assert set(latest["statistics"]) == set(STATISTICS)
    js = latest["statistics"]["js_divergence"]
    assert js["value"] > js["noise"] > 0
    assert 0 <= js["p_value"] < 0.01
    idle = monitors[1]
    assert [c["latest"] for c in idle["columns"]] == [None, None]
    assert idle["last_run"] is None


def test_run_history_and_one_run_with_its_bin_counts(served: Served) -> None:
    runs = served.client.get("/api/v1/monitors/m/runs", params={"limit": 3}, headers=AUTH).json()
    assert [r["window_start"][:19] for r in runs] == [
        "2026-03-02T07:00:00",
        "2026-03-02T06:00:00",
        "2026-03-02T05:00:00",
    ]
    older = served.client.get(
        "/api/v1/monitors/m/runs", params={"before": "2026-03-02T02:00:00"}, headers=AUTH
    ).json()
    assert [r["window_end"][:19] for r in older] == ["2026-03-02T02:00:00", "2026-03-02T01:00:00"]
    detail = served.client.get(f"/api/v1/runs/{runs[0]['id']}", headers=AUTH).json()
    assert detail["status"] == "succeeded"
    results = {r["column"]: r for r in detail["results"]}
    assert set(results) == {"x", "c"}
    c = results["c"]
    assert [b["label"] for b in c["bins"]] == ["a", "b", "c", "other", "missing"]
    assert sum(b["live_count"] for b in c["bins"]) == c["n_live"] == 300
    assert sum(b["reference_count"] for b in c["bins"]) == c["n_reference"]
    assert results["x"]["top_bins"][0]["contribution"] > 0
    assert detail["results"][0]["alpha"] == 0.5


def test_alert_history(served: Served) -> None:
    events = served.client.get("/api/v1/alerts", headers=AUTH).json()
    assert events
    assert {e["monitor"] for e in events} == {"m"}
    fired = [e for e in events if e["column"] == "x" and e["statistic"] == "js_divergence"]
    assert [(e["severity"], e["state"], e["window_start"][11:16]) for e in fired] == [
        ("critical", "firing", "04:00")  # the first drifted hour
    ]
    # The level crossed: the fixed 0.05, or more where the window's noise scales it up.
    assert fired[0]["value"] >= fired[0]["threshold"] >= 0.05
    assert (
        served.client.get("/api/v1/monitors/m/alerts", params={"limit": 1}, headers=AUTH).json() == events[:1]
    )
    assert served.client.get("/api/v1/alerts", params={"monitor": "idle"}, headers=AUTH).json() == []


def test_unknown_monitors_and_runs_are_404_with_a_clear_message(served: Served) -> None:
    for path in ("/api/v1/monitors/nope", "/api/v1/monitors/nope/runs", "/api/v1/monitors/nope/alerts"):
        response = served.client.get(path, headers=AUTH)
        assert response.status_code == 404, path
        assert response.json() == {
            "detail": "no monitor named 'nope' in the configuration; monitors: 'm', 'idle'"
        }, path
    assert served.client.post("/api/v1/monitors/nope/runs", headers=AUTH).status_code == 404
    missing = served.client.get("/api/v1/runs/999999", headers=AUTH)
    assert (missing.status_code, missing.json()) == (404, {"detail": "no run with id 999999 is stored"})
    assert served.client.get("/api/v1/runs/abc", headers=AUTH).status_code == 422


def test_post_runs_a_window_now(served: Served) -> None:
    path = "/api/v1/monitors/idle/runs"
    first = served.client.post(path, headers=AUTH)
    assert first.status_code == 200
    body = first.json()
    assert (body["monitor"], body["window_end"], body["status"], body["skipped"]) == (
        "idle",
        "2026-03-02T08:00:00+00:00",
        "succeeded",
        None,
    )
    assert {c["column"] for c in body["columns"]} == {"x", "c"}
    again = served.client.post(path, json={"window_end": "2026-03-02T08:00:00Z"}, headers=AUTH).json()
    assert (again["skipped"], again["run_id"]) == ("already_done", body["run_id"])
    older = served.client.post(path, json={"window_end": "2026-03-02T03:00:00"}, headers=AUTH).json()
    assert older["window_start"] == "2026-03-02T02:00:00+00:00"
    off = served.client.post(path, json={"window_end": "2026-03-02T03:30:00Z"}, headers=AUTH)
    assert off.status_code == 422
    assert "not a window boundary of monitor 'idle'" in off.json()["detail"]
    early = served.client.post(path, json={"window_end": "2026-03-02T09:00:00Z"}, headers=AUTH)
    assert early.status_code == 422
    assert "is not complete until 2026-03-02T09:00:00+00:00" in early.json()["detail"]
    extra = served.client.post(path, json={"window": "x"}, headers=AUTH)
    assert extra.status_code == 422
    served.worker.stop(1.0)
    stopping = served.client.post(path, headers=AUTH)
    assert (stopping.status_code, stopping.json()) == (
        503,
        {"detail": "driftmon is shutting down and starts no new run"},
    )


def test_post_to_a_busy_monitor_is_409(store: sessionmaker[Session], tmp_path: Path) -> None:
    url = write_sqlite(tmp_path / "source.sqlite", T0 - 24 * HOUR, 30, rows=150)
    reference = {"table": "events", "start": (T0 - 24 * HOUR).isoformat(), "end": T0.isoformat()}
    cfg = config(
        monitor("m", {"kind": "sql", "url": f"{url}?timeout=60", "table": "events"}, reference),
        server={"api_token": TOKEN},
    )
    with serve(store, cfg, Clock(T0 + 3 * HOUR)) as busy:
        busy.worker.run_now("m", T0 + HOUR)  # the baseline, fitted while the source is free
        holder = sqlite3.connect(tmp_path / "source.sqlite", isolation_level=None, check_same_thread=False)
        holder.execute("BEGIN EXCLUSIVE")
        in_flight = threading.Thread(target=busy.worker.run_now, args=("m",))
        in_flight.start()
        try:
            poll(busy.worker.active, timeout=30, what="the run to start")
            end = (T0 + 2 * HOUR).isoformat()
            response = busy.client.post("/api/v1/monitors/m/runs", json={"window_end": end}, headers=AUTH)
            assert response.status_code == 409
            assert "monitor 'm' is busy" in response.json()["detail"]
        finally:
            holder.execute("ROLLBACK")
            holder.close()
            in_flight.join(30)


def test_a_store_that_cannot_be_read_is_503(served: Served, tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'empty.sqlite'}")  # reachable, but no driftmon tables
    broken = sessionmaker(engine)
    ctx = ApiContext(
        config=lambda: served.config,
        sessions=broken,
        snapshot=served.snapshot,
        readiness=lambda: Readiness({}),
    )
    with running(ctx) as client:
        response = client.get("/api/v1/monitors/m/runs", headers=AUTH)
    engine.dispose()
    assert response.status_code == 503
    assert response.json()["detail"].startswith("store unavailable: no such table")


def test_openapi_describes_every_route(served: Served) -> None:
    spec: dict[str, Any] = served.client.get("/openapi.json").json()
    assert spec["info"]["title"] == "driftmon"
    assert {
        "/metrics",
        "/healthz",
        "/readyz",
        "/api/v1/monitors",
        "/api/v1/monitors/{monitor}",
        "/api/v1/monitors/{monitor}/runs",
        "/api/v1/monitors/{monitor}/alerts",
        "/api/v1/runs/{run_id}",
        "/api/v1/alerts",
    } <= set(spec["paths"])
    assert "post" in spec["paths"]["/api/v1/monitors/{monitor}/runs"]
    assert "RunDetailOut" in spec["components"]["schemas"]


def test_docs_load_nothing_from_outside_the_server(served: Served) -> None:
    page = served.client.get("/docs")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    # Every URL the page refers to (scripts, styles, icon, the OpenAPI document) is the server's own.
    urls = re.findall(r"""(?:src|href)=["']([^"']+)["']|url: ?["']([^"']+)["']""", page.text)
    found = {a or b for a, b in urls}
    assert found == {
        "/docs/assets/swagger-ui.css",
        "/docs/assets/favicon-32x32.png",
        "/docs/assets/swagger-ui-bundle.js",
        "/openapi.json",
    }
    assert "://" not in page.text.replace("http://127.0.0.1", "")
    kinds = {"css": "text/css", "js": "javascript", "png": "image/png", "json": "application/json"}
    for url in found:
        response = served.client.get(url)
        assert response.status_code == 200, url
        assert kinds[url.rsplit(".", 1)[1]] in response.headers["content-type"], url
        assert len(response.content) > 500, url
    assert "SwaggerUIBundle" in served.client.get("/docs/assets/swagger-ui-bundle.js").text
    assert served.client.get("/redoc").status_code == 404  # ReDoc would need a CDN


def test_a_large_exposition_is_sent_whole(store: sessionmaker[Session], tmp_path: Path) -> None:
    monitors = [file_monitor(f"m{i}", tmp_path / "live", tmp_path / "ref.parquet") for i in range(1000)]
    cfg = config(*monitors)
    with serve(store, cfg, Clock(T0)) as big:
        body = big.snapshot.exposition()
        assert len(body) > 1 << 20  # more than one slice
        response = big.client.get("/metrics")
    assert response.headers["content-length"] == str(len(body))
    assert response.content == body


def test_a_monthly_monitor_in_the_api(store: sessionmaker[Session], tmp_path: Path) -> None:
    ref = write_parquet(tmp_path / "reference.parquet", T0 - 24 * HOUR, 24, rows=200, seed=7)
    write_parquet(tmp_path / "live" / "a.parquet", T0 - 31 * 24 * HOUR, 31, 24 * HOUR, rows=200, seed=8)
    monthly = file_monitor(
        "monthly", tmp_path / "live", ref, window={"size": "1mo", "timezone": "Europe/Berlin"}
    )
    cfg = config(monthly, server={"api_token": TOKEN})
    with serve(store, cfg, Clock(T0)) as served:
        m = served.client.get("/api/v1/monitors/monthly", headers=AUTH).json()
        assert (m["window"], m["schedule"]) == ("1mo Europe/Berlin", "at each window end")
        path = "/api/v1/monitors/monthly/runs"
        off = served.client.post(path, json={"window_end": "2026-02-15T00:00:00Z"}, headers=AUTH)
        assert off.status_code == 422
        assert off.json()["detail"] == (
            "window end 2026-02-15T00:00:00+00:00 is not a window boundary of monitor 'monthly' "
            "(1mo Europe/Berlin windows); the nearest are 2026-01-31T23:00:00+00:00 and "
            "2026-02-28T23:00:00+00:00"
        )
        february = served.client.post(path, headers=AUTH).json()
        assert (february["window_start"], february["window_end"], february["status"]) == (
            "2026-01-31T23:00:00+00:00",
            "2026-02-28T23:00:00+00:00",
            "succeeded",
        )
