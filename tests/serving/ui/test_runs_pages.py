"""The Runs and Alerts pages: over the served demo project (its build runs twice, so
`ops.runs` and `ops.step_runs` hold two runs) in headless Chromium, and over small projects of
their own with FastAPI's TestClient (runs of two pipelines, alerts saved in `ops.alerts`).

Each browser test reads what it expects from the lakehouse before it opens a page: the server's
thread is idle then, so the two never use the engine at once."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi.testclient import TestClient

from lakebox.demo import LIVE_SOURCE
from lakebox.lakehouse import Lakehouse
from lakebox.monitoring import ledger
from lakebox.monitoring.ledger import AlertRecord
from lakebox.orchestration import history
from lakebox.orchestration.runner import RunReport
from lakebox.serving.app import create_app
from lakebox.serving.ui.templating import NAVIGATION, TEMPLATES
from tests.conftest import ProjectFactory

OPENED = datetime(2026, 3, 2, 10, tzinfo=UTC)


def shown_runs(html: str) -> list[str]:
    """Return the run ids of the runs table's rows, in order."""
    return re.findall(r'<tr class="run" data-run="([^"]+)"', html)


def shown_alerts(html: str, section: str) -> list[str]:
    """Return the incident ids of the alerts in `section` ("open" or "resolved"), in order."""
    found = re.search(rf'<section class="panel" id="{section}">(.*?)</section>', html, re.S)
    return re.findall(r'data-incident="([^"]+)"', found.group(1)) if found else []


@pytest.mark.slow
def test_the_runs_page_lists_and_charts_the_demo_runs(page, base_url, demo_lakehouse, screenshots):
    runs = history.recent(demo_lakehouse, 200)
    assert len(runs) == 2, "the demo's build runs twice"

    page.goto(base_url + "/runs")
    assert page.locator("tr.run").evaluate_all("rows => rows.map((r) => r.dataset.run)") == [
        row["run_id"] for row in runs
    ]
    page.locator("#chart.js-plotly-plot").wait_for()
    plotted = page.evaluate("() => document.querySelector('#chart').data.flatMap((t) => t.y)")
    assert sorted(plotted) == pytest.approx(sorted(row["seconds"] for row in runs))
    assert page.locator("header nav a.active").inner_text() == "Runs"
    page.screenshot(path=screenshots / "runs.png", full_page=True)


@pytest.mark.slow
def test_a_run_page_lists_its_steps_on_a_timeline(page, base_url, demo_lakehouse, screenshots):
    latest = history.recent(demo_lakehouse, 1)[0]
    steps = history.run_steps(demo_lakehouse, latest["run_id"])
    assert f"land:{LIVE_SOURCE}" in [step["step"] for step in steps]

    page.goto(base_url + "/runs")
    page.locator(f'tr.run[data-run="{latest["run_id"]}"] a').click()
    page.wait_for_url(f"**/runs/{latest['run_id']}")
    shown = page.locator("tr.step").evaluate_all("rows => rows.map((r) => r.dataset.step)")
    assert shown == [step["step"] for step in steps]
    assert page.locator(f'tr.step[data-step="land:{LIVE_SOURCE}"]').count() == 1
    assert page.locator("#run-status").inner_text() == latest["status"]
    page.locator("#timeline.js-plotly-plot").wait_for()
    bars = page.evaluate("() => document.querySelector('#timeline').data.flatMap((t) => t.y)")
    assert sorted(bars) == sorted(step["step"] for step in steps)
    page.screenshot(path=screenshots / "run.png", full_page=True)


@pytest.mark.slow
def test_an_unknown_run_is_not_found(base_url):
    answer = httpx.get(base_url + "/runs/no-such-run", timeout=10)
    assert answer.status_code == 404
    assert "no run &#39;no-such-run&#39; in ops.runs" in answer.text


@pytest.mark.slow
def test_the_pipeline_filter_of_the_demo(base_url):
    every = httpx.get(base_url + "/runs", params={"pipeline": history.DEFAULT_PIPELINE})
    assert len(shown_runs(every.text)) == 2
    none = httpx.get(base_url + "/runs", params={"pipeline": "<nightly>"})
    assert shown_runs(none.text) == []
    assert "No runs match the filters." in none.text
    assert "<nightly>" not in none.text and "&lt;nightly&gt;" in none.text


def record_run(lh: Lakehouse, pipeline: str, run_id: str, error: str | None = None) -> str:
    """Record in `ops.runs` a run of `pipeline` without steps, failed with `error` if given."""
    failure = RuntimeError(error) if error else None
    history.store(lh, pipeline, "run", RunReport(run_id), datetime.now(UTC), failure)
    return run_id


