"""Orphaned files: deleted from a table's folders once older than the safety age, never
younger, never a file some snapshot references, never a landed object; a dry run changes
nothing at all."""

from __future__ import annotations

import os
import time
from pathlib import Path

from lakebox.maintenance.run import maintain
from tests.maintenance.conftest import HOUR, REF, config, rows


def _folder(lh) -> Path:
    return Path(lh.catalog.load(REF).location().removeprefix("file://"))


def _stray(path: Path, age: float) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"PAR1 left by a commit that failed")
    os.utime(path, (time.time() - age, time.time() - age))
    return path


def _everything(root: Path) -> dict[str, tuple[int, int]]:
    return {
        str(path.relative_to(root)): (path.stat().st_size, path.stat().st_mtime_ns)
        for path in root.rglob("*")
        if path.is_file()
    }


def test_old_orphans_go_and_young_ones_stay(appended):
    lh = appended
    old = _stray(_folder(lh) / "data" / "failed-old.parquet", 2 * HOUR)
    young = _stray(_folder(lh) / "data" / "in-flight.parquet", 60)
    stale_metadata = _stray(_folder(lh) / "metadata" / "00000-old.metadata.json", 2 * HOUR)
    before = rows(lh)

    [result] = maintain(lh, config(min_input_files=100))

    assert not old.exists() and not stale_metadata.exists()
    assert young.exists() and result.kept_orphans == 1
    assert {Path(o.path).name for o in result.orphans} == {old.name, stale_metadata.name}
    assert rows(lh) == before


def test_files_of_expired_snapshots_go_once_old_enough(appended):
    lh = appended
    later = time.time() + 2 * HOUR  # the snapshots and their files are 2 hours old by then

    [result] = maintain(lh, config(retention="1000d"), now=later)  # compacted, not expired
    assert not [o for o in result.orphans if "/data/" in o.path]
    [result] = maintain(lh, config(min_snapshots=1), now=later)

    data = [o for o in result.orphans if "/data/" in o.path]
    assert len(data) == 12  # the small files only the expired snapshots referenced
    assert len(list((_folder(lh) / "data").glob("*.parquet"))) == 1
    assert len(rows(lh)) == 12 * 3


def test_landed_objects_and_files_outside_the_tables_are_never_touched(appended):
    lh = appended
    landed = _stray(lh.storage.local_path("landing/events/2026/01/01/b1__a.csv"), 1000 * HOUR)
    beside = _stray(_folder(lh).parent / "notes.txt", 1000 * HOUR)
    _stray(_folder(lh) / "data" / "failed-old.parquet", 1000 * HOUR)

    maintain(lh, config(orphan_age="1h"), now=time.time() + 1000 * HOUR)

    assert landed.exists() and beside.exists()


def test_a_dry_run_changes_nothing(appended):
    lh = appended
    _stray(_folder(lh) / "data" / "failed-old.parquet", 2 * HOUR)
    root = lh.storage.local_path("")
    files, catalog = _everything(root), lh.catalog.metadata_locations()

    [result] = maintain(lh, config(), dry_run=True, now=time.time() + 2 * HOUR)

    assert result.compacted == 12 and result.expired == 10 and len(result.orphans) >= 1
    assert _everything(root) == files and lh.catalog.metadata_locations() == catalog


def test_a_table_whose_location_climbs_out_of_the_warehouse_is_not_cleaned(appended):
    lh = appended
    landed = _stray(lh.storage.local_path("landing/data/b1__a.csv"), 1000 * HOUR)
    table = lh.catalog.load(REF)
    escaping = table.location().rstrip("/") + "/../../../landing"

    from lakebox.maintenance.orphans import orphans

    assert orphans(lh, escaping, set(), [], time.time() + 1000 * HOUR) == []
    assert landed.exists()
