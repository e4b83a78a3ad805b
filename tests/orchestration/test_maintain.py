"""Maintenance among runs: the `maintain` step and `lakebox maintain` compact what runs
leave behind (ops.* included), take the lock every run takes, and leave every table readable
and the same."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import lakebox
from lakebox.errors import RunLocked
from lakebox.orchestration import history
from lakebox.orchestration.maintenance import maintain_locked, run_maintenance
from lakebox.orchestration.pipeline import run_pipeline
from lakebox.orchestration.runner import run
from tests.conftest import write_file

ROOT = Path(__file__).resolve().parents[2]
RUNS = 6
TABLES = ("formatted.sales", "exploitation.totals", "ops.runs", "ops.step_runs")
MAINTENANCE = (
    "maintenance: {min_input_files: 3, min_snapshots: 2, retention: 0, orphan_age: 1h,"
    " lock_wait: 0.5}\n"
)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    project = tmp_path / "project"
    write_file(project / "models", "totals.sql", "SELECT count(*) AS n FROM formatted.sales")
    (project / "lakebox.yaml").write_text(
        "name: upkeep\nengine: {memory_limit: 1GB, threads: 2}\nsources:\n"
        "  sales:\n    path: in/*.csv\n" + MAINTENANCE + "pipelines:\n"
        "  hourly:\n    steps: [collect, build, maintain]\n"
    )
    return project


def _load(project: Path, number: int) -> None:
    write_file(project / "in", f"part-{number}.csv", f"id,amount\n{number},{number * 2}\n")


def _contents(lh) -> dict[str, list]:
    lh.refresh()
    return {table: lh.query(f"SELECT * FROM {table} ORDER BY ALL").to_pylist() for table in TABLES}


def _files(lh, table: str) -> int:
    return len(list(lh.catalog.load(lakebox.catalog.TableRef.of(table)).scan().plan_files()))


def test_maintenance_after_runs_compacts_ops_and_changes_no_row(project):
    with lakebox.open(project) as lh:
        for number in range(RUNS):
            _load(project, number)
            assert run(lh).ok
        before = _contents(lh)
        assert _files(lh, "ops.runs") == RUNS and _files(lh, "formatted.sales") == RUNS

        report = run_maintenance(lh)

        assert report.ok, report.error
        assert _contents(lh) | {"ops.runs": None, "ops.step_runs": None} == before | {
            "ops.runs": None,
            "ops.step_runs": None,
        }
        assert _files(lh, "formatted.sales") == 1 and _files(lh, "ops.runs") <= 2
        _load(project, RUNS)
        assert run(lh).ok  # and runs carry on over the maintained tables
        assert len(_contents(lh)["formatted.sales"]) == RUNS + 1
        assert [r["pipeline"] for r in history.recent(lh)][:2] == ["default", "maintain"]


def test_the_maintain_step_of_a_pipeline_keeps_its_tables_small(project):
    with lakebox.open(project) as lh:
        for number in range(RUNS):
            _load(project, number)
            report = run_pipeline(lh, "hourly")
            assert report.ok, report.error
        steps = [s["step"] for s in history.run_steps(lh, report.run_id)]
        assert "maintain:formatted.sales" in steps and "maintain:ops.runs" in steps
        assert _files(lh, "formatted.sales") <= 3 and _files(lh, "ops.step_runs") <= 3
        assert len(_contents(lh)["formatted.sales"]) == RUNS
        assert len(_contents(lh)["ops.runs"]) == RUNS


def test_maintenance_waits_for_a_running_pipeline(project, holder):
    with lakebox.open(project) as lh:
        _load(project, 0)
        with pytest.raises(RunLocked, match="already running"):
            maintain_locked(lh)
        holder.communicate("\n", timeout=60)
        assert maintain_locked(lh, dry_run=True) == []  # no table yet


def test_maintenance_while_another_process_runs_leaves_every_table_readable(project):
    for number in range(RUNS):
        _load(project, number)
    script = (
        "import sys, lakebox\nfrom lakebox.orchestration.runner import run\n"
        "with lakebox.open(sys.argv[1]) as lh:\n"
        "    for _ in range(3):\n        assert run(lh, wait=True).ok\n"
    )
    runner = subprocess.Popen([sys.executable, "-c", script, str(project)], cwd=ROOT)
    with lakebox.open(project) as lh:
        settings = lh.config.maintenance.model_copy(update={"lock_wait": 300})
        while runner.poll() is None:
            results = maintain_locked(lh, config=settings)
            assert not [result.error for result in results if result.error]
        assert runner.returncode == 0
        contents = _contents(lh)
        assert len(contents["formatted.sales"]) == RUNS
        assert len(contents["ops.runs"]) == 3
