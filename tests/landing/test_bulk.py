"""Landing in bulk: many files copied and hashed in parallel, recorded a chunk at a time; the
same bytes still land once, and a file that fails fails alone."""

from __future__ import annotations

import os
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from lakebox.catalog.manifest import Entry, Status
from lakebox.ground.reporter import CapturingReporter
from lakebox.landing import bulk
from lakebox.landing.loader import land
from lakebox.landing.sources import kind_for
from lakebox.landing.sources.base import SourceContext
from tests.conftest import write_file

FILES = 25


def _exports(folder: Path, count: int = FILES) -> list[Path]:
    return [
        write_file(folder, f"part-{n:03d}.csv", f"id,v\n{n},x{n}\n" * (n + 1)) for n in range(count)
    ]


def _landed_files(lh) -> list[Path]:
    return [path for path in lh.storage.local_path("landing").rglob("*") if path.is_file()]


@pytest.fixture(params=[bulk.CHUNK_FILES, 4], ids=["one-chunk", "chunks-of-4"])
def chunk(request, monkeypatch) -> int:
    monkeypatch.setattr(bulk, "CHUNK_FILES", request.param)
    return request.param


def test_many_files_land_once_each_in_the_order_listed(make_project, tmp_path, chunk):
    sources = _exports(tmp_path / "in")
    lh = make_project({"sales": {"path": str(tmp_path / "in")}})
    reporter = CapturingReporter()

    report = land(lh, "sales", reporter)

    assert [entry.original_path for entry in report.landed] == [str(path) for path in sources]
    for entry, source in zip(report.landed, sources, strict=True):
        assert entry.status == Status.LANDED
        assert lh.storage.local_path(entry.landed_path).read_bytes() == source.read_bytes()
    rows = lh.manifest.entries("sales")
    assert Counter(row.status for row in rows) == {Status.LANDED: FILES}
    assert len({row.batch_id for row in rows}) == FILES
    assert [row.original_path for row in rows] == [str(path) for path in sources]  # as listed
    assert sorted(row.batch_id for row in rows) == [row.batch_id for row in rows]
    assert len(_landed_files(lh)) == FILES
    assert reporter.steps == [("land", "sales", n, FILES) for n in range(1, FILES + 1)]
    assert list((lh.temporal_dir / "sales").glob("*")) == []  # nothing left staged
    again = land(lh, "sales")
    assert (again.landed, again.duplicates, again.unchanged) == ([], [], FILES)


def test_equal_bytes_in_one_run_land_once_and_the_others_are_sightings(
    make_project, tmp_path, chunk
):
    folder = tmp_path / "in"
    _exports(folder, 6)
    for name in ("copy-1.csv", "copy-2.csv", "x-copy-3.csv"):
        write_file(folder, name, "id,v\n0,x0\n")  # the bytes of part-000.csv
    write_file(folder, "twin-a.csv", "id\n42\n")
    write_file(folder, "twin-b.csv", "id\n42\n")
    lh = make_project({"sales": {"path": str(folder)}})

    report = land(lh, "sales")

    assert len(report.landed) == 6 + 1
    first = {entry.sha256: entry for entry in report.landed}
    assert len(first) == len(report.landed)  # no bytes landed twice
    assert [Path(entry.original_path).name for entry in report.duplicates] == [
        "copy-2.csv",
        "part-000.csv",  # listed after copy-1.csv, which landed its bytes
        "twin-b.csv",
        "x-copy-3.csv",
    ]
    for sighting in report.duplicates:
        assert sighting.status == Status.DUPLICATE
        assert sighting.landed_path == first[sighting.sha256].landed_path
        assert first[sighting.sha256].batch_id in sighting.error
    assert Path(first[report.duplicates[0].sha256].original_path).name == "copy-1.csv"
    assert len(_landed_files(lh)) == 7
    statuses = Counter(row.status for row in lh.manifest.entries("sales"))
    assert statuses == {Status.LANDED: 7, Status.DUPLICATE: 4}


def test_bytes_landed_by_an_earlier_run_are_sightings_in_a_bulk_run(make_project, tmp_path):
    folder = tmp_path / "in"
    write_file(folder, "a.csv", "id\n1\n")
    lh = make_project({"sales": {"path": str(folder)}})
    [first] = land(lh, "sales").landed
    for n in range(5):
        write_file(folder, f"b{n}.csv", "id\n1\n" if n % 2 == 0 else f"id\n{n + 10}\n")

    report = land(lh, "sales")

    assert [Path(entry.original_path).name for entry in report.duplicates] == [
        "b0.csv",
        "b2.csv",
        "b4.csv",
    ]
    assert {entry.landed_path for entry in report.duplicates} == {first.landed_path}
    assert len(report.landed) == 2 and report.unchanged == 1


