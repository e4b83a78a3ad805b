"""Exactly once for files formatted together: a run killed with SIGKILL anywhere in the
formatting of a group of landed files (before, during or after its one commit, before its
manifest rows, or while an object with a bad record is formatted alone between two commits
of the group), then re-run, neither loses nor duplicates a row, and counts every object's
rows exactly once."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import lakebox
from lakebox.catalog import BATCH_PROPERTY, TableRef
from lakebox.catalog.iceberg import snapshot_properties
from lakebox.orchestration.runner import run
from tests.conftest import write_file
from tests.orchestration.crasher import POINTS
from tests.orchestration.test_exactly_once import _crash

FILES = 7
ROWS = 50  # per file
BAD = 3  # the file with one bad row (formatted alone, between two commits of the group)


def _write_project(tmp_path: Path, key: str = "    key: [id]\n") -> Path:
    """Write 7 files of 50 rows and a duplicate each, one with a bad row; keyed (by default),
    the group's commit is cut around the bad file, formatted alone in its place."""
    project = tmp_path / "project"
    for number in range(FILES):
        first = number * ROWS
        lines = [f"{i},{i % 7},{i * 1.5}" for i in range(first, first + ROWS)]
        lines += [lines[0]]  # a duplicate in every file
        lines += [f"{first},oops,not-a-number"] if number == BAD else []
        write_file(project / "in", f"part-{number}.csv", "id,store,amount\n" + "\n".join(lines))
    (project / "lakebox.yaml").write_text(
        "name: crash\nengine: {memory_limit: 1GB, threads: 2}\nsources:\n"
        f"  sales:\n    path: in/*.csv\n    settle: 0s\n{key}    columns:\n"
        "      store: {type: BIGINT}\n"
    )
    return project


def _assert_exactly_once(project: Path) -> None:
    with lakebox.open(project) as lh:
        assert run(lh).ok
        formatted = lh.query(
            "SELECT count(*) AS n, count(DISTINCT id) AS ids, count(DISTINCT _batch_id) AS "
            "batches, count(DISTINCT (_source_file, _source_line)) AS lines FROM formatted.sales"
        ).to_pylist()
        total = FILES * ROWS
        assert formatted == [{"n": total, "ids": total, "batches": FILES, "lines": total}]
        quarantined = lh.query("SELECT _reason FROM quarantine.sales").to_pylist()
        assert len(quarantined) == 1 and "store" in quarantined[0]["_reason"]
        rows = lh.query(
            "SELECT original_path, status, rows_read AS read, rows_formatted AS ok, "
            "rows_quarantined AS bad, rows_duplicate AS dup FROM landing.manifest "
            "ORDER BY original_path"
        ).to_pylist()
        assert [row["status"] for row in rows] == ["formatted"] * FILES
        for number, row in enumerate(rows):
            bad = int(number == BAD)
            assert (row["read"], row["ok"], row["bad"], row["dup"]) == (
                ROWS + 1 + bad,
                ROWS,
                bad,
                1,
            ), row
        table = lh.catalog.load(TableRef("formatted", "sales"))
        tagged = [
            snapshot_properties(snapshot).get(BATCH_PROPERTY) for snapshot in table.snapshots()
        ]
        assert sum(len(json.loads(tags or "[]")) for tags in tagged) == FILES  # each batch once


@pytest.mark.parametrize(
    ("key", "commits"),
    [("    key: [id]\n", [BAD, 1, FILES - BAD - 1]), ("", [FILES - 1, 1])],
    ids=["keyed", "appended"],
)
def test_a_clean_run_commits_the_group_and_the_bad_file_alone(tmp_path, key, commits):
    project = _write_project(tmp_path, key)

    _assert_exactly_once(project)

    with lakebox.open(project) as lh:
        table = lh.catalog.load(TableRef("formatted", "sales"))
        sizes = [
            len(json.loads(snapshot_properties(snapshot).get(BATCH_PROPERTY, "[]")))
            for snapshot in table.snapshots()
        ]
    assert sizes == commits


@pytest.mark.slow
@pytest.mark.parametrize("point", [point for point in POINTS if point.startswith("group-")])
def test_a_group_killed_at_a_point_then_rerun_is_exactly_once(tmp_path, point):
    project = _write_project(tmp_path)

    _crash(project, point)

    _assert_exactly_once(project)


APPENDED_POINTS = ("before-commit", "after-commit", "before-manifest", "alone-before-commit")


@pytest.mark.slow
@pytest.mark.parametrize("point", [f"group-{point}" for point in APPENDED_POINTS])
def test_an_appended_group_killed_at_a_point_then_rerun_is_exactly_once(tmp_path, point):
    project = _write_project(tmp_path, key="")

    _crash(project, point)

    _assert_exactly_once(project)
