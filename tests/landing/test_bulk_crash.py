"""Bulk landing killed with SIGKILL at any point, then run again: every file is recorded once
(landed or a sighting), every distinct content is in the landing zone once, none is lost."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

import lakebox
from lakebox.catalog.manifest import Status
from lakebox.landing.loader import land
from tests.conftest import write_file
from tests.landing.land_crasher import POINTS
from tests.orchestration.crasher import killed

# part-0 and part-1 hold the same bytes (one chunk of 4), and so do part-2 and part-6 (two)
CONTENTS = ["a", "a", "b", "c", "d", "e", "b", "f", "g", "h"]


def _project(tmp_path: Path) -> Path:
    project = tmp_path / "project"
    for number, content in enumerate(CONTENTS):
        write_file(project / "in", f"part-{number}.csv", f"id,v\n1,{content}\n")
    (project / "lakebox.yaml").write_text(
        "name: crash\nengine: {memory_limit: 1GB, threads: 2}\n"
        "sources:\n  sales:\n    path: in/*.csv\n"
    )
    return project


@pytest.mark.slow
@pytest.mark.parametrize("point", list(POINTS))
def test_bulk_landing_killed_at_a_point_then_rerun_lands_each_file_once(tmp_path, point):
    project = _project(tmp_path)
    killed(project, point, "tests.landing.land_crasher")

    with lakebox.open(project) as lh:
        land(lh, "sales")
        again = land(lh, "sales")
        rows = lh.manifest.entries("sales")
        stored = [path for path in lh.storage.local_path("landing").rglob("*") if path.is_file()]
        landed = {row.landed_path: row for row in rows if row.status == Status.LANDED}
        for row in rows:
            assert (
                lh.storage.local_path(row.landed_path)
                .read_text()
                .endswith(f"1,{CONTENTS[int(row.original_path[-5])]}\n")
            )
        staged = list((lh.temporal_dir / "sales").rglob("*"))

    assert again.landed == [] and again.duplicates == [] and again.unchanged == len(CONTENTS)
    assert Counter(Path(row.original_path).name for row in rows) == {
        f"part-{n}.csv": 1 for n in range(len(CONTENTS))
    }
    assert Counter(row.status for row in rows) == {
        Status.LANDED: len(set(CONTENTS)),
        Status.DUPLICATE: len(CONTENTS) - len(set(CONTENTS)),
    }
    assert len({row.sha256 for row in landed.values()}) == len(set(CONTENTS))
    assert sorted(str(path) for path in stored) == sorted(
        str(lh.storage.local_path(path)) for path in landed
    )
    assert staged == []
