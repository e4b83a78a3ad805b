"""Hostile shapes for the `files` crawl: many `**`, a folder thousands deep, a folder with
more entries than `max_files`; swaps between the listing and the copy; awkward names."""

from __future__ import annotations

import fnmatch
import os
import resource
import time
from pathlib import Path

import pytest

from lakebox.errors import ConfigError, LandingError
from lakebox.landing.loader import land
from lakebox.landing.sources import crawl as crawl_module
from lakebox.landing.sources import kind_for
from lakebox.landing.sources.base import SourceContext
from lakebox.landing.sources.crawl import Bounds, crawl

OLD = time.time() - 3600


def _deep(top: Path, levels: int) -> Path:
    """Make `levels` nested folders `d` below `top` (by relative steps: the path stays short
    for each call) and return the deepest one."""
    here = os.getcwd()
    os.chdir(top)
    try:
        for _ in range(levels):
            os.mkdir("d")
            os.chdir("d")
        return Path(os.getcwd())
    finally:
        os.chdir(here)


class _TooMuchMatching(Exception):
    pass


def test_many_double_stars_match_in_linear_time(tmp_path, monkeypatch):
    (tmp_path / "in").mkdir()
    deepest = _deep(tmp_path / "in", 20)
    (deepest / "x.csv").write_text("a\n")
    pattern = str(tmp_path / "in") + "/" + "/".join(["**", "*"] * 8) + "/nomatch"
    calls = 0

    def counted(name: str, part: str) -> bool:  # the matching work, counted, not timed
        nonlocal calls
        calls += 1
        if calls > 100_000:
            raise _TooMuchMatching(f"{calls} name matches for 21 entries")
        return fnmatch.fnmatchcase(name, part)

    monkeypatch.setattr(crawl_module, "fnmatchcase", counted)

    found = crawl_module.crawl(pattern, tmp_path, Bounds())

    assert found.files == []
    assert calls < 21 * 16 * 21  # entries × parts × depth at most


def test_a_folder_hundreds_deep_is_crawled_without_recursion(tmp_path):
    (tmp_path / "in").mkdir()
    deepest = _deep(tmp_path / "in", 600)  # two stack frames a level used to pass 1000
    (deepest / "x.csv").write_text("a\n")
    try:
        found = crawl(str(tmp_path / "in"), tmp_path, Bounds(max_depth=5000))

        [(_, real, _)] = found.files
        assert real.name == "x.csv" and len(real.parts) > 600
    finally:
        _remove_deep(deepest, tmp_path / "in")


def _remove_deep(deepest: Path, top: Path) -> None:
    """Remove a deep chain bottom up, without recursion (tmp_path's own cleanup recurses)."""
    (deepest / "x.csv").unlink()
    here = deepest
    while here != top:
        here.rmdir()
        here = here.parent


