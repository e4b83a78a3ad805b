"""The `files` source kind: a local folder or glob of exported files."""

from __future__ import annotations

import os
import shutil
import stat
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from lakebox.config import duration_seconds
from lakebox.errors import ConfigError, LandingError
from lakebox.landing.sources.base import Candidate, Fetched, SourceContext, register
from lakebox.landing.sources.crawl import Bounds, crawl, never_read

DEFAULT_SETTLE = "2s"
SETTLE_VARIABLE = "LAKEBOX_SETTLE"  # the default settle time, when a source sets none
_CHUNK = 4 * 1024 * 1024


class FilesSource:
    """Offers every regular file matched by the source's `path` (a folder or a glob) that has
    not changed for the source's settle time; says why it offers no other entry it met."""

    def __init__(self, context: SourceContext) -> None:
        source = context.source
        self.pattern = source.path or ""
        self.project_dir = context.lh.project_dir
        self.bounds = Bounds(source.max_files, source.max_depth, source.follow_outside_links)
        self.settle = settle_seconds(source.settle)
        self.name = context.name
        self.listed: dict[str, tuple[int, int]] = {}  # real path -> (device, inode) listed

    def candidates(self) -> Iterator[Candidate]:
        """Yield the matched files in name order; a file changed within the settle time, a
        link out of the folder or a special file is yielded with the reason it is skipped."""
        found = crawl(self.pattern, self.project_dir, self.bounds)
        now = time.time()
        for shown, real, info in found.files:
            self.listed[str(real)] = (info.st_dev, info.st_ino)
            yield Candidate(
                original_path=str(real),
                name=shown.name,
                bytes=info.st_size,
                modified_at=datetime.fromtimestamp(info.st_mtime, UTC),
                skip=_unsettled(info, now, self.settle, self.name),
            )
        for shown, reason in found.refused:
            yield Candidate(str(shown), shown.name, 0, None, skip=reason)

    def fetch(self, candidate: Candidate, target: Path) -> Fetched:
        """Copy the file into `target` (never following a link swapped in since the listing);
        a file whose size or time changed meanwhile is not landed: it is still being written.
        The file opened must be the one listed (same device and inode): a folder on its path
        swapped for a link since the listing is not followed out of the source's folder."""
        path = candidate.original_path
        try:
            before, after = _copy(Path(path), target, self.listed.get(path))
        except _Swapped as error:
            raise LandingError(
                f"{path}: not the file listed ({error}); a folder on its path was replaced "
                "since the listing, perhaps by a link out of the source's folder; not read",
                file=path,
            ) from None
        except OSError as error:
            raise LandingError(
                f"cannot read {candidate.original_path}: {error.strerror or error}",
                file=candidate.original_path,
            ) from error
        listed = (candidate.bytes, candidate.modified_at)
        if _stamp(before) != listed or _stamp(after) != listed:
            return Fetched(unsettled="changed while it was read: still being written")
        return Fetched()


register("files")(FilesSource)


def settle_seconds(value: float | str | None) -> float:
    """Return a source's settle time: its own, else LAKEBOX_SETTLE, else 2 s."""
    if value is not None:
        return duration_seconds(value)
    chosen = os.environ.get(SETTLE_VARIABLE, DEFAULT_SETTLE)
    try:
        return max(0.0, duration_seconds(chosen))
    except ValueError as error:
        raise ConfigError(
            f"environment variable {SETTLE_VARIABLE}: {error}", hint="e.g. LAKEBOX_SETTLE=2s"
        ) from error


def _unsettled(info: os.stat_result, now: float, settle: float, name: str) -> str | None:
    """Return why a file changed within the settle time is not landed yet (None: it may).
    A modification time in the future is not trusted (a writer may set it, or run on a
    clock ahead): the file's age is then taken from its status change time, which every
    write moves to the system's own clock and no writer can set."""
    changed = info.st_mtime if info.st_mtime <= now else info.st_ctime
    age = now - changed
    if 0 <= age < settle:
        return (
            f"changed {age:.1f} s ago, within the settle time of {settle:g} s "
            f"(sources.{name}.settle): still being written? it lands on a later run"
        )
    return None


class _Swapped(OSError):
    """The file opened is not the one the listing found."""


def _copy(
    path: Path, target: Path, listed: tuple[int, int] | None
) -> tuple[os.stat_result, os.stat_result]:
    """Copy a regular file, opened without following links, if it is still the file listed
    (`listed`: its device and inode); return its stat before and after."""
    if never_read(path):
        raise OSError(f"{path} is in /proc, /sys or /dev")
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    descriptor = os.open(path, flags)
    with os.fdopen(descriptor, "rb") as source:
        before = os.fstat(descriptor)
        if not stat.S_ISREG(before.st_mode):
            raise OSError(f"{path} is not a regular file")
        if listed is not None and (before.st_dev, before.st_ino) != listed:
            raise _Swapped(f"device and inode {before.st_dev}:{before.st_ino}, listed {listed}")
        with target.open("wb") as copy:
            shutil.copyfileobj(source, copy, _CHUNK)
        return before, os.fstat(descriptor)


def _stamp(info: os.stat_result) -> tuple[int, datetime]:
    return info.st_size, datetime.fromtimestamp(info.st_mtime, UTC)
