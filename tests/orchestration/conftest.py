"""Fixtures the orchestration tests share: another process holding a pipeline lock (each test
module gives the `project` it holds it in)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def holder(project: Path) -> Iterator[subprocess.Popen]:
    """Another process holding the project's `default` pipeline lock until told to stop."""
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.orchestration.lock_holder", str(project)],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout.readline().strip() == "locked"
    yield child
    if child.poll() is None:
        child.communicate("\n", timeout=60)
