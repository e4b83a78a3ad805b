"""Runs `lakebox run` on a project and kills itself with SIGKILL at a chosen point.

Used by the exactly-once tests: `python -m tests.orchestration.crasher PROJECT POINT`.
Nothing is mocked: the real code runs until the point, then the process dies as it would
from the OOM killer or a power cut.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import lakebox
from lakebox.catalog.iceberg import Catalog
from lakebox.catalog.manifest import Manifest
from lakebox.formatted import formatter, grouped
from lakebox.landing import bulk
from lakebox.landing.sources.database import DatabaseSource
from lakebox.landing.sources.http import HttpSource
from lakebox.orchestration.runner import run
from lakebox.storage.filesystem import Storage


def killed(project: Path, point: str, module: str = "tests.orchestration.crasher") -> None:
    """Run crasher `module` on `project` in a child process; require it died by SIGKILL at
    `point` (never reaching it is a failure)."""
    child = subprocess.run(
        [sys.executable, "-m", module, str(project), point],
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert child.returncode == -signal.SIGKILL, child.stderr[-2000:]


def die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def before(owner: Any, name: str, when: Callable[..., bool] = lambda *a, **k: True) -> None:
    original = getattr(owner, name)

    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if when(*args, **kwargs):
            die()
        return original(*args, **kwargs)

    setattr(owner, name, wrapped)


def after(owner: Any, name: str, when: Callable[..., bool] = lambda *a, **k: True) -> None:
    original = getattr(owner, name)

    def wrapped(*args: Any, **kwargs: Any) -> Any:
        result = original(*args, **kwargs)
        if when(*args, **kwargs):
            die()
        return result

    setattr(owner, name, wrapped)


def nth_call(count: int) -> Callable[..., bool]:
    calls = {"n": 0}

    def check(*args: Any, **kwargs: Any) -> bool:
        calls["n"] += 1
        return calls["n"] == count

    return check


def is_model_commit(*args: Any, **kwargs: Any) -> bool:
    properties = args[4] if len(args) > 4 else kwargs.get("properties") or {}
    return "lakebox.model" in properties


POINTS: dict[str, Callable[[], None]] = {
    "landing-before-move": lambda: before(bulk, "_move", nth_call(2)),
    "landing-after-move": lambda: after(Storage, "put", nth_call(2)),
    "landing-before-settle": lambda: before(Manifest, "settle_landing", nth_call(1)),
    "format-before-commit": lambda: before(formatter, "commit_batch", nth_call(3)),
    "format-between-commits": lambda: before(formatter, "commit_batch", nth_call(4)),
    "format-after-commit": lambda: before(
        Manifest, "update", lambda self, batch, **changes: changes.get("status") == "formatted"
    ),
    "pull-after-extract": lambda: (after(DatabaseSource, "fetch"), after(HttpSource, "fetch")),
    "pull-before-commit": lambda: before(formatter, "commit_batch", nth_call(1)),
    "pull-between-commits": lambda: before(formatter, "commit_batch", nth_call(2)),
    # a group of landed files formatted in one pass (see test_grouped_exactly_once)
    "group-before-commit": lambda: before(grouped, "commit_batches", nth_call(1)),
    "group-after-commit": lambda: after(grouped, "commit_batches", nth_call(1)),
    "group-before-manifest": lambda: before(Manifest, "update_each", nth_call(1)),
    "group-alone-before-commit": lambda: before(formatter, "commit_batch", nth_call(1)),
    "group-second-commit": lambda: after(grouped, "commit_batches", nth_call(3)),
    "group-second-manifest": lambda: before(Manifest, "update_each", nth_call(2)),
    "build-before-commit": lambda: before(Catalog, "commit_files", is_model_commit),
    "build-after-first-model": lambda: after(Catalog, "commit_files", is_model_commit),
}


def main() -> None:
    project, point = sys.argv[1], sys.argv[2]
    POINTS[point]()
    with lakebox.open(project) as lh:
        run(lh)
    sys.exit(3)  # the point was never reached


if __name__ == "__main__":
    main()
