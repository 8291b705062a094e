"""A real headless Chromium (Debian's, driven by Selenium through Debian's chromedriver) on the demo.

`driftmon demo` writes the data, `driftmon backfill --last 24` scores it, `driftmon serve` serves
the pages. Every page loads without a console error or a failed request; the overlay has one
bar pair per baseline bin; the drifted column's history crosses its warning level exactly where
the demo injects the drift; clicking (and pressing Enter on) a history point opens that window.
Screenshots go to a temporary directory (or $DRIFTMON_SCREENSHOTS), printed at the end.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from driftmon.config import load_config
from driftmon.store import active_baseline, make_engine, session_factory
from tests.service.helpers import free_port, poll
from tests.service.server import serve_process, write_config

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
DEMO_CONFIG = Path(__file__).resolve().parents[2] / "config" / "demo.yaml"


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Chromium from Debian; nothing is downloaded (Selenium Manager is never asked)."""
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        message = "the browser tests need Debian's chromium and chromium-driver (apt-get install them)"
        if in_ci():
            pytest.fail(f"CI=true but {message}")
        pytest.skip(message)
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
        options.add_argument(flag)
    options.add_argument("--window-size=1400,1800")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, Any], Path]]:
    """The demo's data scored for its last 24 windows, served on a free port: (url, manifest, store)."""
    workdir = tmp_path_factory.mktemp("demo")
    env = {k: v for k, v in os.environ.items() if k != "DRIFTMON_DATABASE_URL"}
    env["DRIFTMON_DEMO_DIR"] = str(workdir / "driftmon-demo")
    for args in (
        ["demo", "--dir", env["DRIFTMON_DEMO_DIR"]],
        ["backfill", "-c", str(DEMO_CONFIG), "--last", "24"],
    ):
        subprocess.run(
            [sys.executable, "-m", "driftmon", *args],
            cwd=workdir,
            env=env,
            check=True,
            capture_output=True,
            timeout=300,
        )
    manifest = json.loads((workdir / "driftmon-demo" / "manifest.json").read_text(encoding="utf-8"))
    port = free_port()
    overlay = write_config(workdir / "port.yaml", {"server": {"port": port}})
    with serve_process([DEMO_CONFIG, overlay], workdir, port=port, env=env, args=["--no-catch-up"]) as server:
        server.start()
        yield server.url, manifest, workdir / "driftmon-demo" / "driftmon.sqlite"


@pytest.fixture(scope="module")
def shots() -> Iterator[Path]:
    chosen = os.environ.get("DRIFTMON_SCREENSHOTS")
    folder = Path(chosen) if chosen else Path(tempfile.mkdtemp(prefix="driftmon-pages-"))
    folder.mkdir(parents=True, exist_ok=True)
    yield folder
    print(f"\nscreenshots of the pages: {folder}")


def visit(driver: Any, url: str, shots: Path, name: str) -> None:
    """Open `url`; fail on any console error or failed request; save a full-page screenshot."""
    driver.get_log("browser")
    driver.get_log("performance")  # drop what earlier pages logged
    driver.get(url)
    poll(
        lambda: driver.execute_script("return document.readyState") == "complete",
        timeout=30,
        what=f"{url} to load",
    )
    errors = [e for e in driver.get_log("browser") if e["level"] in ("SEVERE", "WARNING")]
    assert errors == [], f"{url}: console messages {errors}"
    failed = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        params = message.get("params", {})
        if message["method"] == "Network.loadingFailed":
            failed.append(params)
        elif message["method"] == "Network.responseReceived" and params["response"]["status"] >= 400:
            failed.append({"url": params["response"]["url"], "status": params["response"]["status"]})
    assert failed == [], f"{url}: failed requests {failed}"
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(1400, max(900, min(int(height) + 40, 6000)))
    driver.save_screenshot(str(shots / f"{name}.png"))
    driver.set_window_size(1400, 1800)


