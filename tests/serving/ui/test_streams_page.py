"""The Streams pages in headless Chromium, over a project of their own served with a token by a
real uvicorn server, its stream's real worker running beside it (in a thread, on a Lakehouse
of its own): events posted through the served intake; the list shows each stream's counters
and open alerts, and a stream's chart follows a key live (server-sent events, through the
browser's session cookie) without reloading the page."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import httpx
import pytest
from fastapi.testclient import TestClient

from lakebox.serving.app import create_app
from tests.serving.streaming import served
from tests.stream.sample import (
    NDJSON,
    REFUSED,
    body,
    first_round,
    second_round,
    stream_project,
    wait_until,
    worker_running,
)

pytestmark = pytest.mark.slow
TOKEN = "s" * 40


@pytest.fixture
def site(make_project) -> Iterator[tuple[str, object, httpx.Client]]:
    """The served project, its worker running, after a first round of events: its URL,
    Lakehouse and an API client that carries the token."""
    lh = stream_project(make_project)
    app = create_app(lh, token=TOKEN, timeout=10)
    with served(app) as (url, _), worker_running(lh.project_dir):
        headers = {"Authorization": f"Bearer {TOKEN}"}
        with httpx.Client(base_url=url, headers=headers, timeout=30) as api:
            post(api, [*first_round(), REFUSED])
            flushed(api, events=21, closed=4)
            yield url, lh, api


@pytest.fixture
def browser_page(browser, site) -> Iterator[object]:
    """A browser page whose session holds the token (opened once with ?token=), failing the
    test on a JavaScript error or a server error."""
    url = site[0]
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    opened = context.new_page()
    opened.set_default_timeout(30_000)
    problems: list[str] = []
    opened.on("pageerror", lambda error: problems.append(f"JavaScript error: {error}"))
    opened.on(
        "response",
        lambda response: (
            problems.append(f"{response.status} {response.url}") if response.status >= 400 else None
        ),
    )
    opened.goto(f"{url}/streams?token={TOKEN}")
    yield opened
    context.close()
    assert problems == []


def flushed(api: httpx.Client, events: int, closed: int) -> None:
    """Wait until the worker took `events` events and committed `closed` 1-minute windows of
    aq-01 to the window table."""

    def done() -> bool:
        found = api.get("/api/streams/air/windows", params={"key": "aq-01"}).json()
        return (found["status"]["events_in"], len(found["closed"])) == (events, closed)

    wait_until(done, f"the worker's flush of {events} events")


def post(api: httpx.Client, events: list[dict]) -> None:
    answer = api.post("/api/streams/air/events", content=body(events), headers=NDJSON)
    assert answer.status_code == 202, answer.text


def trace(page, name: str) -> list:
    """Return the y values of the chart's trace called `name`."""
    return page.evaluate(
        "(name) => document.querySelector('#chart').data.find((t) => t.name === name).y", name
    )


def test_the_list_shows_counters_and_open_alerts_and_refreshes(browser_page, site, screenshots):
    page = browser_page
    api = site[2]
    section = page.locator('section.stream[data-stream="air"]')
    assert section.locator('[data-field="events_in"]').inner_text() == "21"
    assert section.locator('[data-field="refused"]').inner_text() == "1"
    assert section.locator('[data-field="running"]').inner_text() == "running"
    alert = section.locator("tr.alert")
    assert alert.count() == 1
    assert "aq-07 pm25 > 35 for 2 readings" in alert.inner_text()
    assert page.locator("header nav a.active").inner_text() == "Streams"
    meters = page.locator('section.stream[data-stream="meters"]')
    assert meters.locator('[data-field="running"]').inner_text() == "stopped"
    page.screenshot(path=screenshots / "streams.png", full_page=True)
    post(api, second_round())
    page.wait_for_function(
        "() => document.querySelector('section.stream[data-stream=air] "
        "[data-field=events_in]').textContent === '27'"
    )
    assert page.evaluate("performance.getEntriesByType('navigation').length") == 1


