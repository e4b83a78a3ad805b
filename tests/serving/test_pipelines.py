"""The pipeline endpoints: the pipelines with their schedules, and starting a run now — a
real process whose run lands in ops.runs — refused when unknown, unrunnable, running or not
sent as JSON."""

from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient

from lakebox.orchestration import history
from lakebox.orchestration.lock import PipelineLock
from lakebox.serving.app import create_app
from tests.conftest import write_file


@pytest.fixture
def lh(make_project, tmp_path):
    write_file(tmp_path / "project" / "in", "a.csv", "id,amount\n1,10\n2,20\n")
    pipelines = {"nightly": {"schedule": "@daily", "steps": [{"collect": "sales"}]}}
    return make_project({"sales": {"path": "in/*.csv"}}, pipelines=pipelines)


@pytest.fixture
def client(lh):
    return TestClient(create_app(lh), base_url="http://127.0.0.1")


def test_the_pipelines_with_their_schedules(client):
    listed = {item["name"]: item for item in client.get("/api/pipelines").json()}
    assert set(listed) == {"nightly"}
    nightly = listed["nightly"]
    assert nightly["schedule"] == "@daily" and nightly["steps"] == ["collect: sales"]
    assert nightly["next_run"].endswith("T00:00:00Z") and nightly["last_status"] is None


def test_run_now_starts_a_process_whose_run_is_recorded(lh, client):
    started = client.post("/api/pipelines/nightly/runs", json={})
    assert started.status_code == 202, started.text
    assert started.json()["log"] == ".lakebox/logs/nightly.log"
    deadline = time.monotonic() + 120
    while not history.recent(lh) and time.monotonic() < deadline:
        time.sleep(0.5)
    [run] = history.recent(lh)
    assert (run["pipeline"], run["status"], run["rows_in"]) == ("nightly", "ok", 2)
    listed = {item["name"]: item for item in client.get("/api/pipelines").json()}
    assert listed["nightly"]["last_run_id"] == run["run_id"]


@pytest.mark.parametrize(
    ("path", "body", "status", "error"),
    [
        ("/api/pipelines/hourly/runs", {}, 404, "no pipeline named 'hourly'"),
        ("/api/pipelines/nightly/runs", {"select": ["build"]}, 400, "has no such step"),
        ("/api/pipelines/nightly/runs", {"select": ["nope:x"]}, 400, "not a step kind"),
    ],
)
def test_a_run_that_cannot_start_is_refused(lh, client, path, body, status, error):
    answer = client.post(path, json=body)
    assert answer.status_code == status and error in answer.json()["error"]
    assert history.recent(lh) == []


def test_a_running_pipeline_is_not_started_twice(lh, client):
    with PipelineLock(lh, "nightly"):
        answer = client.post("/api/pipelines/nightly/runs", json={})
    assert answer.status_code == 409 and "already running" in answer.json()["error"]


def test_only_json_can_start_a_run(lh, client):
    """A form post (what another site can send without a CORS preflight) starts nothing."""
    answer = client.post(
        "/api/pipelines/nightly/runs",
        content="{}",
        headers={"Content-Type": "text/plain"},
    )
    assert answer.status_code == 415, answer.text  # refused before the route (issue 13, 5)
    assert history.recent(lh) == []
