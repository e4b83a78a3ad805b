"""`PipelineLock`: one run of a pipeline at a time, across processes (an exclusive flock)."""

from __future__ import annotations

import fcntl
import json
import os
import threading
import time
from pathlib import Path

from lakebox.errors import RunLocked
from lakebox.ground.clock import now
from lakebox.lakehouse import Lakehouse

LOCKS_FOLDER = Path(".lakebox") / "locks"
_POLL_SECONDS = 0.1
# The lock files each thread of this process holds: taking one again would wait forever.
HELD: set[tuple[Path, int]] = set()


class PipelineLock:
    """Hold the lock of `pipeline` while in a `with` block; `wait` is True (until free), False
    (raise `RunLocked` at once) or the most seconds to wait before raising it."""

    def __init__(self, lh: Lakehouse, pipeline: str, wait: bool | float = False) -> None:
        self.pipeline = pipeline
        self.path = lh.project_dir / LOCKS_FOLDER / f"{pipeline}.lock"
        self.wait = wait
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the lock, waiting as `wait` allows; raise `RunLocked` naming its holder."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        deadline = None if self.wait is True else time.monotonic() + float(self.wait)
        while not _try_lock(fd):
            if deadline is not None and time.monotonic() >= deadline:
                holder = _holder(fd)
                os.close(fd)
                raise self._locked(holder)
            time.sleep(_POLL_SECONDS)
        _write_holder(fd)
        self._fd = fd
        HELD.add((self.path, threading.get_ident()))

    def release(self) -> None:
        """Give the lock up (the file stays, emptied, for the next run)."""
        if self._fd is None:
            return
        os.ftruncate(self._fd, 0)
        fcntl.flock(self._fd, fcntl.LOCK_UN)
        os.close(self._fd)
        self._fd = None
        HELD.discard((self.path, threading.get_ident()))

    @property
    def held_here(self) -> bool:
        """Whether this thread already holds the lock (the run doing this work)."""
        return (self.path, threading.get_ident()) in HELD

    def __enter__(self) -> PipelineLock:
        self.acquire()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.release()

    def _locked(self, holder: dict) -> RunLocked:
        since = holder.get("started_at", "an unknown time")
        pid = holder.get("pid", "unknown")
        return RunLocked(
            f"pipeline {self.pipeline!r} is already running (process {pid}, since {since})",
            hint="wait for it with --wait SECONDS, or try again later",
            pipeline=self.pipeline,
            pid=pid,
            lock_file=str(self.path),
        )


def _try_lock(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _write_holder(fd: int) -> None:
    """Write this process's id and start time into the lock file, for whoever waits on it."""
    holder = json.dumps({"pid": os.getpid(), "started_at": now().isoformat(timespec="seconds")})
    os.ftruncate(fd, 0)
    os.pwrite(fd, holder.encode(), 0)


def _holder(fd: int) -> dict:
    """Return what the holder wrote, or {} if it has not written yet."""
    try:
        return json.loads(os.pread(fd, 4096, 0) or b"{}")
    except ValueError:
        return {}
