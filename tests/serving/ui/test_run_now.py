"""The Runs page's "Run now" button in Chromium: it starts a real run of the pipeline, which
is listed once it ends, and says so when the pipeline is already running."""

from __future__ import annotations

import time

from lakebox.orchestration import history
from lakebox.orchestration.lock import PipelineLock
from lakebox.serving.app import create_app
from tests.conftest import write_file
from tests.serving.ui.conftest import served


def test_run_now_starts_a_run_that_the_page_then_lists(browser, make_project, tmp_path):
    write_file(tmp_path / "project" / "in", "a.csv", "id,amount\n1,10\n")
    pipelines = {"nightly": {"schedule": "@daily", "steps": [{"collect": "sales"}]}}
    lh = make_project({"sales": {"path": "in/*.csv"}}, pipelines=pipelines)
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(20_000)
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    with served(create_app(lh)) as url:
        page.goto(f"{url}/runs")
        button = page.locator('button.run-now[data-pipeline="nightly"]')
        said = page.locator('tr[data-pipeline="nightly"] .run-now-status')
        with PipelineLock(lh, "nightly"):
            button.click()
            page.wait_for_function(
                "s => s.textContent.includes('already running')", arg=said.element_handle()
            )
        assert history.recent(lh) == []

        button.click()
        page.wait_for_function(
            "s => s.textContent.startsWith('started')", arg=said.element_handle()
        )
        deadline = time.monotonic() + 120
        while not history.recent(lh) and time.monotonic() < deadline:
            time.sleep(0.5)
        page.reload()
        row = page.locator('tr.run[data-pipeline="nightly"]')
        assert row.count() == 1 and row.get_attribute("data-status") == "ok"
    context.close()
    assert problems == []
