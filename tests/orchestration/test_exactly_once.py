"""Exactly once: a run killed with SIGKILL at any point, then re-run, neither loses nor
duplicates a row — in landing, formatted, quarantine and exploitation."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import lakebox
from lakebox.orchestration.runner import run
from tests.conftest import write_file
from tests.orchestration.crasher import POINTS, killed

ROOT = Path(__file__).resolve().parents[2]
FILES = 3
ROWS = 400  # per file; each file also has one bad row and one duplicated row


def _write_project(tmp_path: Path, rows: int = ROWS) -> Path:
    project = tmp_path / "project"
    for number in range(FILES):
        first = number * rows
        lines = [f"{i},{i % 7},{i * 1.5}" for i in range(first, first + rows)]
        lines += [lines[0], f"{first},oops,not-a-number"]
        write_file(project / "in", f"part-{number}.csv", "id,store,amount\n" + "\n".join(lines))
    (project / "lakebox.yaml").write_text(
        "name: crash\nengine: {memory_limit: 1GB, threads: 2}\nsources:\n"
        "  sales:\n    path: in/*.csv\n    columns:\n      store: {type: BIGINT}\n"
    )
    write_file(
        project / "models",
        "totals.sql",
        "SELECT store, count(*) AS n, sum(amount) AS amount FROM formatted.sales GROUP BY 1",
    )
    write_file(project / "models", "grand.sql", "SELECT sum(n) AS n FROM totals")
    return project


def _crash(project: Path, point: str) -> None:
    killed(project, point)


def _assert_exactly_once(project: Path, rows: int = ROWS) -> None:
    with lakebox.open(project) as lh:
        report = run(lh)
        assert report.ok
        formatted = lh.query(
            "SELECT count(*) AS n, count(DISTINCT id) AS ids, "
            "count(DISTINCT (_source_file, _source_line)) AS lines FROM formatted.sales"
        ).to_pylist()
        assert formatted == [{"n": FILES * rows, "ids": FILES * rows, "lines": FILES * rows}]
        assert lh.query("SELECT count(*) AS n FROM quarantine.sales").to_pylist() == [{"n": FILES}]
        assert lh.query("SELECT n FROM exploitation.grand").to_pylist() == [{"n": FILES * rows}]
        manifest = lh.query(
            "SELECT status, count(*) AS files, sum(rows_read) AS read, sum(rows_formatted) AS ok,"
            " sum(rows_quarantined) AS bad, sum(rows_duplicate) AS dup FROM landing.manifest "
            "GROUP BY status"
        ).to_pylist()
        assert manifest == [
            {
                "status": "formatted",
                "files": FILES,
                "read": FILES * (rows + 2),
                "ok": FILES * rows,
                "bad": FILES,
                "dup": FILES,
            }
        ]
        landed = list(lh.storage.local_path("landing").rglob("*.csv"))
        assert len(landed) == FILES


@pytest.mark.slow
@pytest.mark.parametrize("point", [p for p in POINTS if not p.startswith(("pull-", "group-"))])
def test_a_run_killed_at_a_point_then_rerun_is_exactly_once(tmp_path, point):
    project = _write_project(tmp_path)

    _crash(project, point)

    _assert_exactly_once(project)


@pytest.mark.slow
def test_runs_killed_at_arbitrary_moments_converge(tmp_path):
    """Kills at wall-clock delays land wherever the run happens to be."""
    rows = 20_000
    project = _write_project(tmp_path, rows)
    command = [sys.executable, "-m", "lakebox.cli", "run", "--project", str(project), "--quiet"]
    for delay in (1.0, 1.6, 2.2, 2.8, 3.4):
        child = subprocess.Popen(
            command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        time.sleep(delay)
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=60)

    _assert_exactly_once(project, rows)
