"""Landing: immutable objects under landing/<source>/<yyyy>/<mm>/<dd>/<batch>__<name>, each
recorded in the manifest; the same bytes twice are landed once."""

from __future__ import annotations

import os
import re

from lakebox.catalog.manifest import Status
from lakebox.landing.loader import land
from tests.conftest import write_file

LAYOUT = re.compile(r"^landing/sales/\d{4}/\d{2}/\d{2}/\d{8}T\d{12}-[0-9a-f]{6}__a\.csv$")


def test_a_file_lands_once_with_its_manifest_row(make_project, tmp_path):
    source = write_file(tmp_path / "in", "a.csv", "id,v\n1,x\n")
    lh = make_project({"sales": {"path": str(tmp_path / "in")}})

    report = land(lh, "sales")

    [entry] = report.landed
    assert LAYOUT.match(entry.landed_path)
    assert lh.storage.local_path(entry.landed_path).read_bytes() == source.read_bytes()
    row = lh.query("SELECT * FROM landing.manifest").to_pylist()[0]
    assert row["status"] == Status.LANDED
    assert row["bytes"] == 9
    assert row["sha256"] == entry.sha256 and len(row["sha256"]) == 64
    assert row["original_path"] == str(source)


def test_unchanged_files_are_not_landed_again(make_project, tmp_path):
    write_file(tmp_path / "in", "a.csv", "id\n1\n")
    lh = make_project({"sales": {"path": str(tmp_path / "in")}})
    land(lh, "sales")

    again = land(lh, "sales")

    assert (again.landed, again.duplicates, again.unchanged) == ([], [], 1)
    assert len(lh.manifest.entries("sales")) == 1


def test_the_same_bytes_again_are_recorded_as_a_sighting(make_project, tmp_path):
    write_file(tmp_path / "in", "a.csv", "id\n1\n")
    lh = make_project({"sales": {"path": str(tmp_path / "in")}})
    [first] = land(lh, "sales").landed
    write_file(tmp_path / "in", "copy-of-a.csv", "id\n1\n")

    [sighting] = land(lh, "sales").duplicates

    assert sighting.status == Status.DUPLICATE
    assert sighting.landed_path == first.landed_path
    assert first.batch_id in sighting.error
    landed_files = list(lh.storage.local_path("landing").rglob("*.csv"))
    assert len(landed_files) == 1


def test_a_changed_file_lands_as_a_new_version(make_project, tmp_path):
    path = write_file(tmp_path / "in", "a.csv", "id\n1\n")
    lh = make_project({"sales": {"path": str(tmp_path / "in")}})
    [first] = land(lh, "sales").landed
    path.write_text("id\n1\n2\n")
    os.utime(path, (1_900_000_000, 1_900_000_000))

    [second] = land(lh, "sales").landed

    assert second.landed_path != first.landed_path
    assert lh.storage.local_path(first.landed_path).read_text() == "id\n1\n"
    assert lh.storage.local_path(second.landed_path).read_text() == "id\n1\n2\n"


def test_landed_objects_are_read_only_copies(make_project, tmp_path):
    path = write_file(tmp_path / "in", "a.csv", "id\n1\n")
    lh = make_project({"sales": {"path": str(tmp_path / "in")}})
    [entry] = land(lh, "sales").landed
    path.unlink()

    assert lh.storage.local_path(entry.landed_path).read_text() == "id\n1\n"