def test_runs_are_filtered_by_pipeline_and_status(make_project: ProjectFactory) -> None:
    lh = make_project()
    nightly = record_run(lh, "nightly", "run-1")
    hourly = record_run(lh, "hourly", "run-2", error="source <sales> is down")
    client = TestClient(create_app(lh), base_url="http://127.0.0.1")

    assert shown_runs(client.get("/runs").text) == [hourly, nightly]
    assert shown_runs(client.get("/runs", params={"pipeline": "nightly"}).text) == [nightly]
    assert shown_runs(client.get("/runs", params={"status": "failed"}).text) == [hourly]
    both = {"pipeline": "nightly", "status": "failed"}
    assert shown_runs(client.get("/runs", params=both).text) == []
    failed = client.get(f"/runs/{hourly}")
    assert failed.status_code == 200
    assert "source &lt;sales&gt; is down" in failed.text and "<sales>" not in failed.text


def test_without_runs_or_alerts_the_pages_say_what_to_run(make_project: ProjectFactory) -> None:
    client = TestClient(create_app(make_project()), base_url="http://127.0.0.1")

    runs = client.get("/runs")
    assert runs.status_code == 200
    assert "No runs yet: run <code>lakebox run</code>" in runs.text
    assert 'data-pipeline="default"' in runs.text  # the whole data path, never run yet
    assert client.get("/runs/anything").status_code == 404
    alerts = client.get("/alerts")
    assert alerts.status_code == 200 and "No alerts yet" in alerts.text
    assert re.search(r'open alerts: <span class="count">0</span>', client.get("/").text)


def alert(
    incident_id: str,
    hours: int,
    kind: str = "stale",
    severity: str = "warn",
    resolved_at: datetime | None = None,
    last_error: str | None = None,
) -> AlertRecord:
    """Return an alert opened `hours` after OPENED and notified a minute later."""
    opened_at = OPENED + timedelta(hours=hours)
    return AlertRecord(
        incident_id=incident_id,
        kind=kind,
        source="exploitation.stores",
        subject=f"{incident_id} is stale",
        severity=severity,
        status="open" if resolved_at is None else "resolved",
        opened_at=opened_at,
        resolved_at=resolved_at,
        notified_at=opened_at + timedelta(minutes=1),
        channels=["json://127.0.0.1:9/alerts"],
        last_error=last_error,
    )


def saved_alerts(lh: Lakehouse) -> None:
    """Save two open alerts and two resolved ones in `ops.alerts`."""
    records = [
        alert("stale:old", 1),
        alert("run:nightly", 3, kind="runs", severity="error", last_error="<refused> by the hook"),
        alert("stale:done", 2, resolved_at=OPENED + timedelta(hours=9)),
        alert("check:gone", 5, resolved_at=OPENED + timedelta(hours=6)),
    ]
    ledger.save(lh, {record.incident_id: record for record in records})


def test_the_alerts_page_shows_open_alerts_then_resolved_ones(
    make_project: ProjectFactory,
) -> None:
    lh = make_project()
    saved_alerts(lh)
    client = TestClient(create_app(lh), base_url="http://127.0.0.1")

    page = client.get("/alerts").text
    assert shown_alerts(page, "open") == ["run:nightly", "stale:old"]
    assert shown_alerts(page, "resolved") == ["stale:done", "check:gone"]
    assert page.index('id="open"') < page.index('id="resolved"')
    assert '<span class="badge severity-error">error</span>' in page
    assert "&lt;refused&gt; by the hook" in page and "<refused>" not in page
    assert "2026-03-02 19:00:00" in page  # stale:done's resolved time
    assert '<a href="/alerts" class="active" aria-current="page">Alerts</a>' in page


def test_the_alerts_status_filter_and_the_overview_count(make_project: ProjectFactory) -> None:
    lh = make_project()
    saved_alerts(lh)
    client = TestClient(create_app(lh), base_url="http://127.0.0.1")

    opened = client.get("/alerts", params={"status": "open"}).text
    assert shown_alerts(opened, "open") == ["run:nightly", "stale:old"]
    assert 'id="resolved"' not in opened
    resolved = client.get("/alerts", params={"status": "resolved"}).text
    assert 'id="open"' not in resolved
    assert shown_alerts(resolved, "resolved") == ["stale:done", "check:gone"]
    overview = client.get("/").text
    assert re.search(
        r'href="/alerts\?status=open"[^>]*>open alerts: <span class="count">2<', overview
    )


def test_the_runs_page_shows_the_pipelines_it_is_given() -> None:
    pipelines = [
        {"name": "nightly", "schedule": "0 2 * * *", "next_run": OPENED, "last_status": "ok"}
    ]
    html = TEMPLATES.get_template("runs.html").render(
        navigation=NAVIGATION, section="runs", pipelines=pipelines, recorded=False
    )
    assert '<tr data-pipeline="nightly">' in html
    assert "0 2 * * *" in html and "2026-03-02 10:00:00" in html
    assert 'href="/runs?pipeline=nightly"' in html
