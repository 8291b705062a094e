"""Writes behind a token, and hostile requests: each gets a 4xx naming what was wrong, never a 5xx.

Real HTTP against the app over a real store (SQLite, and PostgreSQL where the store is asked).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from driftmon.http import ApiContext, Readiness
from driftmon.store import run_history

from .helpers import HOUR, T0, Clock, config, file_monitor, write_parquet
from .test_http import AUTH, TOKEN, Served, running, serve

WRITES_OFF = (
    "writes are disabled: this server has no API token. Set server.api_token "
    "(e.g. api_token: ${DRIFTMON_API_TOKEN}) and send 'Authorization: Bearer <token>', "
    "or set server.allow_anonymous_writes: true to allow writes without a token"
)


def monitors(tmp_path: Path) -> dict[str, Any]:
    ref = write_parquet(tmp_path / "reference.parquet", T0 - 24 * HOUR, 24, rows=200, seed=7)
    write_parquet(tmp_path / "live" / "a.parquet", T0, 4, seed=8)
    return file_monitor("m", tmp_path / "live", ref)


@pytest.fixture
def open_reads(store: sessionmaker[Session], tmp_path: Path) -> Iterator[Served]:
    """No API token and no allow_anonymous_writes: the defaults."""
    with serve(store, config(monitors(tmp_path)), Clock(T0 + 4 * HOUR)) as served:
        yield served


def stored_runs(served: Served) -> list[Any]:
    with served.sessions() as session:
        return run_history(session, "m", limit=1000)


def test_without_a_token_writes_are_refused_and_reads_stay_open(open_reads: Served) -> None:
    refused = open_reads.client.post("/api/v1/monitors/m/runs")
    assert (refused.status_code, refused.json()) == (403, {"detail": WRITES_OFF})
    junk = {"window_end": "2026-03-02T01:00:00Z"}
    assert open_reads.client.post("/api/v1/monitors/m/runs", json=junk).status_code == 403
    assert open_reads.client.post("/api/v1/monitors/nope/runs").status_code == 403  # nothing revealed
    assert stored_runs(open_reads) == []
    assert open_reads.client.get("/api/v1/monitors/m/runs").status_code == 200


def test_allow_anonymous_writes_opens_them(store: sessionmaker[Session], tmp_path: Path) -> None:
    cfg = config(monitors(tmp_path), server={"allow_anonymous_writes": True})
    with serve(store, cfg, Clock(T0 + 4 * HOUR)) as served:
        response = served.client.post("/api/v1/monitors/m/runs", json={"window_end": "2026-03-02T02:00:00Z"})
        assert response.status_code == 200, response.text
        assert response.json()["status"] == "succeeded"
        assert [r.window_end for r in stored_runs(served)] == [T0 + 2 * HOUR]


def test_with_a_token_it_is_needed_whatever_allow_anonymous_writes_says(
    store: sessionmaker[Session], tmp_path: Path
) -> None:
    cfg = config(monitors(tmp_path), server={"api_token": TOKEN, "allow_anonymous_writes": True})
    with serve(store, cfg, Clock(T0 + 4 * HOUR)) as served:
        assert served.client.post("/api/v1/monitors/m/runs").status_code == 401
        assert served.client.post("/api/v1/monitors/m/runs", headers=AUTH).status_code == 200


@pytest.fixture
def writable(store: sessionmaker[Session], tmp_path: Path) -> Iterator[Served]:
    cfg = config(monitors(tmp_path), server={"api_token": TOKEN})
    with serve(store, cfg, Clock(T0 + 4 * HOUR)) as served:
        yield served


RANGE = (
    "driftmon accepts times from 1900-01-01T00:00:00+00:00 up to (not including) 9000-01-01T00:00:00+00:00"
)


@pytest.mark.parametrize(
    ("path", "params", "named"),
    [
        ("/api/v1/monitors/m/runs", {"before": "0001-01-01T00:00:00+01:00"}, "before"),  # year 0 in UTC
        ("/api/v1/monitors/m/runs", {"before": "9999-12-31T23:59:59-01:00"}, "before"),  # year 10000
        ("/api/v1/monitors/m/alerts", {"since": "1899-12-31T23:59:59Z"}, "since"),
        ("/api/v1/alerts", {"since": "9000-01-01T00:00:00Z"}, "since"),
        ("/api/v1/alerts", {"since": "0001-01-01T00:30:00+01:00", "monitor": "m"}, "since"),
    ],
)
def test_out_of_range_times_in_queries_are_400_naming_the_parameter(
    writable: Served, caplog: pytest.LogCaptureFixture, path: str, params: dict[str, str], named: str
) -> None:
    with caplog.at_level(logging.WARNING):
        response = writable.client.get(path, params=params, headers=AUTH)
    assert response.status_code == 400, response.text
    detail = response.json()["detail"]
    assert detail.startswith(f"{named}: "), detail
    assert detail.endswith(f"is out of range; {RANGE}")
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []


def test_out_of_range_window_ends_are_400_and_store_nothing(writable: Served) -> None:
    for end in (
        "0001-01-01T01:00:00Z",
        "0001-01-01T00:00:00+01:00",
        "1899-12-31T23:00:00Z",
        "9999-12-31T23:00:00Z",
    ):
        response = writable.client.post("/api/v1/monitors/m/runs", json={"window_end": end}, headers=AUTH)
        assert response.status_code == 400, (end, response.text)
        assert response.json()["detail"].startswith("window_end: "), end
    assert stored_runs(writable) == []


@pytest.mark.parametrize("bad", [0.0, 1700000000, "1700000000", "0.5", "2026-03-02", True, "soon"])
def test_a_time_must_be_a_date_and_time_not_a_number_or_a_bare_date(writable: Served, bad: Any) -> None:
    post = writable.client.post("/api/v1/monitors/m/runs", json={"window_end": bad}, headers=AUTH)
    assert post.status_code == 422, (bad, post.text)
    assert "expected an ISO 8601 date and time" in post.text
    get = writable.client.get("/api/v1/alerts", params={"since": str(bad)}, headers=AUTH)
    assert get.status_code == 422, (bad, get.text)
    assert stored_runs(writable) == []


def test_a_time_without_an_offset_is_utc(writable: Served) -> None:
    response = writable.client.post(
        "/api/v1/monitors/m/runs", json={"window_end": "2026-03-02T02:00:00"}, headers=AUTH
    )
    assert response.json()["window_end"] == "2026-03-02T02:00:00+00:00"
    runs = writable.client.get("/api/v1/monitors/m/runs", params={"before": "2026-03-02 02:00"}, headers=AUTH)
    assert [r["window_end"][:19] for r in runs.json()] == ["2026-03-02T02:00:00"]


def test_run_ids_beyond_64_bits_are_422_not_a_store_error(
    any_store: sessionmaker[Session], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    cfg = config(monitors(tmp_path), server={"api_token": TOKEN})
    ctx = ApiContext(
        config=lambda: cfg,
        sessions=any_store,
        snapshot=None,
        readiness=lambda: Readiness({}),  # type: ignore[arg-type]
    )
    with caplog.at_level(logging.WARNING), running(ctx) as client:
        for run_id in ("99999999999999999999999", "9223372036854775808", "0", "-1", "1e3"):
            response = client.get(f"/api/v1/runs/{run_id}", headers=AUTH)
            assert response.status_code == 422, (run_id, response.text)
            assert response.json()["detail"][0]["loc"] == ["path", "run_id"]
        biggest = client.get("/api/v1/runs/9223372036854775807", headers=AUTH)
        assert (biggest.status_code, biggest.json()) == (
            404,
            {"detail": "no run with id 9223372036854775807 is stored"},
        )
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []


def test_a_wrong_method_names_every_method_of_the_path(writable: Served) -> None:
    response = writable.client.request("DELETE", "/api/v1/monitors/m/runs", headers=AUTH)
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, POST"
    assert writable.client.put("/api/v1/runs/1", headers=AUTH).headers["allow"] == "GET"


def test_a_body_that_is_not_json_is_400(writable: Served) -> None:
    response = writable.client.post(
        "/api/v1/monitors/m/runs",
        content=b"\xff\x00{",
        headers={**AUTH, "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert stored_runs(writable) == []
