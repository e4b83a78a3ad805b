"""A run that leaves failed objects as they are says so, in its summary and its JSON."""

from __future__ import annotations

import json

from tests.cli.conftest import lakebox, new_project
from tests.orchestration.test_retry_failed import _stock_with_remarks


def test_a_run_reminds_of_the_failed_objects_it_does_not_retry(tmp_path):
    project = new_project(tmp_path)
    (project / "stock").mkdir()
    _stock_with_remarks(project / "stock" / "stock.xlsx")
    added = lakebox("source", "add", "stock", "--path", "stock/*.xlsx", cwd=project)
    assert added.returncode == 0, added.stderr
    first = lakebox("run", "--json", cwd=project)
    assert first.returncode == 1 and json.loads(first.stdout)["failed_waiting"] == []
    [failed] = [row for row in json.loads(first.stdout)["formatted"] if row["status"] == "failed"]

    again = lakebox("run", cwd=project)
    assert again.returncode == 0, again.stderr
    assert (
        f"1 failed object(s) wait for a config change or `lakebox reformat --batch ID` "
        f"({failed['batch_id']})"
    ) in again.stderr
    document = json.loads(lakebox("run", "--json", cwd=project).stdout)
    assert document["failed_waiting"] == [failed["batch_id"]]
