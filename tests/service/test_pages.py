"""The pages over a real store and real HTTP: what each shows, window choice, errors, the token."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy.orm import Session, sessionmaker

from driftmon.config import Config
from driftmon.http import ApiContext, HttpServer, Readiness, create_app
from driftmon.metrics import MetricsSnapshot
from driftmon.pages import add_pages
from driftmon.scheduler import MonitorWorker
from driftmon.store import active_baseline, run_history

from .helpers import HOUR, T0, Clock, config, file_monitor, write_parquet

TOKEN = "page-token-value"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@dataclass
class Pages:
    client: httpx.Client
    config: Config
    sessions: sessionmaker[Session]


@pytest.fixture
def pages(store: sessionmaker[Session], tmp_path: Path) -> Iterator[Pages]:
    """Monitor `m`: 4 stable hours then 4 drifted ones, scored; `idle` has none. Token required."""
    ref = write_parquet(tmp_path / "reference.parquet", T0 - 24 * HOUR, 24, rows=200, seed=7)
    write_parquet(tmp_path / "live" / "a.parquet", T0, 4, seed=8)
    write_parquet(tmp_path / "live" / "b.parquet", T0 + 4 * HOUR, 4, shift=1.0, seed=9)
    cfg = config(
        file_monitor("m", tmp_path / "live", ref, description="the test monitor"),
        file_monitor("idle", tmp_path / "nothing", ref),
        server={"api_token": TOKEN},
        scheduler={"max_backfill_windows": 8},
    )
    clock = Clock(T0 + 8 * HOUR)
    worker = MonitorWorker(cfg.monitors, sessions=store, settings=cfg.scheduler, clock=clock)
    assert [o.status for o in worker.tick("m")] == ["succeeded"] * 8
    ctx = ApiContext(
        config=lambda: cfg, sessions=store, snapshot=MetricsSnapshot(), readiness=lambda: Readiness({})
    )
    app = create_app(ctx)
    add_pages(app, clock)
    server = HttpServer(app, "127.0.0.1", 0)
    server.start()
    try:
        with httpx.Client(base_url=server.url, timeout=30, headers=AUTH) as client:
            yield Pages(client, cfg, store)
    finally:
        server.stop()


def attrs(html: str, tag_class: str, name: str) -> list[str]:
    """Return attribute `name` of every element whose class list starts with `tag_class`."""
    return re.findall(rf'class="{tag_class}[^"]*"[^>]*?{name}="([^"]*)"', html)


def test_without_the_token_a_page_asks_for_it_and_the_cookie_opens_pages_only(pages: Pages) -> None:
    with httpx.Client(base_url=str(pages.client.base_url), timeout=30) as anonymous:
        asked = anonymous.get("/monitors/m?sort=column")
        assert asked.status_code == 401
        assert 'name="token"' in asked.text
        assert 'name="next" value="/monitors/m?sort=column"' in asked.text
        wrong = anonymous.post("/login", data={"token": "guess", "next": "/monitors/m"})
        assert wrong.status_code == 401
        assert "That is not the API token." in wrong.text
        assert "driftmon_session" not in anonymous.cookies
        signed = anonymous.post("/login", data={"token": TOKEN, "next": "/monitors/m"})
        assert (signed.status_code, signed.headers["location"]) == (303, "/monitors/m")
        cookie = signed.headers["set-cookie"]
        assert "HttpOnly" in cookie
        assert "SameSite=strict" in cookie
        assert TOKEN not in cookie
        assert anonymous.get("/monitors/m").status_code == 200
        # The session opens the pages, never the API (no cross-site POST can trigger a run).
        assert anonymous.get("/api/v1/monitors").status_code == 401
        # Only a path on this server is a place to go after signing in.
        away = anonymous.post("/login", data={"token": TOKEN, "next": "//elsewhere.example/x"})
        assert away.headers["location"] == "/"


def test_overview_lists_troubled_monitors_first_and_links_each(pages: Pages) -> None:
    page = pages.client.get("/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "default-src 'none'" in page.headers["content-security-policy"]
    html = page.text
    # `idle` has no completed window: stale, listed before `m`.
    assert html.index('href="/monitors/idle"') < html.index('href="/monitors/m"')
    assert '<span class="badge stale">stale</span>' in html
    assert 'href="/monitors/m/columns/x"' in html  # x alerts after its shift
    assert "<script" not in html


def test_monitor_page_has_a_row_per_column_sortable_by_a_link(pages: Pages) -> None:
    html = pages.client.get("/monitors/m").text
    for column in ("x", "c"):
        assert f'href="/monitors/m/columns/{column}"' in html
    assert 'href="/monitors/m?sort=column"' in html
    assert html.count('class="sparkline"') == 2
    by_name = pages.client.get("/monitors/m?sort=column").text
    assert by_name.index("/columns/c") < by_name.index("/columns/x")
    reversed_ = pages.client.get("/monitors/m?sort=column&desc=1").text
    assert reversed_.index("/columns/x") < reversed_.index("/columns/c")
    bad = pages.client.get("/monitors/m?sort=colour")
    assert bad.status_code == 400
    assert "sort=&#x27;colour&#x27;: sort by one of column, kind, role, state, value" in bad.text


@pytest.mark.parametrize("query", ["at=99999999999999999999", "window=" + "9" * 400, "at=abc"])
def test_a_time_the_calendar_cannot_hold_is_a_400_page(pages: Pages, query: str) -> None:
    response = pages.client.get(f"/monitors/m/columns/x?{query}")
    assert response.status_code == 400, response.text
    assert query.split("=")[0] + ":" in response.text


def test_column_page_overlays_every_baseline_bin_and_charts_the_history(pages: Pages) -> None:
    with pages.sessions() as session:
        baseline = active_baseline(session, "m", "x")
        runs = run_history(session, "m")
    assert baseline is not None
    html = pages.client.get("/monitors/m/columns/x").text
    labels = attrs(html, "bin", "data-label")
    assert labels == list(baseline.spec.labels)  # numeric: edge order, missing last
    assert html.count('<rect class="ref"') == html.count('<rect class="live"') == baseline.spec.n_bins
    ends = attrs(html, "point", "data-window-end")
    assert len(ends) == 8
    assert ends == sorted(ends)
    values = [float(v) for v in attrs(html, "point", "data-value")]
    warnings = [float(v) for v in attrs(html, "point", "data-warning")]
    drifted = [v >= w for v, w in zip(values, warnings, strict=True)]
    assert drifted == [False] * 4 + [True] * 4
    assert attrs(html, "point chosen", "data-window-end") == [runs[0].window_end.isoformat()]
    assert 'class="level level-warning"' in html
    assert 'class="noise-band"' in html
    assert "fired" in html  # the transition, on the chart and in the table


def test_a_window_is_chosen_by_its_end_or_by_any_instant_after_it(pages: Pages) -> None:
    end = T0 + 3 * HOUR
    html = pages.client.get("/monitors/m/columns/c", params={"window": "2026-03-02T03:00:00Z"}).text
    assert attrs(html, "point chosen", "data-window-end") == [end.isoformat()]
    assert attrs(html, "bin", "data-label")[-2:] == ["other", "missing"]
    # Grafana sends the sample's time in milliseconds: the latest window ending at or before it.
    millis = int(end.timestamp() * 1000) + 30 * 60 * 1000
    html = pages.client.get("/monitors/m/columns/c", params={"at": str(millis)}).text
    assert attrs(html, "point chosen", "data-window-end") == [end.isoformat()]
    older = pages.client.get("/monitors/m/columns/x", params={"window": "2026-03-02T03:00:00Z", "n": 2}).text
    assert attrs(older, "point", "data-window-end") == [(end - HOUR).isoformat(), end.isoformat()]


@pytest.mark.parametrize(
    ("path", "status", "text"),
    [
        ("/monitors/nope", 404, "nope"),
        ("/monitors/m/columns/nope", 404, "monitor &#x27;m&#x27; has no column &#x27;nope&#x27;"),
        ("/monitors/m/columns/x?window=2026-03-02T03:30:00Z", 404, "has no window ending at"),
        ("/monitors/m/columns/x?window=soon", 400, "window: &#x27;soon&#x27; is not a time"),
        ("/monitors/m/columns/x?statistic=entropy", 404, "has no statistic &#x27;entropy&#x27;"),
        ("/monitors/idle/columns/x", 404, "has no stored window yet"),
        ("/runs/999999", 404, "no run with id 999999"),
    ],
)
def test_what_does_not_exist_or_cannot_be_read_is_named(
    pages: Pages, path: str, status: int, text: str
) -> None:
    response = pages.client.get(path)
    assert response.status_code == status
    assert text in response.text


def test_run_page_shows_status_rows_read_and_each_column(pages: Pages) -> None:
    with pages.sessions() as session:
        run = run_history(session, "m", limit=1)[0]
    html = pages.client.get(f"/runs/{run.id}").text
    assert f"Run #{run.id}" in html
    assert f"{run.rows_read:,}" in html
    window = run.window_end.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert f'href="/monitors/m/columns/x?window={window}"' in html
    assert '<span class="badge succeeded">succeeded</span>' in html
