"""A `kill -9` anywhere neither loses nor duplicates an event, a window row or an alert:

- a real `lakebox serve` killed right after it answered 202 (its worker beside it, or none):
  every event it accepted is in the log and, once a worker has run, landed once;
- a worker killed inside a flush (between landing and the checkpoint, between landing and
  the window commits, before the manifest says landed, before the log is truncated), then
  restarted: every event landed once, the window tables equal to an uninterrupted run's,
  each incident in the ledger and told once.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

import lakebox
from lakebox.stream.locks import running
from lakebox.stream.places import state_dir
from tests.conftest import free_port
from tests.stream.checks import assert_alerts, assert_landed_once, assert_told_once, assert_windows
from tests.stream.crasher import POINTS
from tests.stream.projects import (
    NAME,
    Event,
    Webhook,
    lines,
    log_events,
    readings,
    run_worker,
    stream_config,
    wait_for,
    write_project,
)
from tests.stream.reference import expected

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def webhook() -> Iterator[Webhook]:
    hook = Webhook()
    yield hook
    hook.stop()


def alerts_to(hook: Webhook) -> dict[str, object]:
    return {"channels": [hook.channel], "on": ["streams"]}


def lakebox_cli(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lakebox.cli", *args],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=300,
    )


# --- a worker killed inside a flush -------------------------------------------------------


def crash(project: Path, point: str, per_flush: int) -> None:
    child = subprocess.run(
        [sys.executable, "-m", "tests.stream.crasher", str(project), point, str(per_flush)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert child.returncode == -signal.SIGKILL, child.stderr[-3000:]


@pytest.mark.parametrize("point", sorted(POINTS))
def test_a_worker_killed_inside_a_flush_then_restarted_counts_everything_once(
    tmp_path, webhook, point
):
    events = readings(count=360, seed=11)
    project = write_project(tmp_path / "crashed", alerts=alerts_to(webhook))
    with lakebox.open(project) as lh:
        log_events(lh, events)
    crash(project, point, per_flush=100)
    # restarted with small micro-batches and a flush after each: the re-read must still
    # end its first flush where the flush the crash interrupted ended
    write_project(project, stream_config(flush=0.001, batch_events=30), alerts=alerts_to(webhook))
    restarted = lakebox_cli(project, "stream", "run", NAME, "--until-idle")
    assert restarted.returncode == 0, restarted.stderr[-3000:]

    straight = write_project(tmp_path / "straight")
    with lakebox.open(straight) as lh:
        log_events(lh, events)
        run_worker(lh)
    wanted = expected(events, stream_config(), NAME)
    with lakebox.open(project) as lh, lakebox.open(straight) as uninterrupted:
        assert_landed_once(lh, lines(events))
        assert_windows(lh, wanted)
        assert_windows(uninterrupted, wanted)
        assert_alerts(lh, wanted)
    assert_told_once(webhook.bodies, wanted)


# --- lakebox serve killed right after a 202 ------------------------------------------------


class Serve:
    """A real `lakebox serve` process over `project`."""

    def __init__(self, project: Path, *options: str) -> None:
        self.project = project
        self.port = free_port()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "lakebox.cli", "serve", "--port", str(self.port),
             "--no-scheduler", *options],
            cwd=project, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )  # fmt: skip
        self.url = f"http://127.0.0.1:{self.port}"
        wait_for(self.answers, seconds=90)

    def answers(self) -> bool:
        assert self.process.poll() is None, self.process.stderr.read().decode()[-3000:]
        try:
            return httpx.get(f"{self.url}/api/zones", timeout=5).status_code == 200
        except httpx.TransportError:
            return False

    def post(self, body: bytes) -> httpx.Response:
        headers = {"Content-Type": "application/x-ndjson"}
        url = f"{self.url}/api/streams/{NAME}/events"
        return httpx.post(url, content=body, headers=headers, timeout=60)

    def kill(self) -> None:
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)
        self.process.stderr.close()

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process.stderr.close()


def post_all(server: Serve, events: list[Event], size: int = 50) -> list[bytes]:
    """Post `events` in requests of `size`, each answered 202; return the lines logged."""
    logged = []
    for start in range(0, len(events), size):
        chunk = events[start : start + size]
        answer = server.post(b"\n".join(lines(chunk)))
        assert answer.status_code == 202, answer.text
        assert answer.json()["accepted"] == sum(event.good for event in chunk)
        logged += lines(chunk)
    return logged


def no_worker_runs(project: Path) -> bool:
    with lakebox.open(project) as lh:
        return not running(state_dir(lh, NAME))


def test_serve_killed_right_after_a_202_loses_no_accepted_event(tmp_path):
    events = readings(count=400, seed=21)
    project = write_project(tmp_path / "served")
    sent: list[bytes] = []

    quiet = Serve(project, "--no-streams")  # no worker: the events are in the log only
    sent += post_all(quiet, events[:150])
    quiet.kill()

    serving = Serve(project)  # its worker lands what the first server took, and more
    wait_for(lambda: not no_worker_runs(project), seconds=90)  # the worker is up
    poison = serving.post(b"null\n")  # Arrow's reader crashed the process on this
    assert poison.status_code == 202 and poison.json()["refused"] == 1
    sent.append(b"null")
    sent += post_all(serving, events[150:300])
    serving.kill()  # right after a 202; its worker sees its parent gone, flushes, stops
    wait_for(lambda: no_worker_runs(project), seconds=60)

    last = Serve(project)
    wait_for(lambda: not no_worker_runs(project), seconds=90)
    sent += post_all(last, events[300:])
    last.kill()
    wait_for(lambda: no_worker_runs(project), seconds=60)

    with lakebox.open(project) as lh:
        run_worker(lh)  # whatever the killed servers' workers left
        assert_landed_once(lh, sent)
