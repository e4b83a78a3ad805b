"""Hostile shapes for the `files` crawl: many `**`, a folder thousands deep, a folder with
more entries than `max_files`; swaps between the listing and the copy; awkward names."""

from __future__ import annotations

import fnmatch
import os
import resource
import time
from pathlib import Path

import pytest

from lakebox.errors import LandingError
from lakebox.landing.sources import crawl as crawl_module
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


def test_a_folder_a_thousand_deep_is_crawled_without_recursion(tmp_path):
    (tmp_path / "in").mkdir()
    deepest = _deep(tmp_path / "in", 1000)
    (deepest / "x.csv").write_text("a\n")

    found = crawl(str(tmp_path / "in"), tmp_path, Bounds(max_depth=5000))

    [(_, real, _)] = found.files
    assert real.name == "x.csv" and len(real.parts) > 1000


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
