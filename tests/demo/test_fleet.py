"""The demo fleet's live poster against a real server's HTTP intake: every second of the demo's
clock posted once, from where the demo left it, also after the server was down; and the served
demo, whose live readings close new windows."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest
import uvicorn

import lakebox
from lakebox.demo import fleet
from lakebox.demo.generators import air_quality
from lakebox.demo.live import write_marker
from lakebox.serving.app import create_app
from lakebox.stream.places import wal_dir
from lakebox.stream.wal import Wal
from tests.conftest import free_port

DEMO = Path(fleet.__file__).parent
RESUMED = air_quality.DEFAULT_END
DEVICES = len(air_quality.DEVICES)


@pytest.fixture
def project(tmp_path: Path) -> Iterator[lakebox.Lakehouse]:
    """A project with the demo's stream only, marked as a demo whose clock is at `RESUMED`."""
    streams = (DEMO / "streams.yaml").read_text(encoding="utf-8")
    (tmp_path / "lakebox.yaml").write_text(f"name: fleet\n{streams}", encoding="utf-8")
    write_marker(tmp_path, 7, RESUMED)
    with lakebox.open(tmp_path) as lh:
        yield lh


@contextmanager
def served(app: object, port: int) -> Iterator[str]:
    """Serve `app` with uvicorn in a thread on `port`; yield its URL."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    _wait(lambda: server.started or not thread.is_alive(), "the server to start")
    assert thread.is_alive()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def _wait(condition: Callable[[], object], what: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"waited {seconds:g} s for {what}"
        time.sleep(0.05)


def _logged(lh: lakebox.Lakehouse) -> list[dict]:
    """Return every event in the stream's write-ahead log, in order."""
    return [json.loads(record.value) for record in Wal(wal_dir(lh, "air_quality")).read(0, 10**6)]


def _expected(seconds: int) -> list[dict]:
    """Return the fleet's readings of the first `seconds` seconds after `RESUMED`."""
    table = air_quality.readings(7, RESUMED, RESUMED + timedelta(seconds=seconds))
    return [json.loads(line) for line in air_quality.ndjson_lines(table)]


def test_the_poster_sends_every_second_of_the_demo_clock_once(project):
    port = free_port()
    with (
        served(create_app(project), port) as url,
        fleet.live_poster(project.project_dir, url) as poster,
    ):
        _wait(lambda: poster.accepted >= 3 * DEVICES, "three seconds of readings")
    logged = _logged(project)
    seconds = len(logged) // DEVICES
    assert seconds >= 3 and len(logged) == seconds * DEVICES == poster.accepted
    assert logged == _expected(seconds)  # from the demo's clock on, no gap, nothing twice
    assert poster.posted == RESUMED + timedelta(seconds=seconds)


def test_the_poster_catches_up_once_the_server_answers(project):
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with fleet.live_poster(project.project_dir, url) as poster:
        _wait(lambda: poster.failures >= 2, "posts to fail with no server")
        assert (poster.accepted, poster.posted) == (0, RESUMED)
        with served(create_app(project), port):
            _wait(lambda: poster.accepted > 0, "the missed seconds to be posted")
    logged = _logged(project)
    assert len(logged) >= 2 * DEVICES  # the seconds while the server was down came at once
    assert logged == _expected(len(logged) // DEVICES)


def test_the_poster_sends_its_token(project, monkeypatch):
    monkeypatch.setenv("LAKEBOX_TOKEN", "fleet-token")
    port = free_port()
    app = create_app(project, "fleet-token")
    with served(app, port) as url:
        with fleet.live_poster(project.project_dir, url, "wrong") as refused:
            _wait(lambda: refused.failures >= 1, "a post with the wrong token")
        assert refused.accepted == 0
        with fleet.live_poster(project.project_dir, url, "fleet-token") as poster:
            _wait(lambda: poster.accepted >= DEVICES, "a second of readings")


def _sql(url: str, sql: str) -> list[dict]:
    answer = httpx.post(f"{url}/api/sql", json={"sql": sql}, timeout=30)
    answer.raise_for_status()
    return answer.json()["rows"]


@pytest.mark.slow
def test_the_served_demo_s_fleet_closes_new_windows_live(tmp_path):
    port = free_port()
    demo = subprocess.Popen(
        [sys.executable, "-m", "lakebox.cli", "demo", str(tmp_path / "demo"), "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    newest = "SELECT max(window_end) AS newest FROM exploitation.air_quality_1m"
    try:
        _wait(lambda: _answers(url, demo), "the demo to serve", 600)
        built = datetime.fromisoformat(_sql(url, newest)[0]["newest"])
        assert built <= RESUMED
        _wait(
            lambda: datetime.fromisoformat(_sql(url, newest)[0]["newest"]) > RESUMED,
            "a window of the live readings",
            120,
        )
        live = _sql(
            url,
            "SELECT count(DISTINCT device_id) AS devices FROM exploitation.air_quality_1m"
            f" WHERE window_start >= TIMESTAMPTZ '{RESUMED.isoformat()}'",
        )
        assert live == [{"devices": DEVICES}]
        demo.send_signal(signal.SIGINT)
        out, err = demo.communicate(timeout=60)
    finally:
        demo.kill()
    assert demo.returncode == 0, err
    assert "fleet posts a reading per device every second" in out
    assert "Traceback" not in err


def _answers(url: str, process: subprocess.Popen) -> bool:
    assert process.poll() is None, process.stderr.read() if process.stderr else ""
    try:
        return httpx.get(f"{url}/api/zones", timeout=2).status_code == 200
    except httpx.TransportError:
        return False
