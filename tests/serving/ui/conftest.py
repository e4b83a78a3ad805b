"""Fixtures for the UI tests: the demo project (the end-to-end fixture) served by a real
uvicorn server on 127.0.0.1, and headless Chromium driven by Playwright (Debian's `chromium`,
never a downloaded browser). Screenshots go to build/screenshots/ at the repository root, or to
$LAKEBOX_SCREENSHOTS."""

from __future__ import annotations

import os
import shutil
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
import uvicorn
import yaml

import lakebox
from lakebox.access.control import access_control
from lakebox.demo import build_demo
from lakebox.orchestration.runner import run
from lakebox.serving.app import create_app
from tests.conftest import free_port

REPOSITORY = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="session")
def demo_lakehouse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[lakebox.Lakehouse]:
    """The demo project, built once for every UI test."""
    directory = tmp_path_factory.mktemp("ui-demo") / "project"
    build_demo(directory, seed=7)
    with lakebox.open(directory) as lh:
        yield lh


@contextmanager
def served(app: object, probe: str = "/api/zones") -> Iterator[str]:
    """Serve `app` with uvicorn in a thread on a free port; yield its URL once `probe`
    answers."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the UI server did not start")
        time.sleep(0.05)
    httpx.get(f"{url}{probe}", timeout=10).raise_for_status()
    try:
        yield url
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def base_url(demo_lakehouse: lakebox.Lakehouse) -> Iterator[str]:
    """The demo project's API and UI, served by uvicorn in a thread on a free port."""
    with served(create_app(demo_lakehouse, row_limit=5_000, timeout=20.0)) as url:
        yield url


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """Headless Chromium from Debian's `chromium` package."""
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        pytest.skip("no chromium binary (install Debian's chromium package; .ci/run does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable)
        yield launched
        launched.close()


@pytest.fixture
def page(browser, base_url: str) -> Iterator[object]:
    """A fresh browser page that fails the test on any JavaScript error or failed request."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    opened = context.new_page()
    opened.set_default_timeout(20_000)
    problems: list[str] = []
    opened.on("pageerror", lambda error: problems.append(f"JavaScript error: {error}"))
    opened.on(
        "response",
        lambda response: (
            problems.append(f"{response.status} {response.url}") if response.status >= 500 else None
        ),
    )
    yield opened
    context.close()
    assert problems == []


@pytest.fixture(scope="session")
def screenshots() -> Path:
    """Where the UI tests save their screenshots."""
    folder = Path(os.environ.get("LAKEBOX_SCREENSHOTS", REPOSITORY / "build" / "screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


# A small project under access control: `formatted.customers` (a source), and
# `exploitation.people` over it, whose e-mails are masked (tag pii) and whose rows are filtered
# by the user's region. Users: root (admin), ana (analyst in BCN), vic (viewer in LYS), and
# eve (analyst), whose failed logins the tests count.
PEOPLE = "id,name,email,region\n1,Ana,ana@x.org,BCN\n2,Bo,bo@y.org,LYS\n3,Cy,cy@z.org,BCN\n"
ACCESS = {
    "tags": {"pii": ["exploitation.people.email"]},
    "masks": [{"tag": "pii", "mask": "redact"}],
    "row_filters": [{"table": "exploitation.people", "where": "region = user.region"}],
    "login_attempts": 3,
}
PASSWORDS = {
    "root": "root-password",
    "ana": "ana-password",
    "vic": "vic-password",
    "eve": "eve-password",
}


@pytest.fixture(scope="session")
def access_lakehouse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[lakebox.Lakehouse]:
    """The small project under access control, with its three users, built once."""
    directory = tmp_path_factory.mktemp("ui-access") / "project"
    (directory / "in").mkdir(parents=True)
    (directory / "models").mkdir()
    (directory / "in" / "people.csv").write_text(PEOPLE)
    (directory / "models" / "people.sql").write_text(
        "SELECT id, name, email, region FROM formatted.customers"
    )
    document = {
        "name": "guarded",
        "engine": {"memory_limit": "1GB", "threads": 2},
        "sources": {"customers": {"path": "in/*.csv"}},
        "access": ACCESS,
    }
    (directory / "lakebox.yaml").write_text(yaml.safe_dump(document, sort_keys=False))
    with lakebox.open(directory) as lh:
        assert run(lh).ok
        users = access_control(lh).users
        users.add("root", ["admin"], PASSWORDS["root"])
        users.add("ana", ["analyst"], PASSWORDS["ana"], {"region": "BCN"})
        users.add("vic", ["viewer"], PASSWORDS["vic"], {"region": "LYS"})
        users.add("eve", ["analyst"], PASSWORDS["eve"])
        yield lh
