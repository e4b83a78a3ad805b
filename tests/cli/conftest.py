"""Shared by the CLI tests: running `lakebox` in a subprocess, and small projects."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import write_file


def lakebox(
    *args: str, cwd: Path, env: dict[str, str] | None = None, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run `lakebox args` in `cwd`; `stdin` is its standard input (none: an empty one)."""
    return subprocess.run(
        [sys.executable, "-m", "lakebox.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        input=stdin if stdin is not None else "",
    )


def new_project(folder: Path) -> Path:
    assert lakebox("init", "shop", cwd=folder).returncode == 0
    project = folder / "shop"
    write_file(project / "exports", "1.csv", "id,amount\n1,10\n2,20\n2,20\n3,4,5\n")
    added = lakebox(
        "source",
        "add",
        "sales",
        "--path",
        "exports/*.csv",
        "--key",
        "id",
        "--timezone",
        "Europe/Madrid",
        cwd=project,
    )
    assert added.returncode == 0, added.stderr
    return project


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return new_project(tmp_path)


@pytest.fixture(scope="module")
def ran(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project that has been run once; for tests that only read."""
    project = new_project(tmp_path_factory.mktemp("ran"))
    assert lakebox("run", "-q", cwd=project).returncode == 0
    return project


ACCESS = """
access:
  roles:
    eu_analyst:
      description: analysts of the EU
      extends: analyst
      read: [formatted.sales]
  tags:
    pii: ["formatted.sales.amount"]
  masks:
    - {tag: pii, mask: "null"}
  row_filters:
    - {table: formatted.sales, where: "id < user.max_id"}
"""


def with_access(project: Path, section: str = ACCESS) -> Path:
    """Append an `access:` section to the project's lakebox.yaml; return the project."""
    with (project / "lakebox.yaml").open("a", encoding="utf-8") as file:
        file.write(section)
    return project
