"""Running a pipeline: only the selected steps, a flaky source retried until it succeeds,
one that keeps failing recorded attempt by attempt, and an attempt past its timeout."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from lakebox.errors import ConfigError, ModelError
from lakebox.orchestration import history
from lakebox.orchestration.pipeline import run_pipeline
from tests.conftest import write_file
from tests.landing.sources.api_server import TOKEN, Api

SALES = "id,store,amount\n1,BCN,10\n2,LYS,5\n"


def _http(url: str) -> dict:
    return {
        "kind": "http",
        "url": url,
        "headers": {"Authorization": f"Bearer {TOKEN}"},
        "records": "data",
        "pagination": {"type": "page", "size_param": "per_page", "size": 50},
        "key": ["id"],
        "retries": 0,  # the source itself gives up at once: the pipeline's step retries
    }


def _steps(lh, run_id: str) -> list[tuple[str, str]]:
    return [(step["step"], step["status"]) for step in history.run_steps(lh, run_id)]


@pytest.fixture
def api() -> Iterator[Api]:
    with Api(count=5) as server:
        yield server


def test_a_flaky_source_succeeds_on_retry(make_project, api):
    api.behaviour.fail_once = {1}  # the first request gets a 503, once
    pipeline = {"steps": [{"collect": "items"}], "retries": 2, "backoff": 0.05}
    lh = make_project({"items": _http(f"{api.url}/page")}, pipelines={"live": pipeline})
    report = run_pipeline(lh, "live")
    assert report.ok, report.error
    assert api.statuses()[:2] == [503, 200]
    assert lh.query("SELECT count(*) FROM formatted.items").column(0)[0].as_py() == 5
    steps = _steps(lh, report.run_id)
    assert steps == [("collect:items", "retried"), ("land:items", "ok"), ("format:items", "ok")]
    [attempt] = [s for s in history.run_steps(lh, report.run_id) if s["status"] == "retried"]
    assert "503" in attempt["error"]
    [run] = history.recent(lh)
    assert (run["pipeline"], run["status"]) == ("live", "ok")


def test_a_source_that_keeps_failing_fails_the_run_after_its_retries(make_project):
    pipeline = {"steps": [{"collect": "items", "retries": 1}], "backoff": 0}
    url = "http://127.0.0.1:9/nothing-listens-here"
    lh = make_project({"items": _http(url)}, pipelines={"live": pipeline})
    report = run_pipeline(lh, "live")
    assert not report.ok and report.error.startswith("land:items:")
    statuses = _steps(lh, report.run_id)
    assert statuses[0] == ("collect:items", "retried")
    assert ("land:items", "failed") in statuses
    [run] = history.recent(lh)
    assert run["status"] == "failed" and run["error"].startswith("land:items")


class _Slow(BaseHTTPRequestHandler):
    """Answers after five seconds: longer than the step may take."""

    def do_GET(self) -> None:
        time.sleep(5)
        try:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"data": []}')
        except OSError:  # the client gave up: that is the point
            pass

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def slow_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Slow)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/counts"
    server.shutdown()
    server.server_close()


def test_an_attempt_past_its_timeout_fails_and_the_run_goes_on(make_project, slow_url, tmp_path):
    write_file(tmp_path / "project" / "in", "a.csv", SALES)
    steps = [{"collect": "slow", "timeout": 1}, {"collect": "sales"}]
    lh = make_project(
        {"slow": _http(slow_url), "sales": {"path": "in/*.csv"}},
        pipelines={"p": {"steps": steps}},
    )
    report = run_pipeline(lh, "p")
    assert report.error == "collect:slow: timed out after 1s"
    assert [item.source for item in report.landing] == ["sales"]  # the next step still ran
    statuses = dict(_steps(lh, report.run_id))
    assert statuses["collect:slow"] == "failed" and statuses["land:sales"] == "ok"


@pytest.fixture
def two_sources(make_project, tmp_path):
    for source in ("sales", "stock"):
        write_file(tmp_path / "project" / source, "a.csv", SALES)
    write_file(
        tmp_path / "project" / "models",
        "totals.sql",
        "SELECT store, sum(amount) AS amount FROM formatted.sales GROUP BY store",
    )
    sources = {"sales": {"path": "sales/*.csv"}, "stock": {"path": "stock/*.csv"}}
    return make_project(sources)


def test_select_runs_only_the_steps_picked(two_sources):
    lh = two_sources
    report = run_pipeline(lh, select=["collect:stock"])
    assert [item.source for item in report.landing] == ["stock"] and not report.models
    report = run_pipeline(lh, select=["source:sales", "totals"])
    assert [item.source for item in report.landing] == ["sales"]
    assert [(m.model, m.status) for m in report.models] == [("totals", "built")]
    again = run_pipeline(lh)  # nothing is stale: nothing is landed or rebuilt
    assert [len(item.landed) for item in again.landing] == [0, 0]
    assert [m.status for m in again.models] == ["fresh"]


def test_sources_narrow_what_is_collected_not_the_other_steps(two_sources):
    report = run_pipeline(two_sources, sources=["stock"])
    assert [item.source for item in report.landing] == ["stock"]
    assert [m.model for m in report.models] == ["totals"]


@pytest.mark.parametrize(
    ("select", "message"),
    [
        (["collect:nope"], "--select collect:nope: the pipeline has no such step"),
        (["nope:x"], "'nope' is not a step kind"),
        (["nosuch"], "no model named 'nosuch'"),
    ],
)
def test_a_bad_selection_is_named(two_sources, select, message):
    with pytest.raises((ConfigError, ModelError), match=message):
        run_pipeline(two_sources, select=select)


def test_an_undeclared_pipeline_is_named(two_sources):
    with pytest.raises(ConfigError, match="no pipeline named 'hourly'"):
        run_pipeline(two_sources, "hourly")


def test_a_file_that_fails_to_format_is_not_retried_and_fails_the_run(make_project, tmp_path):
    write_file(tmp_path / "project" / "in", "broken.parquet", b"not a parquet file at all")
    pipeline = {"steps": [{"collect": "sales"}], "retries": 3, "backoff": 0}
    lh = make_project({"sales": {"path": "in/*.parquet"}}, pipelines={"p": pipeline})
    report = run_pipeline(lh, "p")
    assert not report.ok and report.error.startswith("format:sales: batch ")
    assert not report.attempts  # no retry: the same bytes would fail again
    assert dict(_steps(lh, report.run_id))["format:sales"] == "failed"


def test_a_query_past_its_timeout_is_interrupted_retried_and_the_run_goes_on(
    make_project, tmp_path
):
    write_file(tmp_path / "project" / "in", "a.csv", SALES)
    write_file(
        tmp_path / "project" / "models",
        "slow.sql",
        "SELECT sum(i) AS s FROM range(1e11::BIGINT) t(i)",
    )
    steps = ["collect", {"build": "slow", "timeout": 1, "retries": 1}, "checks"]
    pipeline = {"steps": steps, "backoff": 0}
    lh = make_project({"sales": {"path": "in/*.csv"}}, pipelines={"p": pipeline})
    report = run_pipeline(lh, "p")
    assert report.error == "build: timed out after 1s"
    statuses = _steps(lh, report.run_id)
    assert [s for s in statuses if s[0] == "build"] == [("build", "retried"), ("build", "failed")]
    assert statuses[-1][0] == "checks"  # the run went on after the step gave up
    assert lh.query("SELECT 42").column(0)[0].as_py() == 42  # the engine is usable again


def test_retried_attempts_are_recorded_in_the_order_they_ran(make_project):
    pipeline = {"steps": [{"collect": "items"}], "retries": 2, "backoff": 0}
    lh = make_project({"items": _http("http://127.0.0.1:9/down")}, pipelines={"p": pipeline})
    report = run_pipeline(lh, "p")
    rows = history.run_steps(lh, report.run_id)
    assert [(row["step"], row["status"]) for row in rows] == [
        ("collect:items", "retried"),
        ("collect:items", "retried"),
        ("land:items", "failed"),
        ("format:items", "ok"),
    ]
    started = [row["started_at"] for row in rows[:3]]
    assert started == sorted(started)


def test_run_with_an_empty_model_selection_builds_nothing(two_sources):
    from lakebox.orchestration.runner import run

    report = run(two_sources, models=set())
    assert [(m.model, m.status) for m in report.models] == [("totals", "skipped")]
    assert not report.analysis
