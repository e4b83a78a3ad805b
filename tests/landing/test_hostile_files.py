"""Hostile files in a `files` source: awkward names land, links and special files are not
followed out of the folder, globs are bounded, and a file still being written waits."""

from __future__ import annotations

import os
import socket
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from lakebox.catalog.manifest import Entry, Status
from lakebox.errors import ConfigError, LandingError
from lakebox.landing.loader import land
from tests.conftest import write_file

OLD = time.time() - 3600  # an hour ago: long settled


def _settled(*paths: Path) -> None:
    for path in paths:
        os.utime(path, (OLD, OLD), follow_symlinks=False)


def _reasons(report) -> dict[str, str]:
    return {item.object: item.reason for item in report.not_landed}


# --- names ---------------------------------------------------------------------------------


def test_a_name_with_an_undecodable_byte_lands_under_a_safe_name(make_project, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    raw = os.path.join(os.fsencode(folder), b"caf\xff.csv")
    with open(raw, "wb") as handle:
        handle.write(b"id,v\n1,x\n")
    lh = make_project({"sales": {"path": str(folder)}})

    [entry] = land(lh, "sales").landed

    assert entry.original_path == f"{folder}/caf%FF.csv"
    assert entry.landed_path.endswith("__caf%FF.csv")
    assert lh.storage.local_path(entry.landed_path).read_bytes() == b"id,v\n1,x\n"
    [row] = lh.manifest.entries("sales")
    assert row.original_path == entry.original_path and row.status == Status.LANDED
    assert land(lh, "sales").unchanged == 1  # the safe name is its fingerprint, run after run


def test_a_240_character_name_lands_shortened_with_a_hash(make_project, tmp_path):
    name = "x" * 236 + ".csv"
    source = write_file(tmp_path / "in", name, "id\n1\n")
    lh = make_project({"sales": {"path": str(tmp_path / "in")}})

    [entry] = land(lh, "sales").landed

    landed = Path(entry.landed_path).name
    assert len(landed.encode()) < 180 and landed.endswith(".csv")
    assert landed != f"{entry.batch_id}__{name}"
    assert entry.original_path == str(source)  # the original name is kept
    assert lh.storage.local_path(entry.landed_path).read_text() == "id\n1\n"


def test_a_stuck_landing_row_that_cannot_be_checked_breaks_no_later_run(make_project, tmp_path):
    write_file(tmp_path / "in", "a.csv", "id\n1\n")
    lh = make_project({"sales": {"path": str(tmp_path / "in")}})
    stuck = "landing/sales/2026/01/01/20260101T000000000000-abcdef__" + "y" * 300 + ".csv"
    lh.storage.local_path(stuck).parent.mkdir(parents=True)  # other objects landed that day
    lh.manifest.add(
        Entry(
            batch_id="20260101T000000000000-abcdef",
            source="sales",
            original_path=str(tmp_path / "gone" / ("y" * 300 + ".csv")),
            sha256="0" * 64,
            bytes=5,
            received_at=datetime(2026, 1, 1, tzinfo=UTC),
            status=Status.LANDING,
            landed_path=stuck,
        )
    )

    first = land(lh, "sales")
    second = land(lh, "sales")

    assert [Path(entry.original_path).name for entry in first.landed] == ["a.csv"]
    assert "cannot check" in _reasons(first)[str(tmp_path / "gone" / ("y" * 300 + ".csv"))]
    assert lh.manifest.entries("sales", Status.LANDING) == []
    assert second.unchanged == 1 and second.not_landed == []


# --- links and special files ---------------------------------------------------------------


def _exports_with_links(tmp_path: Path) -> Path:
    folder = tmp_path / "exports"
    good = write_file(folder, "good.csv", "id\n1\n")
    secret = write_file(tmp_path / "elsewhere", "secret.csv", "token\nhunter2\n")
    (folder / "passwd.csv").symlink_to("/etc/passwd")
    (folder / "secret.csv").symlink_to(secret)
    (folder / "environ.csv").symlink_to("/proc/self/environ")
    (folder / "zero.csv").symlink_to("/dev/zero")
    (folder / "inside.csv").symlink_to(good)  # inside the folder: the same file, once
    os.mkfifo(folder / "pipe.csv")
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(folder / "sock.csv"))
    sock.close()
    _settled(good, secret)
    return folder


