"""The crawl of a `files` source's folder: which files its `path` matches, bounded.

The folder is walked by hand, not by `glob`, so that every step is checked: a link that leaves
the source's folder is not followed unless the source opts in (`follow_outside_links`),
nothing under /proc, /sys or /dev is ever read, only regular files are offered (not FIFOs,
sockets or devices), a folder reached twice (a looping link) is walked once, and the walk
stops at `max_depth` folders deep and after looking at `max_files` entries.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path

from lakebox.errors import ConfigError, LandingError

NEVER_READ = (Path("/proc"), Path("/sys"), Path("/dev"))
_NEVER_READ_TEXT = tuple(str(top) for top in NEVER_READ)
_FOLDER_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
_MAGIC = frozenset("*?[")


@dataclass(frozen=True)
class Bounds:
    """How far a crawl may go."""

    max_files: int = 100_000  # entries (files and folders) looked at
    max_depth: int = 20  # folders below the source's folder
    outside_links: bool = False  # follow links that leave the source's folder


@dataclass
class Crawl:
    """What a crawl found: the matched files (the path as listed, its real path, its stat),
    and the entries it would not read, each with the reason."""

    files: list[tuple[Path, Path, os.stat_result]] = field(default_factory=list)
    refused: list[tuple[Path, str]] = field(default_factory=list)


def crawl(pattern: str, project_dir: Path, bounds: Bounds) -> Crawl:
    """Return the regular files matched by `pattern` (a folder, a file or a glob; relative
    to `project_dir`), in name order, and the entries refused on the way."""
    base, parts = split(pattern, project_dir)
    root = Path(os.path.realpath(base if parts else base.parent))
    refuse_root(root, pattern)
    walker = _Walker(root, parts, bounds)
    if not parts:  # one named file
        if base.exists() or base.is_symlink():
            walker.entry(base, (), 0)
    elif root.is_dir():
        walker.walk(base, root)
    walker.found.files.sort(key=lambda item: str(item[0]))
    return walker.found


def split(pattern: str, project_dir: Path) -> tuple[Path, tuple[str, ...]]:
    """Return the folder a pattern starts from (its parts before the first wildcard) and the
    parts left to match below it (a folder matches every file below it); a pattern naming
    one file returns that file and no parts."""
    path = Path(pattern).expanduser()
    path = path if path.is_absolute() else project_dir / path
    parts = _collapse(path.parts)
    fixed = next((i for i, part in enumerate(parts) if _MAGIC & set(part)), len(parts))
    base = Path(*parts[:fixed])
    if fixed == len(parts):
        return base, ("**", "*") if base.is_dir() else ()
    return base, tuple(parts[fixed:])


def refuse_root(root: Path, pattern: str) -> None:
    """Raise ConfigError if a source's folder is the file system root or lies in /proc,
    /sys or /dev."""
    if root == Path(root.anchor):
        raise ConfigError(
            f"files source path {pattern!r} starts at the file system root {root}",
            hint="point 'path' at the folder holding the exports, e.g. path: exports/*.csv",
        )
    if never_read(root):
        raise ConfigError(
            f"files source path {pattern!r} lies in {root}: lakebox never reads /proc, /sys "
            "or /dev",
            hint="point 'path' at the folder holding the exports",
        )


def never_read(path: Path) -> bool:
    """Return whether `path` (a real path) is in /proc, /sys or /dev."""
    text = str(path)  # compared as text: it runs once per file landed, pathlib is slow
    return any(text == top or text.startswith(f"{top}/") for top in _NEVER_READ_TEXT)


class _Walker:
    def __init__(self, root: Path, parts: tuple[str, ...], bounds: Bounds) -> None:
        self.root, self.parts, self.bounds = root, parts, bounds
        self.found = Crawl()
        self.looked = 0
        self.seen_folders: set[tuple[int, int]] = set()
        self.seen_files: set[Path] = set()
        self.pending: list[tuple[Path, Path, tuple[str, ...], int, tuple[int, int] | None]] = []

    def walk(self, shown: Path, real: Path) -> None:
        """Crawl the folder and every folder below it that may hold a match, without
        recursion (a folder thousands deep must not exhaust Python's stack)."""
        self.pending.append((shown, real, (), 0, None))
        while self.pending:
            self.folder(*self.pending.pop())

    def folder(
        self,
        shown: Path,
        real: Path,
        names: tuple[str, ...],
        depth: int,
        expected: tuple[int, int] | None,
    ) -> None:
        """Crawl one folder, opened without following a link and checked to be the folder
        listed (`expected`: its device and inode); its entries are looked at through it."""
        try:
            handle = os.open(real, _FOLDER_FLAGS)
        except OSError as error:
            self.found.refused.append((shown, f"cannot list: {error.strerror}"))
            return
        try:
            self._folder(shown, real, names, depth, expected, handle)
        finally:
            os.close(handle)

    def _folder(
        self,
        shown: Path,
        real: Path,
        names: tuple[str, ...],
        depth: int,
        expected: tuple[int, int] | None,
        handle: int,
    ) -> None:
        info = os.fstat(handle)
        key = (info.st_dev, info.st_ino)
        if expected is not None and key != expected:
            self.found.refused.append((shown, "replaced while it was crawled; not crawled"))
            return
        if key in self.seen_folders:
            self.found.refused.append((shown, "a link loop: this folder was crawled already"))
            return
        self.seen_folders.add(key)
        if depth > self.bounds.max_depth:
            self.found.refused.append(
                (shown, f"deeper than {self.bounds.max_depth} folders (max_depth); not crawled")
            )
            return
        try:
            with os.scandir(handle) as listing:
                entries = sorted(self._names(listing))
        except OSError as error:
            self.found.refused.append((shown, f"cannot list: {error.strerror}"))
            return
        for name in entries:
            if not name.startswith((".", "~$")):
                self.entry(shown / name, (*names, name), depth, (real, handle))

    def _names(self, listing: Iterator[os.DirEntry[str]]) -> Iterator[str]:
        """Yield a folder's names, at most as many as `max_files` leaves to look at: a folder
        of millions of entries is never held in memory whole."""
        room = self.bounds.max_files - self.looked
        for count, entry in enumerate(listing):
            if count > room:
                self._too_many()
            yield entry.name

    def _too_many(self) -> None:
        raise LandingError(
            f"{self.root}: the listing looked at more than {self.bounds.max_files} files "
            "and folders (max_files)",
            hint="narrow the source's 'path', or raise its 'max_files'",
            file=str(self.root),
        )

    def entry(
        self,
        shown: Path,
        names: tuple[str, ...],
        depth: int,
        parent: tuple[Path, int] | None = None,
    ) -> None:
        """Look at one entry below the folder (`parent`: the real path of its folder and the
        folder opened; an entry that is not a link is looked at through it, so a folder on
        its path swapped for a link meanwhile is not followed)."""
        self.looked += 1
        if self.looked > self.bounds.max_files:
            self._too_many()
        wanted, below = _matches(self.parts, names), _may_hold(self.parts, names)
        if not (wanted or below):
            return
        found = self._look(shown, parent)
        if found is None:
            return
        real, info = found
        if stat.S_ISDIR(info.st_mode):
            if below:
                self.pending.append((shown, real, names, depth + 1, (info.st_dev, info.st_ino)))
        elif not wanted:
            return
        elif not stat.S_ISREG(info.st_mode):
            self.found.refused.append((shown, "not a regular file (a FIFO, socket or device)"))
        elif real not in self.seen_files:
            self.seen_files.add(real)
            self.found.files.append((shown, real, info))

    def _look(
        self, shown: Path, parent: tuple[Path, int] | None
    ) -> tuple[Path, os.stat_result] | None:
        """Return an entry's real path and its stat (of what a link points to), or None if
        it is not read (the reason recorded)."""
        try:
            if parent is not None:
                info = os.stat(shown.name, dir_fd=parent[1], follow_symlinks=False)
                if not stat.S_ISLNK(info.st_mode):
                    return parent[0] / shown.name, info
            real = self._real(shown)
            return None if real is None else (real, os.stat(real))
        except OSError as error:
            self.found.refused.append((shown, f"cannot read: {error.strerror}"))
            return None

    def _real(self, shown: Path) -> Path | None:
        try:
            real = Path(os.path.realpath(shown, strict=True))
        except OSError:
            self.found.refused.append((shown, "a broken or looping link"))
            return None
        if never_read(real):
            self.found.refused.append((shown, f"points into {real}: lakebox never reads it"))
            return None
        inside = real == self.root or self.root in real.parents
        if not inside and not self.bounds.outside_links:
            self.found.refused.append(
                (
                    shown,
                    f"a link to {real}, which leaves the source folder {self.root}; set "
                    "'follow_outside_links: true' on the source to read it",
                )
            )
            return None
        return real


def _collapse(parts: tuple[str, ...]) -> tuple[str, ...]:
    """Return glob parts with each run of `**` made one (`**/**` matches what `**` does)."""
    return tuple(
        part for i, part in enumerate(parts) if not (part == "**" and i and parts[i - 1] == "**")
    )


def _matches(parts: tuple[str, ...], names: tuple[str, ...]) -> bool:
    """Return whether a path below the folder (`names`) matches the glob `parts`; each `**`
    matches any number of folders. Time grows with len(parts) × len(names), never
    exponentially with the number of `**`."""
    # reach[j]: the first i parts can match the first j names
    reach = [True] + [False] * len(names)
    for part in parts:
        if part == "**":
            for j in range(1, len(names) + 1):
                reach[j] = reach[j] or reach[j - 1]
        else:
            reach = [False] + [reach[j] and fnmatchcase(names[j], part) for j in range(len(names))]
    return reach[len(names)]


def _may_hold(parts: tuple[str, ...], names: tuple[str, ...]) -> bool:
    """Return whether the folder `names` may hold a match of `parts` (a folder is crawled
    only then: some part of the pattern is left to match inside it)."""
    if not names:
        return bool(parts)
    if not parts:
        return False
    if parts[0] == "**":
        return True
    return fnmatchcase(names[0], parts[0]) and _may_hold(parts[1:], names[1:])
