"""`lakebox run --pipeline`, `lakebox pipelines`, and `lakebox serve`
running a scheduled pipeline whose runs accumulate on the Runs page."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx
import yaml

from tests.cli.conftest import lakebox
from tests.conftest import free_port


def _declare(project: Path, pipelines: dict) -> None:
    path = project / "lakebox.yaml"
    document = yaml.safe_load(path.read_text())
    document["pipelines"] = pipelines
    path.write_text(yaml.safe_dump(document, sort_keys=False))


def test_run_a_declared_pipeline_and_list_it(project):
    _declare(project, {"nightly": {"schedule": "@daily", "steps": [{"collect": "sales"}]}})
    result = lakebox("run", "--pipeline", "nightly", "--json", cwd=project)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert {entry["source"] for entry in report["landed"]} == {"sales"}
    assert report["ok"] and report["error"] is None and not report["models"]
    listed = json.loads(lakebox("pipelines", "--json", cwd=project).stdout)
    nightly = next(item for item in listed if item["name"] == "nightly")
    assert nightly["schedule"] == "@daily" and nightly["steps"] == ["collect: sales"]
    assert nightly["last_run_id"] == report["run_id"] and nightly["next_run"]


def test_an_unknown_pipeline_is_a_clear_error(project):
    result = lakebox("run", "--pipeline", "hourly", cwd=project)
    assert result.returncode == 1
    assert "no pipeline named 'hourly'" in result.stderr and "Traceback" not in result.stderr


def test_serve_runs_a_scheduled_pipeline_and_the_runs_page_shows_them(project):
    _declare(project, {"tick": {"schedule": "every 1s", "steps": [{"collect": "sales"}]}})
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "lakebox.cli", "serve", "--port", str(port)],
        cwd=project, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    seen: list[set[str]] = []
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and len(seen[-1] if seen else ()) < 3:
            time.sleep(1)
            assert server.poll() is None, server.stderr.read()
            try:
                page = httpx.get(f"http://127.0.0.1:{port}/runs?pipeline=tick", timeout=10)
            except httpx.TransportError:
                continue
            seen.append(set(re.findall(r'data-run="([^"]+)"', page.text)))
    finally:
        server.terminate()
        out, err = server.communicate(timeout=60)
    assert len(seen[-1]) >= 3, (out, err)
    growing = [len(ids) for ids in seen]
    assert growing == sorted(growing) and growing[0] < growing[-1]  # they accumulate
    assert "scheduled: tick (every 1s)" in out and "tick: started" in out