def test_a_file_that_vanished_or_grew_after_the_listing_fails_alone(make_project, tmp_path):
    sources = _exports(tmp_path / "in", 8)
    lh = make_project({"sales": {"path": str(tmp_path / "in")}})
    kind = kind_for(SourceContext("sales", lh.source("sales"), lh))
    candidates = list(kind.candidates())
    sources[2].unlink()  # gone between the listing and the copy
    with sources[5].open("a") as writer:  # still being written
        writer.write("99,late\n")
    steps: list[int] = []

    outcomes = list(bulk.land_files(lh, "sales", candidates, kind.fetch, lambda: steps.append(1)))

    assert [outcome.candidate for outcome in outcomes] == candidates
    assert "cannot read" in (outcomes[2].reason or "")
    assert "still being written" in (outcomes[5].reason or "")
    landed = [outcome for outcome in outcomes if outcome.reason is None]
    assert len(landed) == 6 and all(o.entry and o.entry.status == "landed" for o in landed)
    assert len(steps) == 8
    rows = lh.manifest.entries("sales")
    assert Counter(row.status for row in rows) == {Status.LANDED: 6}
    later = land(lh, "sales")  # the file finished: it lands now; the gone one is forgotten
    assert [Path(entry.original_path).name for entry in later.landed] == ["part-005.csv"]
    assert later.not_landed == []


def test_an_entry_refused_by_the_listing_is_reported_and_the_rest_land(make_project, tmp_path):
    folder = tmp_path / "in"
    _exports(folder, 4)
    os.mkfifo(folder / "pipe.csv")  # not a regular file: refused, not read
    lh = make_project({"sales": {"path": str(folder)}})

    report = land(lh, "sales")

    assert len(report.landed) == 4
    [refused] = report.not_landed
    assert refused.object.endswith("pipe.csv") and "not a regular file" in refused.reason


def test_when_the_landing_zone_refuses_the_bytes_nothing_is_recorded(make_project, tmp_path):
    folder = tmp_path / "in"
    _exports(folder, 3)
    write_file(folder, "same-as-0.csv", "id,v\n0,x0\n")
    lh = make_project({"sales": {"path": str(folder)}})
    blocker = lh.storage.local_path("landing/sales")
    blocker.parent.mkdir(parents=True)
    blocker.write_text("a file where the source's folder should be")

    refused = land(lh, "sales")
    blocker.unlink()
    later = land(lh, "sales")

    assert refused.landed == [] and refused.duplicates == []
    reasons = {Path(item.object).name: item.reason for item in refused.not_landed}
    assert set(reasons) == {"part-000.csv", "part-001.csv", "part-002.csv", "same-as-0.csv"}
    assert "did not land" in reasons["same-as-0.csv"]
    assert len(later.landed) == 3 and len(later.duplicates) == 1
    assert Counter(row.status for row in lh.manifest.entries("sales")) == {
        Status.LANDED: 3,
        Status.DUPLICATE: 1,
    }


def test_recover_clears_what_a_move_cut_short_left_aside(make_project, tmp_path):
    write_file(tmp_path / "in", "a.csv", "id\n1\n")
    lh = make_project({"sales": {"path": str(tmp_path / "in")}})
    cut = "landing/sales/2026/01/01/20260101T000000000000-abcdef__a.csv"
    aside = lh.storage.local_path(cut).with_name(".20260101T000000000000-abcdef__a.csv.part")
    write_file(aside.parent, aside.name, "id\n")  # the half of the bytes the crash allowed
    lh.manifest.add_many(
        [
            Entry(
                batch_id="20260101T000000000000-abcdef",
                source="sales",
                original_path=str(tmp_path / "in" / "a.csv"),
                sha256="0" * 64,
                bytes=5,
                received_at=datetime(2026, 1, 1, tzinfo=UTC),
                status=Status.LANDING,
                landed_path=cut,
            )
        ]
    )

    [entry] = land(lh, "sales").landed

    assert not aside.exists()
    assert [row.batch_id for row in lh.manifest.entries("sales")] == [entry.batch_id]
    assert [path for path in _landed_files(lh)] == [lh.storage.local_path(entry.landed_path)]


def test_chunks_are_bounded_by_files_and_by_bytes(make_project, tmp_path, monkeypatch):
    folder = tmp_path / "in"
    _exports(folder, 6)
    write_file(folder, "z-big.csv", "id\n" + "1\n" * 500)
    lh = make_project({"sales": {"path": str(folder)}})
    monkeypatch.setattr(bulk, "CHUNK_BYTES", 100)
    kind = kind_for(SourceContext("sales", lh.source("sales"), lh))
    candidates = list(kind.candidates())

    chunks = list(bulk._chunks(candidates))

    assert [chunk for part in chunks for chunk in part] == candidates
    assert all(sum(c.bytes for c in part) <= 100 or len(part) == 1 for part in chunks)
    assert [len(part) for part in chunks][-1] == 1  # the big file alone
    assert len(land(lh, "sales").landed) == 7
