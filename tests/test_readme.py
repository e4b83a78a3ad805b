"""The README is tested: its five-minute tour runs as written (shell and Python) and shows what
the text says it shows. The tour is read from README.md itself, never from a copy."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import free_port

pytestmark = pytest.mark.slow  # the tour: about ten lakebox commands and a server
ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
# A bounded stand-in for `lakebox serve` (which runs until Ctrl-C): serve on a free port, wait
# until `/` answers, fetch it, stop the server.
SERVE_CHECK = """\
lakebox serve {arguments} --port {port} > serve.log 2>&1 &
SERVER=$!
"{python}" - <<'PY'
import time, httpx
deadline = time.monotonic() + 120
while True:
    try:
        page = httpx.get("http://127.0.0.1:{port}/", timeout=10)
        break
    except httpx.TransportError:
        if time.monotonic() > deadline:
            raise
        time.sleep(0.3)
assert page.status_code == 200, page.status_code
print("SERVED", page.status_code, len(page.text))
PY
kill -TERM $SERVER
wait $SERVER || true
"""


def _section(title: str) -> str:
    """Return the README's `## title` section, up to the next `## ` heading."""
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## )", README, re.M | re.S)
    assert match, f"README.md has no '## {title}' section"
    return match.group(1)


def _blocks(text: str, language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```", text, re.M | re.S)


TOUR = _section("A five-minute tour")


def _tour_script(port: int) -> str:
    """The tour's shell blocks as one script: the venv activation is left out (the test's
    `lakebox` is this interpreter's), `lakebox serve` becomes the bounded check."""
    lines = []
    for line in "\n".join(_blocks(TOUR, "sh")).splitlines():
        if line.startswith("source .venv/bin/activate"):
            continue
        served = re.match(r"lakebox serve\b([^#]*)", line)
        if served:
            check = SERVE_CHECK.format(
                arguments=served.group(1).strip(), port=port, python=sys.executable
            )
            lines.append(check)
            continue
        lines.append(line)
    return "\n".join(["set -euo pipefail", *lines, 'echo "TOUR_PROJECT=$PWD"'])


@pytest.fixture(scope="module")
def tour(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess, Path]:
    """Run the tour once in a temporary folder; return its outcome and the project folder."""
    folder = tmp_path_factory.mktemp("readme")
    bin_dir = folder / "bin"
    bin_dir.mkdir()
    for name, target in (("lakebox", f'"{sys.executable}" -m lakebox.cli'),
                         ("python3", f'"{sys.executable}"')):  # fmt: skip
        wrapper = bin_dir / name
        wrapper.write_text(f'#!/bin/sh\nexec {target} "$@"\n')
        wrapper.chmod(0o755)
    env = {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "TMPDIR": str(folder),
        "HOME": str(folder),
    }
    done = subprocess.run(
        ["bash", "-c", _tour_script(free_port())],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    found = re.search(r"^TOUR_PROJECT=(.+)$", done.stdout, re.M)
    return done, Path(found.group(1)) if found else folder


def test_the_tour_runs(tour) -> None:
    done, project = tour
    assert done.returncode == 0, f"{done.stdout}\n{done.stderr}"
    assert (project / "lakebox.yaml").exists()


def test_the_tour_shows_what_the_text_says(tour) -> None:
    done, _ = tour
    out = done.stdout
    assert "amount: 'abc' is not a DOUBLE" in out  # the quarantined row with its reason
    assert re.search(r"│ *3 *│ *Cy *│ *9\.0", out)  # the key made the correction win
    assert re.search(r"│ *Ana *│ *12\.5", out)  # trimmed, and in the model
    assert "sales_by_customer" in out  # `lakebox tables` lists the model
    assert "history of formatted.sales" in out
    assert re.search(r"│ *3 *│ *Cy *│ *7\.25", out)  # as of the first snapshot
    assert "SERVED 200" in out  # `lakebox serve` answered with the UI


def test_the_readme_documents_what_the_tour_needs() -> None:
    assert "lakebox serve" in "".join(_blocks(TOUR, "sh"))
    assert "docs/entities.md" in README


def test_the_python_snippets_run_in_the_tour_project(tour, tmp_path: Path) -> None:
    done, project = tour
    assert done.returncode == 0, done.stderr
    snippets = _blocks(README, "python")
    assert snippets, "README.md has no ```python block"
    for snippet in snippets:
        ran = subprocess.run(
            [sys.executable, "-c", snippet],
            cwd=project,
            env={**os.environ, "HOME": str(tmp_path)},
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert ran.returncode == 0, ran.stderr
        assert "Cy" in ran.stdout and "Eve" in ran.stdout  # the rows of formatted.sales