def test_links_leaving_the_folder_and_special_files_are_not_read(make_project, tmp_path):
    folder = _exports_with_links(tmp_path)
    lh = make_project({"sales": {"path": str(folder)}})

    report = land(lh, "sales")

    assert [Path(entry.original_path).name for entry in report.landed] == ["good.csv"]
    reasons = _reasons(report)
    assert "leaves the source folder" in reasons[str(folder / "passwd.csv")]
    assert "follow_outside_links" in reasons[str(folder / "secret.csv")]
    assert "never read" in reasons[str(folder / "environ.csv")]
    assert "never read" in reasons[str(folder / "zero.csv")]
    assert "not a regular file" in reasons[str(folder / "pipe.csv")]
    assert "not a regular file" in reasons[str(folder / "sock.csv")]
    landed = lh.storage.local_path("landing").rglob("*")
    assert not any(b"hunter2" in p.read_bytes() for p in landed if p.is_file())


def test_a_source_may_opt_in_to_outside_links_but_never_proc_or_devices(make_project, tmp_path):
    folder = _exports_with_links(tmp_path)
    lh = make_project({"sales": {"path": str(folder), "follow_outside_links": True}})

    report = land(lh, "sales")

    names = sorted(Path(entry.original_path).name for entry in report.landed)
    assert names == ["good.csv", "passwd", "secret.csv"]
    reasons = _reasons(report)
    assert "never read" in reasons[str(folder / "environ.csv")]
    assert "never read" in reasons[str(folder / "zero.csv")]


def test_looping_links_are_detected(make_project, tmp_path):
    folder = tmp_path / "exports"
    good = write_file(folder / "sub", "a.csv", "id\n1\n")
    (folder / "sub" / "back").symlink_to(folder)  # a folder holding itself
    (folder / "sub" / "again").symlink_to(folder / "sub")
    (folder / "x.csv").symlink_to(folder / "y.csv")  # two links pointing at each other
    (folder / "y.csv").symlink_to(folder / "x.csv")
    _settled(good)
    lh = make_project({"sales": {"path": str(folder)}})

    report = land(lh, "sales")

    assert [Path(entry.original_path).name for entry in report.landed] == ["a.csv"]
    assert report.duplicates == []
    reasons = _reasons(report)
    assert "loop" in reasons[str(folder / "sub" / "back")]
    assert "broken or looping" in reasons[str(folder / "x.csv")]


# --- globs ---------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/**", "/*.csv", "/", "/proc/self/*", "/dev/**"])
def test_a_glob_rooted_at_the_file_system_root_is_a_config_error(make_project, path):
    with pytest.raises(ConfigError, match="path"):
        make_project({"sales": {"path": path}})


def test_a_relative_path_reaching_the_root_is_refused_when_landing(make_project, tmp_path):
    up = "../" * (len(tmp_path.parts) + 3)
    lh = make_project({"sales": {"path": up + "**"}})

    with pytest.raises(ConfigError, match="file system root"):
        land(lh, "sales")


def test_crawling_stops_at_max_files_with_the_key_named(make_project, tmp_path):
    for number in range(30):
        write_file(tmp_path / "in" / f"d{number % 3}", f"{number}.csv", "id\n1\n")
    lh = make_project({"sales": {"path": str(tmp_path / "in" / "**" / "*.csv"), "max_files": 10}})

    with pytest.raises(LandingError, match="max_files"):
        land(lh, "sales")


def test_folders_deeper_than_max_depth_are_not_crawled(make_project, tmp_path):
    shallow = write_file(tmp_path / "in" / "a", "a.csv", "id\n1\n")
    deep = write_file(tmp_path / "in" / "a" / "b" / "c", "c.csv", "id\n2\n")
    _settled(shallow, deep)
    lh = make_project({"sales": {"path": str(tmp_path / "in"), "max_depth": 2}})

    report = land(lh, "sales")

    assert [Path(entry.original_path).name for entry in report.landed] == ["a.csv"]
    assert "max_depth" in _reasons(report)[str(tmp_path / "in" / "a" / "b" / "c")]


