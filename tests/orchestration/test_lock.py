"""One run of a pipeline at a time, across processes: a second run skips or waits."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import lakebox
from lakebox.errors import RunLocked
from lakebox.ground.clock import now
from lakebox.orchestration import history
from lakebox.orchestration.lock import PipelineLock
from lakebox.orchestration.runner import run
from tests.conftest import write_file

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    project = tmp_path / "project"
    write_file(project / "in", "a.csv", "id,amount\n1,10\n2,5\n")
    (project / "lakebox.yaml").write_text(
        "name: locks\nengine: {memory_limit: 1GB, threads: 2}\nsources:\n"
        "  sales:\n    path: in/*.csv\n"
    )
    return project


def _lakebox(project: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "lakebox.cli", *args, "--project", str(project), "--quiet"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _runs(project: Path) -> list[dict]:
    with lakebox.open(project) as lh:
        return history.recent(lh)


def test_a_run_skips_while_another_process_holds_the_lock(project, holder):
    contender = _lakebox(project, "run")
    _, err = contender.communicate(timeout=300)
    assert contender.returncode == 75  # "already running", told apart from a failure
    assert "pipeline 'default' is already running" in err
    assert f"process {holder.pid}, since " in err
    assert _runs(project) == []  # a skipped run is not a run


def test_a_run_that_waits_runs_once_the_holder_is_done(project, holder):
    contender = _lakebox(project, "run", "--wait", "600")
    with pytest.raises(subprocess.TimeoutExpired):  # it cannot finish while the lock is held
        contender.wait(timeout=5)
    released = now()
    holder.communicate("\n", timeout=60)
    _, err = contender.communicate(timeout=300)
    assert contender.returncode == 0, err
    [recorded] = _runs(project)
    assert (recorded["status"], recorded["rows_in"]) == ("ok", 2)
    assert recorded["started_at"] >= released


def test_ingest_takes_the_same_lock(project, holder):
    contender = _lakebox(project, "ingest")
    _, err = contender.communicate(timeout=300)
    assert contender.returncode == 75 and "already running" in err


def test_the_lock_refuses_a_second_holder_in_one_process_until_released(project):
    with lakebox.open(project) as lh:
        with PipelineLock(lh, "default"):
            with pytest.raises(RunLocked, match="wait for it with --wait SECONDS"):
                PipelineLock(lh, "default", wait=0.2).acquire()
            with pytest.raises(RunLocked):
                run(lh)
            with PipelineLock(lh, "another"):  # pipelines lock independently
                pass
        assert run(lh).ok
