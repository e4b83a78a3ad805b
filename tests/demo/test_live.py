"""The demo's client API while a demo project is served: started on a free port, its address
in LAKEBOX_DEMO_API_URL for the scheduled pulls, its clock resumed and moving, and saved."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime

import httpx
import yaml

from lakebox.demo.live import API_URL_VARIABLE, DEMO_TOKEN, MARKER, demo_services, write_marker

RESUMED = datetime(2025, 7, 1, 9, 30, tzinfo=UTC)


def test_a_demo_project_gets_its_api_while_served(tmp_path, monkeypatch):
    monkeypatch.delenv(API_URL_VARIABLE, raising=False)
    write_marker(tmp_path, 7, RESUMED)
    said: list[str] = []
    with demo_services(tmp_path, said.append):
        url = os.environ[API_URL_VARIABLE]
        headers = {"Authorization": f"Bearer {DEMO_TOKEN}"}
        stores = httpx.get(f"{url}/v1/stores", headers=headers, timeout=10)
        assert stores.status_code == 200 and stores.json()["data"]
        counts = httpx.get(f"{url}/v1/counts", headers=headers, timeout=10).json()
        newest = max(row["hour"] for row in counts["data"])
        assert datetime.fromisoformat(newest).astimezone(UTC) < RESUMED  # ended hours only
        time.sleep(1.5)
    assert API_URL_VARIABLE not in os.environ
    assert said and "2025-07-01 09:30 UTC" in said[0]
    saved = yaml.safe_load((tmp_path / MARKER).read_text())
    moved = datetime.fromisoformat(saved["api_now"])
    assert saved["seed"] == 7 and moved > RESUMED  # the clock moved on and was kept


def test_another_project_gets_nothing(tmp_path, monkeypatch):
    monkeypatch.delenv(API_URL_VARIABLE, raising=False)
    with demo_services(tmp_path, [].append):
        assert API_URL_VARIABLE not in os.environ
    assert not (tmp_path / MARKER).exists()