# --- files still being written -------------------------------------------------------------


def test_a_file_still_being_written_waits_for_the_next_run(make_project, tmp_path):
    path = write_file(tmp_path / "in", "a.csv", "id\n" + "1\n" * 1000)
    lh = make_project({"sales": {"path": str(tmp_path / "in"), "settle": "10 min"}})

    waiting = land(lh, "sales")
    path.write_text("id\n" + "1\n" * 2000)  # the writer finishes
    _settled(path)
    later = land(lh, "sales")

    assert waiting.landed == []
    assert "still being written" in _reasons(waiting)[str(path)]
    [entry] = later.landed
    assert entry.bytes == len("id\n" + "1\n" * 2000)
    assert later.not_landed == []


# --- a whole run ---------------------------------------------------------------------------


def test_a_poison_name_and_a_stuck_row_stop_no_run_and_no_other_source(make_project, tmp_path):
    from lakebox.orchestration.runner import run

    folder = tmp_path / "in"
    folder.mkdir()
    with open(os.path.join(os.fsencode(folder), b"\xff" + b"z" * 240 + b".csv"), "wb") as out:
        out.write(b"id,v\n1,x\n")
    write_file(tmp_path / "other", "b.csv", "id,v\n2,y\n")
    lh = make_project({"sales": {"path": str(folder)}, "stock": {"path": str(tmp_path / "other")}})
    lh.manifest.add(
        Entry(
            batch_id="20260101T000000000000-abcdef",
            source="sales",
            original_path="gone.csv",
            sha256="0" * 64,
            bytes=5,
            received_at=datetime(2026, 1, 1, tzinfo=UTC),
            status=Status.LANDING,
            landed_path="landing/sales/x/" + "y" * 300 + ".csv",
        )
    )
    lh.storage.local_path("landing/sales/x").mkdir(parents=True)

    first, second = run(lh), run(lh)

    assert first.error is None and second.error is None
    counts = {
        row["source"]: row["n"]
        for row in lh.query(
            "SELECT source, count(*) AS n FROM landing.manifest "
            "WHERE status = 'formatted' GROUP BY 1"
        ).to_pylist()
    }
    assert counts == {"sales": 1, "stock": 1}
    assert lh.query("SELECT count(*) AS n FROM formatted.sales").to_pylist() == [{"n": 1}]


def test_a_file_written_to_after_the_listing_is_not_landed_half_done(make_project, tmp_path):
    from lakebox.landing.sources import kind_for
    from lakebox.landing.sources.base import SourceContext

    path = write_file(tmp_path / "in", "a.csv", "id\n" + "1\n" * 1000)
    _settled(path)
    lh = make_project({"sales": {"path": str(tmp_path / "in"), "settle": "1s"}})
    kind = kind_for(SourceContext("sales", lh.source("sales"), lh))
    [candidate] = list(kind.candidates())
    with path.open("a") as writer:  # the writer goes on between the listing and the copy
        writer.write("2\n" * 1000)

    fetched = kind.fetch(candidate, tmp_path / "copy.csv")

    assert fetched.unsettled is not None and "still being written" in fetched.unsettled


def test_the_crawl_matches_as_a_glob_did(make_project, tmp_path):
    for name in ("a.csv", "b.txt", "sub/c.csv", "sub/deep/d.csv", ".hidden/e.csv", "sub/.f.csv"):
        folder, leaf = tmp_path / "in" / Path(name).parent, Path(name).name
        _settled(write_file(folder, leaf, f"id\n{name}\n"))
    lh = make_project(
        {
            "top": {"path": str(tmp_path / "in" / "*.csv")},
            "every": {"path": str(tmp_path / "in" / "**" / "*.csv")},
            "one": {"path": str(tmp_path / "in" / "sub" / "c.csv")},
        }
    )

    def landed(source: str) -> list[str]:
        return [Path(e.original_path).name for e in land(lh, source).landed]

    assert landed("top") == ["a.csv"]
    assert landed("every") == ["a.csv", "c.csv", "d.csv"]
    assert landed("one") == ["c.csv"]
