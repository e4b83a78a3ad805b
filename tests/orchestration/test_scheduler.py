"""The scheduler: a one-second schedule runs three times, each run a process of its own
recorded in ops.runs; a run past its `run_timeout` is terminated and recorded as failed; a
pipeline that missed its due time runs at once when the scheduler starts."""

from __future__ import annotations

import itertools
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from lakebox.orchestration import history
from lakebox.orchestration.scheduler import Scheduler
from tests.conftest import write_file

SALES = "id,store,amount\n1,BCN,10\n2,LYS,5\n"


def _runs_of(lh, pipeline: str) -> list[dict]:
    return [run for run in history.recent(lh, 100) if run["pipeline"] == pipeline]


def _wait_for(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.5)
    return False


@pytest.fixture
def every_second(make_project, tmp_path):
    write_file(tmp_path / "project" / "in", "a.csv", SALES)
    pipeline = {"schedule": "* * * * * *", "steps": [{"collect": "sales"}]}
    return make_project({"sales": {"path": "in/*.csv"}}, pipelines={"tick": pipeline})


def test_a_one_second_schedule_runs_three_times(every_second):
    lh = every_second
    events: list[str] = []
    scheduler = Scheduler(lh.project_dir, lh.config, events.append).start()

    def ran() -> list:
        return [launch for launch in scheduler.launches if launch.outcome == "ok"]

    try:
        assert _wait_for(lambda: len(ran()) >= 3, 120), events
    finally:
        scheduler.stop()
    runs = _runs_of(lh, "tick")
    assert len(runs) >= 3
    assert all(run["status"] == "ok" and run["command"] == "run" for run in runs)
    assert len({run["run_id"] for run in runs}) == len(runs)
    in_order = sorted(runs, key=lambda run: run["started_at"])
    # a second that came while a run went on was skipped: runs never overlap
    assert all(b["started_at"] >= a["ended_at"] for a, b in itertools.pairwise(in_order))
    assert {launch.outcome for launch in scheduler.launches} <= {"ok", "skipped", "stopped"}
    log = (lh.project_dir / ".lakebox" / "logs" / "tick.log").read_text()
    assert log.count("--- ") == len([x for x in scheduler.launches if x.process is not None])


class _Hang(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        time.sleep(60)

    def log_message(self, *args: object) -> None:
        pass


def test_a_run_past_its_run_timeout_is_terminated_and_recorded_failed(make_project):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Hang)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/counts"
    source = {"kind": "http", "url": url, "timeout": 120, "retries": 0}
    # long enough for the launched process to start and record its run on a loaded machine
    pipeline = {"schedule": "@yearly", "run_timeout": 12, "steps": [{"collect": "hangs"}]}
    lh = make_project({"hangs": source}, pipelines={"stuck": pipeline})
    scheduler = Scheduler(lh.project_dir, lh.config).start()  # never ran: due at once
    try:
        assert _wait_for(lambda: _runs_of(lh, "stuck"), 60), scheduler.launches
    finally:
        scheduler.stop()
        server.shutdown()
    [run] = _runs_of(lh, "stuck")
    assert run["status"] == "failed" and "terminated by signal 15" in run["error"]
    assert [launch.outcome for launch in scheduler.launches] == ["timed out"]


def test_only_a_missed_due_time_runs_at_once(every_second):
    lh = every_second
    hourly = Scheduler(lh.project_dir, lh.config.model_copy(update={"pipelines": {}}))
    assert hourly.schedules == {}
    moment = datetime(2026, 3, 1, 10, 30, tzinfo=UTC)
    config = lh.config.model_copy(deep=True)
    config.pipelines["tick"].schedule = "0 * * * *"
    ran_at = {"tick": datetime(2026, 3, 1, 10, 5, tzinfo=UTC)}
    assert Scheduler(lh.project_dir, config, last_started=ran_at).first_runs(moment) == {
        "tick": datetime(2026, 3, 1, 11, tzinfo=UTC)
    }
    missed = {"tick": moment - timedelta(hours=2)}
    assert Scheduler(lh.project_dir, config, last_started=missed).first_runs(moment) == {
        "tick": moment
    }
    assert Scheduler(lh.project_dir, config).first_runs(moment) == {"tick": moment}


def test_sigterm_during_a_query_records_the_run_as_terminated(make_project, tmp_path):
    import signal
    import subprocess
    import sys

    write_file(tmp_path / "project" / "in", "a.csv", SALES)
    slow = "SELECT sum(i) AS s FROM range(1e11::BIGINT) t(i)"
    write_file(tmp_path / "project" / "models", "slow.sql", slow)
    lh = make_project({"sales": {"path": "in/*.csv"}})
    command = [sys.executable, "-m", "lakebox.cli", "run", "-q", "-p", str(lh.project_dir)]
    process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
    lock = lh.project_dir / ".lakebox" / "locks" / "default.lock"
    assert _wait_for(lambda: lock.exists() and lock.read_text(), 60)
    time.sleep(2)  # into the slow model's query
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=30)  # well before the scheduler would SIGKILL
    assert process.returncode != 0 and "Traceback" not in err, err
    [run] = history.recent(lh)
    assert (run["status"], run["error"]) == ("failed", "terminated by signal 15")


def test_due_maintenance_waits_for_the_data_pipeline_due_beside_it(make_project, tmp_path):
    write_file(tmp_path / "project" / "in", "a.csv", SALES)
    pipelines = {  # upkeep first: the order they are declared in does not decide
        "upkeep": {"schedule": "30 3 * * *", "steps": ["maintain"]},
        "load": {"schedule": "0 * * * *", "steps": [{"collect": "sales"}]},
    }
    lh = make_project({"sales": {"path": "in/*.csv"}}, pipelines=pipelines)
    events: list[str] = []
    scheduler = Scheduler(lh.project_dir, lh.config, events.append).start()

    def ended() -> dict[str, str]:
        return {launch.task: launch.outcome for launch in scheduler.launches}

    try:  # neither ever ran: both are due at once
        assert _wait_for(lambda: ended() == {"load": "ok", "upkeep": "ok"}, 120), events
    finally:
        scheduler.stop()
    [load] = _runs_of(lh, "load")
    [upkeep] = _runs_of(lh, "upkeep")
    assert upkeep["started_at"] >= load["ended_at"]
