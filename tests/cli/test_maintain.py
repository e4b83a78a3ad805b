"""`lakebox maintain`, run as a user would: a dry run that changes nothing, then the real
one, recorded as a run, and a bad `maintenance:` key named with its line."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.conftest import lakebox
from tests.conftest import write_file

COUNT = "SELECT count(*) AS n FROM formatted.sales"


def _count(project: Path) -> list[str]:
    return lakebox("query", "--format", "csv", COUNT, cwd=project).stdout.split()


def _snapshot_files(project: Path) -> set[str]:
    return {str(path) for path in (project / "data").rglob("*") if path.is_file()}


def test_a_dry_run_changes_nothing_and_the_real_run_compacts(project: Path):
    with (project / "lakebox.yaml").open("a") as file:
        file.write("maintenance: {min_input_files: 3}\n")
    for number in range(2, 5):
        write_file(project / "exports", f"{number}.csv", f"id,amount\n{number * 10},{number}\n")
        assert lakebox("ingest", "-q", cwd=project).returncode == 0
    before, counted = _snapshot_files(project), _count(project)

    dry = lakebox("maintain", "--dry-run", "--json", "formatted.*", cwd=project)

    assert dry.returncode == 0, dry.stderr
    [sales] = [t for t in json.loads(dry.stdout)["tables"] if t["table"] == "formatted.sales"]
    assert sales["compacted"] >= 3 and sales["files_after"] == sales["files_before"]
    assert _snapshot_files(project) == before
    done = lakebox("maintain", "--json", "formatted.sales", cwd=project)
    assert done.returncode == 0, done.stderr
    [sales] = json.loads(done.stdout)["tables"]
    assert sales["files_after"] == 1
    rows = lakebox("query", "--format", "csv", COUNT, cwd=project)
    assert rows.stdout.split() == counted == ['"n"', "5"]
    runs = lakebox("runs", "--json", cwd=project)
    assert "maintain" in runs.stdout


def test_a_bad_maintenance_key_is_named_with_its_line(project: Path):
    with (project / "lakebox.yaml").open("a") as file:
        file.write("maintenance:\n  target_file_size: huge\n")

    result = lakebox("maintain", "--dry-run", cwd=project)

    assert result.returncode == 1
    assert "target_file_size" in result.stderr and "huge" in result.stderr
