"""The demo's client API, live while the demo project is served: `lakebox serve` and
`lakebox scheduler` start it on a demo project, so its scheduled pulls have an API to pull.

Its clock resumes where the demo (or the last serving) left it and moves with real time, so
an hourly pull finds about an hour of new readings. The API's address reaches the pulls
through `LAKEBOX_DEMO_API_URL`, which the demo project's source URL reads.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path

import yaml

from lakebox.config.yaml_loader import read_yaml_file
from lakebox.demo.api import DEFAULT_NOW, SensorService

MARKER = ".lakebox-demo"
DEMO_TOKEN = "demo-sensor-token"
API_URL_VARIABLE = "LAKEBOX_DEMO_API_URL"
_TICK_SECONDS = 1.0


def write_marker(directory: Path, seed: int, api_now: datetime) -> None:
    """Mark `directory` as a demo project made with `seed`, its API's clock at `api_now`."""
    text = yaml.safe_dump({"seed": seed, "api_now": api_now.isoformat()})
    (directory / MARKER).write_text(text, encoding="utf-8")


def read_marker(directory: Path) -> tuple[int, datetime]:
    """Return the seed of the demo project in `directory` and where its clock stands."""
    found = read_yaml_file(directory / MARKER).data or {}
    resumed = datetime.fromisoformat(found["api_now"]) if "api_now" in found else DEFAULT_NOW
    return int(found.get("seed", 7)), resumed


@contextmanager
def demo_services(project_dir: Path, say: Callable[[str], None]) -> Iterator[None]:
    """Run the demo's client API while the block runs, if `project_dir` is a demo project."""
    marker = project_dir / MARKER
    if not marker.exists():
        yield
        return
    seed, resumed = read_marker(project_dir)
    previous = os.environ.get(API_URL_VARIABLE)
    with SensorService(seed=seed, now=resumed, token=DEMO_TOKEN) as api:
        os.environ[API_URL_VARIABLE] = api.url
        say(f"demo client API at {api.url} (its clock: {resumed:%Y-%m-%d %H:%M} UTC, moving on)")
        stop = threading.Event()
        ticking = threading.Thread(
            target=_tick, args=(api, resumed, stop), name="lakebox-demo-clock", daemon=True
        )
        ticking.start()
        try:
            yield
        finally:
            stop.set()
            ticking.join()
            write_marker(project_dir, seed, api.now)
            _restore(previous)


def _tick(api: SensorService, resumed: datetime, stop: threading.Event) -> None:
    """Move the API's clock with real time until `stop` is set."""
    started = time.monotonic()
    while not stop.wait(_TICK_SECONDS):
        api.now = resumed + timedelta(seconds=time.monotonic() - started)
    api.now = resumed + timedelta(seconds=time.monotonic() - started)


def _restore(previous: str | None) -> None:
    if previous is None:
        os.environ.pop(API_URL_VARIABLE, None)
    else:
        os.environ[API_URL_VARIABLE] = previous
