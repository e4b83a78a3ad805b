"""`lakebox run` sends the alerts its run made due: a failed run reaches a real webhook once,
a second failure of the same pipeline sends nothing new, and the next good run resolves it."""

from __future__ import annotations

from pathlib import Path

import yaml

from tests.cli.conftest import lakebox
from tests.conftest import write_file
from tests.monitoring.conftest import Hooks


def _project(folder: Path, hooks: Hooks) -> Path:
    source = {"kind": "http", "url": "http://127.0.0.1:9/counts", "retries": 0, "records": "data"}
    document = {
        "name": "alerted",
        "sources": {"counts": source, "sales": {"path": "in/*.csv"}},
        "pipelines": {"pull": {"steps": [{"collect": "counts"}]}},
        "alerts": {"channels": [f"json://127.0.0.1:{hooks.port}/alerts"], "on": ["runs"]},
    }
    folder.mkdir()
    (folder / "lakebox.yaml").write_text(yaml.safe_dump(document, sort_keys=False))
    write_file(folder / "in", "a.csv", "id,amount\n1,10\n")
    return folder


def test_a_failed_run_alerts_once_and_the_next_good_run_resolves_it(tmp_path, hooks):
    project = _project(tmp_path / "project", hooks)
    first = lakebox("run", "--pipeline", "pull", "-q", cwd=project)
    assert first.returncode == 1, first.stderr
    assert len(hooks.bodies) == 1 and "pull" in hooks.titles[0], hooks.titles
    assert lakebox("run", "--pipeline", "pull", "-q", cwd=project).returncode == 1
    assert len(hooks.bodies) == 1  # the same incident: no second alert
    document = yaml.safe_load((project / "lakebox.yaml").read_text())
    document["pipelines"]["pull"]["steps"] = [{"collect": "sales"}]
    (project / "lakebox.yaml").write_text(yaml.safe_dump(document, sort_keys=False))
    fixed = lakebox("run", "--pipeline", "pull", "-q", cwd=project)
    assert fixed.returncode == 0, fixed.stderr
    assert len(hooks.bodies) == 2 and hooks.titles[1].startswith("[lakebox] resolved:")
