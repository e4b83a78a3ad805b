"""`lakebox demo` served, seen in Chromium: the Streams page's chart of a device follows the
live fleet without a reload, and the planted cooking spikes and the stuck sensor are alerts
(the stuck one still open on the stream's page, the cooking ones on the alerts page)."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import timedelta

import httpx
import pytest

from lakebox.demo.generators import air_quality
from tests.conftest import free_port

pytestmark = pytest.mark.slow


@pytest.fixture
def demo(tmp_path) -> Iterator[str]:
    """`lakebox demo` serving on a free port; its URL."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "lakebox.cli", "demo", str(tmp_path / "demo"), "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        _wait(lambda: _serving(url, process), "the demo to serve", 600)
        yield url
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=60)
    finally:
        process.kill()


@pytest.fixture
def page() -> Iterator[object]:
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        pytest.skip("no chromium binary (install Debian's chromium package; .ci/run does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable)
        opened = browser.new_page()
        errors: list[str] = []
        opened.on("pageerror", lambda error: errors.append(str(error)))
        yield opened
        browser.close()
        assert errors == []


def _serving(url: str, process: subprocess.Popen) -> bool:
    assert process.poll() is None, process.stderr.read() if process.stderr else ""
    try:
        return httpx.get(f"{url}/api/zones", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def _wait(condition: Callable[[], object], what: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"waited {seconds:g} s for {what}"
        time.sleep(0.5)


def test_the_streams_page_follows_the_fleet_live_and_shows_the_planted_alerts(demo, page):
    stuck = air_quality.stuck_device().id
    page.goto(f"{demo}/streams/air_quality?window=1m&key={stuck}")
    page.wait_for_function("() => Number(document.querySelector('#chart').dataset.updates) >= 1")
    loaded = page.evaluate("window.lakeboxPageLoadedAt")
    before = page.locator("#chart").get_attribute("data-values")
    # the fleet posts every second: the device's open window moves on the same page
    page.wait_for_function(
        "(before) => document.querySelector('#chart').dataset.values !== before",
        arg=before,
        timeout=90_000,
    )
    assert page.evaluate("window.lakeboxPageLoadedAt") == loaded
    assert page.evaluate("performance.getEntriesByType('navigation').length") == 1
    # the stuck sensor's alert is open on the stream's page
    open_alerts = page.locator("#alerts-panel tr.alert").all_inner_texts()
    assert any(stuck in text and "pm25_stuck" in text for text in open_alerts), open_alerts

    start = air_quality.DEFAULT_END - timedelta(days=1)
    cooked = {
        item.device
        for item in air_quality.incidents(7, start, air_quality.DEFAULT_END)
        if item.kind == "cooking"
    }
    page.goto(f"{demo}/alerts")
    shown = page.locator("tr.alert").all_inner_texts()
    spikes = {device for device in cooked if any(device in t and "pm25_high" in t for t in shown)}
    assert spikes == cooked and cooked
