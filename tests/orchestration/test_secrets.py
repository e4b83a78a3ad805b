"""Values taken from the environment (`${VAR}`) never show: a token in an HTTP source's URL
path and a PostgreSQL password holding an `@`, through every surface, with real servers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
import yaml

import lakebox
from lakebox import redaction
from lakebox.config import SourceConfig
from lakebox.errors import LandingError
from lakebox.landing.loader import land
from lakebox.orchestration import launcher
from lakebox.serving.app import create_app
from tests.serving.ui.conftest import served

TOKEN = "7391:AAFq-secret-bot-token"


class _Api(BaseHTTPRequestHandler):
    """`/bot<token>/ok` answers records; `/bot<token>/gone` 404 and anything else 500, each
    quoting the path it was asked for (as many APIs do)."""

    def do_GET(self) -> None:
        if self.path.endswith("/ok"):
            status, body = 200, json.dumps([{"id": 1}, {"id": 2}])
        elif self.path.endswith("/gone"):
            status, body = 404, json.dumps({"error": f"no route {self.path}"})
        else:
            status, body = 500, json.dumps({"error": f"crashed serving {self.path}"})
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def api() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Api)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def project(tmp_path: Path, api: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A project pulling three URLs whose path holds ${LAKEBOX_TEST_BOT_TOKEN}."""
    monkeypatch.setenv("LAKEBOX_TEST_BOT_TOKEN", TOKEN)
    url = api + "/bot${LAKEBOX_TEST_BOT_TOKEN}/"
    pulled = {"kind": "http", "retries": 0, "timeout": 10}
    document = {
        "name": "secrets",
        "engine": {"memory_limit": "1GB", "threads": 2},
        "sources": {
            "fine": {**pulled, "url": url + "ok"},
            "broken": {**pulled, "url": url + "data"},
            "gone": {**pulled, "url": url + "gone"},
        },
    }
    (tmp_path / "lakebox.yaml").write_text(yaml.safe_dump(document, sort_keys=False))
    yield tmp_path
    redaction.forget_all()


def _cli(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "lakebox.cli", *args, "--project", str(project)]
    return subprocess.run(command, capture_output=True, text=True, timeout=300, env=os.environ)


def test_a_token_in_a_url_path_shows_nowhere(project: Path) -> None:
    shown = _cli(project, "run")
    as_json = _cli(project, "run", "--json")
    listed = _cli(project, "source", "list", "--json")
    logged = launcher.start(project, "default", ["run"])
    assert logged.wait(timeout=300) == 1
    log = launcher.log_path(project, "default").read_text()

    assert shown.returncode == 1
    assert "/bot***/ok" in listed.stdout
    outputs = [shown.stdout, shown.stderr, as_json.stdout, as_json.stderr, listed.stdout, log]
    assert not [text for text in outputs if TOKEN in text or "AAFq-secret" in text]
    assert "/bot***/data: 500 Internal Server Error" in shown.stderr
    assert "/bot***/gone: 404 Not Found" in shown.stderr
    with lakebox.open(project) as lh:  # stored as the runs wrote them, read raw
        runs = lh.query("SELECT error FROM ops.runs").to_pylist()
        steps = lh.query("SELECT step, error FROM ops.step_runs").to_pylist()
        places = lh.query("SELECT original_path FROM landing.manifest").to_pylist()
        assert len(runs) == 3
        assert places and all(row["original_path"].endswith("/bot***/ok") for row in places)
        stored = json.dumps([runs, steps, places])
        assert TOKEN not in stored and "/bot***/" in stored
        with served(create_app(lh)) as url:
            run_id = lh.query("SELECT run_id FROM ops.runs LIMIT 1").to_pylist()[0]["run_id"]
            pages = [
                httpx.get(f"{url}{path}", timeout=60).text
                for path in ("/api/runs", "/runs", f"/runs/{run_id}")
            ]
    assert not [page for page in pages if TOKEN in page]
    assert all("bot***" in page for page in pages)


def test_a_postgres_password_with_an_at_never_shows_in_the_failed_connection(
    tmp_path: Path, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The config refuses the URL (lakebox.yaml:N); were it used anyway, the client's error
    (it takes what follows the `@` for the host) would still show no part of the password."""
    server = postgres_url.replace("postgresql+psycopg2://", "postgresql://").split("@", 1)[1]
    monkeypatch.setenv("LAKEBOX_TEST_PG_PW", "se@cret-pass")
    project = (
        "name: pg\nsources:\n  shop:\n    kind: postgres\n    table: public.orders\n"
        "    retries: 0\n"
    )
    (tmp_path / "lakebox.yaml").write_text(
        project + f"    url: postgresql://postgres:${{LAKEBOX_TEST_PG_PW}}@{server}\n"
    )
    refused = _cli(tmp_path, "run")
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    assert "lakebox.yaml:7: sources.shop.url: the user or password" in refused.stderr
    assert "percent-encode @ in passwords as %40" in refused.stderr
    assert not any(part in refused.stderr for part in ("se@cret", "cret-pass"))

    # a valid project, given the password as the config would take it from the environment
    (tmp_path / "lakebox.yaml").write_text(
        project + f"    url: postgresql://postgres:ok@{server}\n"
    )
    redaction.remember("se@cret-pass")
    try:
        with lakebox.open(tmp_path) as lh:
            raw = "postgresql://postgres:se@cret-pass@" + server
            lh.config.sources["shop"] = SourceConfig.model_construct(
                **{**lh.config.sources["shop"].__dict__, "url": raw}
            )
            with pytest.raises(LandingError) as error:
                land(lh, "shop")
    finally:
        redaction.forget_all()
    message = str(error.value)
    assert "could not translate host name" in message or "connect" in message
    assert not any(part in message for part in ("se@cret", "cret-pass", "se@"))