def test_every_page_of_the_demo_loads_clean_and_the_overlay_has_a_bar_pair_per_bin(
    browser: Any, demo: tuple[str, dict[str, Any], Path], shots: Path
) -> None:
    url, _, database = demo
    visit(browser, f"{url}/", shots, "overview")
    links = {a.get_attribute("href") for a in browser.find_elements(By.CSS_SELECTOR, "main a")}
    config = load_config([DEMO_CONFIG], {"DRIFTMON_DEMO_DIR": str(database.parent)})
    engine = make_engine(f"sqlite:///{database}")
    sessions = session_factory(engine)
    try:
        for monitor in config.monitors:
            assert f"{url}/monitors/{monitor.name}" in links
            visit(browser, f"{url}/monitors/{monitor.name}", shots, f"monitor-{monitor.name}")
            for column in monitor.columns:
                visit(
                    browser,
                    f"{url}/monitors/{monitor.name}/columns/{column.name}",
                    shots,
                    f"column-{monitor.name}-{column.name}",
                )
                with sessions() as session:
                    baseline = active_baseline(session, monitor.name, column.name)
                assert baseline is not None
                groups = browser.find_elements(By.CSS_SELECTOR, "svg.overlay g.bin")
                assert [
                    g.get_attribute("data-label")
                    for g in sorted(groups, key=lambda g: int(g.get_attribute("data-index")))
                ] == list(baseline.spec.labels)
                for group in groups:
                    assert len(group.find_elements(By.CSS_SELECTOR, "rect.ref")) == 1
                    assert len(group.find_elements(By.CSS_SELECTOR, "rect.live")) == 1
                assert len(browser.find_elements(By.CSS_SELECTOR, "svg.history a.point")) == 24
        run = browser.find_element(By.CSS_SELECTOR, 'dl.facts a[href^="/runs/"]').get_attribute("href")
        visit(browser, run, shots, "run")
        assert "Rows read" in browser.page_source
    finally:
        engine.dispose()


def test_the_drifted_column_crosses_its_warning_level_where_the_demo_injects_drift(
    browser: Any, demo: tuple[str, dict[str, Any], Path], shots: Path
) -> None:
    url, manifest, _ = demo
    drift_start = datetime.fromisoformat(manifest["drift_start"])
    visit(browser, f"{url}/monitors/checkout-fraud/columns/amount", shots, "readme-amount")
    points = browser.find_elements(By.CSS_SELECTOR, "svg.history a.point")
    seen = [
        (
            datetime.fromisoformat(p.get_attribute("data-window-start")),
            float(p.get_attribute("data-value")) >= float(p.get_attribute("data-warning")),
        )
        for p in points
    ]
    assert [start >= drift_start for start, _ in seen] == [above for _, above in seen]
    assert any(start < drift_start for start, _ in seen)
    assert any(start >= drift_start for start, _ in seen)


def test_clicking_or_entering_a_history_point_opens_that_window(
    browser: Any, demo: tuple[str, dict[str, Any], Path], shots: Path
) -> None:
    url, _, _ = demo
    visit(browser, f"{url}/monitors/checkout-fraud/columns/country", shots, "column-before-click")
    target = browser.find_elements(By.CSS_SELECTOR, "svg.history a.point")[5]
    end = target.get_attribute("data-window-end")
    target.click()
    poll(lambda: "window=" in browser.current_url, timeout=30, what="the clicked window to open")
    chosen = browser.find_element(By.CSS_SELECTOR, "svg.history a.point.chosen")
    assert chosen.get_attribute("data-window-end") == end
    visit(browser, browser.current_url, shots, "column-clicked-window")
    # Keyboard: every point is a link; Enter on a focused one opens its window too.
    other = browser.find_elements(By.CSS_SELECTOR, "svg.history a.point")[2]
    end = other.get_attribute("data-window-end")
    browser.execute_script("arguments[0].focus()", other)
    assert browser.switch_to.active_element == other
    other.send_keys(Keys.ENTER)
    poll(
        lambda: (
            browser.find_element(By.CSS_SELECTOR, "svg.history a.point.chosen").get_attribute(
                "data-window-end"
            )
            == end
        ),
        timeout=30,
        what="Enter on a point to open its window",
    )