def test_the_chart_follows_a_key_live_without_a_reload(browser_page, site, screenshots):
    page = browser_page
    url, _, api = site
    page.goto(f"{url}/streams/air?window=1m&key=aq-01")
    page.wait_for_function("() => Number(document.querySelector('#chart').dataset.updates) >= 1")
    assert trace(page, "pm25_mean") == [10.5, 11.5, 12.5, 13.5]
    assert trace(page, "pm25_max") == [11, 12, 13, 14]
    assert trace(page, "pm25_mean (open)") == [14.5]
    assert page.locator("#open-windows tbody tr").count() == 1
    assert page.locator("#alerts-panel tr.alert").count() == 1
    loaded = page.evaluate("window.lakeboxPageLoadedAt")
    before = page.locator("#chart").get_attribute("data-values")
    page.screenshot(path=screenshots / "stream-live-before.png", full_page=True)

    post(api, [*second_round(), *second_round("aq-09", range(6, 8))])
    page.wait_for_function(
        "(before) => document.querySelector('#chart').dataset.values !== before "
        "&& document.querySelector('#chart').dataset.closed === '7'",
        arg=before,
    )
    assert trace(page, "pm25_mean") == [10.5, 11.5, 12.5, 13.5, 14.5, 15.5, 16.5]
    # the open window follows with the worker's next status (written once a second)
    page.wait_for_function(
        "() => JSON.stringify(document.querySelector('#chart').data"
        ".find((t) => t.name === 'pm25_mean (open)').y) === '[17.5]'"
    )
    # the same page all along: no navigation, and what the page set when it loaded is still set
    assert page.evaluate("window.lakeboxPageLoadedAt") == loaded
    assert page.evaluate("performance.getEntriesByType('navigation').length") == 1
    assert page.locator("section.stream [data-field=events_in]").inner_text() == "31"
    # a key seen after the page loaded joins the select
    page.locator('#key option[value="aq-09"]').wait_for(state="attached")
    page.screenshot(path=screenshots / "stream-live-after.png", full_page=True)

    page.select_option("#key", "aq-07")
    page.wait_for_function("() => location.search.includes('key=aq-07')")
    page.wait_for_function(
        "() => document.querySelector('#chart').data.find((t) => t.name === 'pm25_max')"
        ".y.length === 5"
    )
    # aq-07's minute 4 (50 twice), closed by the later events of aq-01
    assert trace(page, "pm25_max") == [20, 21, 22, 23, 50]
    assert trace(page, "pm25_max (open)") == []


def test_an_unknown_stream_is_a_404_page(browser, site):
    url = site[0]
    context = browser.new_context()
    try:
        opened = context.new_page()
        opened.goto(f"{url}/streams?token={TOKEN}")
        answer = opened.goto(f"{url}/streams/nope")
        assert answer.status == 404
        assert "no stream named 'nope'" in opened.locator(".error").inner_text()
    finally:
        context.close()


def test_a_key_the_key_column_cannot_hold_is_said_and_not_followed(make_project):
    lh = stream_project(make_project)
    with TestClient(create_app(lh), base_url="http://127.0.0.1") as client:
        answer = client.get("/streams/meters", params={"key": "abc"})
        assert answer.status_code == 200
        assert "meter is BIGINT, and &#39;abc&#39; is not one" in answer.text
        settings = re.search(r'id="stream-settings">(.*?)</script>', answer.text).group(1)
        assert json.loads(settings)["key"] is None  # no key is known yet: nothing is followed
        empty = client.get("/streams")
        assert 'data-stream="air"' in empty.text and 'data-stream="meters"' in empty.text


def test_without_streams_the_list_says_how_to_declare_one(make_project):
    lh = make_project()
    with TestClient(create_app(lh), base_url="http://127.0.0.1") as client:
        page = client.get("/streams").text
        assert 'id="empty"' in page and "streams:" in page
        assert client.get("/api/streams").json() == []
        assert client.get("/streams/air").status_code == 404