def test_a_huge_folder_is_refused_before_it_is_listed_whole(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    for number in range(3000):
        (folder / f"{number:05d}.csv").touch()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

    with pytest.raises(LandingError, match="max_files") as raised:
        crawl(str(folder), tmp_path, Bounds(max_files=100))

    # the names past the cap were never gathered: the error comes from the listing itself
    assert any(frame.name == "_names" for frame in raised.traceback)
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 50_000


def _files_source(lh, name: str = "sales"):
    return kind_for(SourceContext(name, lh.source(name), lh, None, None))


def test_a_folder_swapped_for_a_link_after_the_listing_is_not_read(make_project, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    secret = outside / "a.csv"
    secret.write_text("secret\n")
    listed = tmp_path / "in" / "sub" / "a.csv"
    listed.parent.mkdir(parents=True)
    listed.write_text("public\n")  # the same size and time as the secret
    os.utime(secret, (OLD, OLD))
    os.utime(listed, (OLD, OLD))
    lh = make_project({"sales": {"path": str(tmp_path / "in")}})
    source = _files_source(lh)
    [candidate] = list(source.candidates())

    (tmp_path / "in" / "sub").rename(tmp_path / "old-sub")
    (tmp_path / "in" / "sub").symlink_to(outside)  # between the listing and the copy
    target = tmp_path / "copy"

    with pytest.raises(LandingError, match="not the file listed"):
        source.fetch(candidate, target)
    assert not target.exists() or b"secret" not in target.read_bytes()


def test_a_file_swapped_for_a_link_after_the_listing_is_not_read(make_project, tmp_path):
    listed = tmp_path / "in" / "a.csv"
    listed.parent.mkdir()
    listed.write_text("id\n1\n")
    os.utime(listed, (OLD, OLD))
    lh = make_project({"sales": {"path": str(tmp_path / "in")}})
    source = _files_source(lh)
    [candidate] = list(source.candidates())

    listed.unlink()
    listed.symlink_to("/etc/passwd")

    with pytest.raises(LandingError, match=str(listed)):
        source.fetch(candidate, tmp_path / "copy")
    assert not (tmp_path / "copy").exists() or b"root" not in (tmp_path / "copy").read_bytes()


# --- names ---------------------------------------------------------------------------------


def test_a_literal_percent_name_and_a_raw_byte_name_both_land(make_project, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    literal = folder / "caf%FF.csv"
    literal.write_bytes(b"id\n1\n")
    raw = os.path.join(os.fsencode(folder), b"caf\xff.csv")
    with open(raw, "wb") as handle:
        handle.write(b"id\n2\n")  # the same size and time: once, the same fingerprint
    os.utime(literal, (OLD, OLD))
    os.utime(raw, (OLD, OLD))
    lh = make_project({"sales": {"path": str(folder)}})

    report = land(lh, "sales")

    paths = sorted(entry.original_path for entry in report.landed)
    assert paths == [f"{folder}/caf%25FF.csv", f"{folder}/caf%FF.csv"]
    assert report.unchanged == 0
    assert land(lh, "sales").unchanged == 2


def test_control_characters_in_a_name_are_escaped(make_project, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    path = folder / "a\nWARNING forged\r.csv"
    path.write_text("id\n1\n")
    os.utime(path, (OLD, OLD))
    lh = make_project({"sales": {"path": str(folder)}})

    [entry] = land(lh, "sales").landed

    assert entry.original_path == f"{folder}/a%0AWARNING forged%0D.csv"
    assert entry.landed_path.endswith("__a%0AWARNING forged%0D.csv")
    assert "\n" not in entry.landed_path and "\r" not in entry.landed_path


def test_a_folder_swapped_for_a_link_during_the_crawl_is_not_crawled(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.csv").write_text("secret\n")
    sub = tmp_path / "in" / "sub"
    sub.mkdir(parents=True)
    (sub / "a.csv").write_text("id\n1\n")
    walker = crawl_module._Walker(tmp_path / "in", ("**", "*"), Bounds())
    walker.pending.append((tmp_path / "in", tmp_path / "in", (), 0, None))
    walker.folder(*walker.pending.pop())  # lists `in`: `sub` waits to be crawled

    sub.rename(tmp_path / "old-sub")
    sub.symlink_to(outside)  # between the listing of `in` and the crawl of `sub`
    while walker.pending:
        walker.folder(*walker.pending.pop())

    assert walker.found.files == []  # before: outside/secret.csv, read through the link
    [(refused, reason)] = walker.found.refused
    assert refused == tmp_path / "in" / "sub" and reason.startswith("cannot list")


def test_a_folder_gone_before_it_is_crawled_is_reported_not_raised(tmp_path):
    sub = tmp_path / "in" / "sub"
    sub.mkdir(parents=True)
    (sub / "a.csv").write_text("id\n1\n")
    walker = crawl_module._Walker(tmp_path / "in", ("**", "*"), Bounds())
    walker.pending.append((tmp_path / "in", tmp_path / "in", (), 0, None))
    walker.folder(*walker.pending.pop())

    (sub / "a.csv").unlink()
    sub.rmdir()  # an exporter rotating its folders
    while walker.pending:
        walker.folder(*walker.pending.pop())

    assert walker.found.refused == [(sub, "cannot list: No such file or directory")]


# --- files still being written -------------------------------------------------------------


def test_a_future_modification_time_does_not_make_a_file_settled(make_project, tmp_path):
    path = tmp_path / "in" / "a.csv"
    path.parent.mkdir()
    path.write_text("id\n" + "1\n" * 1000)  # half written, by a writer whose clock is ahead
    ahead = time.time() + 86_400
    os.utime(path, (ahead, ahead))
    lh = make_project({"sales": {"path": str(tmp_path / "in"), "settle": "10 min"}})

    report = land(lh, "sales")

    assert report.landed == []  # before: landed at once, half done
    [item] = report.not_landed
    assert item.object == str(path) and "still being written" in item.reason


def test_an_old_future_modification_time_is_settled_by_its_status_change(make_project, tmp_path):
    path = tmp_path / "in" / "a.csv"
    path.parent.mkdir()
    path.write_text("id\n1\n")
    ahead = time.time() + 86_400
    os.utime(path, (ahead, ahead))
    lh = make_project({"sales": {"path": str(tmp_path / "in"), "settle": "0.2s"}})
    time.sleep(0.3)  # the status change time ages past the settle time

    [entry] = land(lh, "sales").landed

    assert entry.original_path == str(path)


# --- paths ---------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["//**", "/../**", "/tmp/../*.csv", "/tmp/../proc/*", "//dev/*"])
def test_a_path_reaching_the_root_or_proc_by_dots_or_slashes_is_a_config_error(make_project, path):
    with pytest.raises(ConfigError, match="path"):
        make_project({"sales": {"path": path}})


def test_a_path_naming_one_file_outside_the_project_is_allowed(make_project, tmp_path):
    path = tmp_path / "elsewhere" / "a.csv"  # as `/srv/exports/a.csv`: the owner's choice
    path.parent.mkdir()
    path.write_text("id\n1\n")
    lh = make_project({"sales": {"path": str(path)}})

    [entry] = land(lh, "sales").landed

    assert entry.original_path == str(path)
