"""Which partitions a worker runs: a file lock per partition in the stream's state folder,
held while the worker owns it, so two workers on one machine never run the same partition
and `lakebox stream status` can tell whether a worker runs."""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from lakebox.errors import StreamError


class PartitionLock:
    """The lock of one partition of one stream, taken at once or refused."""

    def __init__(self, folder: Path, partition: int) -> None:
        self.path = folder / f"worker-p{partition}.lock"
        self._handle: IO[str] | None = open(self.path, "w")  # noqa: SIM115 - held until release
        try:
            fcntl.flock(self._handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._handle.close()
            self._handle = None
            raise StreamError(
                f"partition {partition} of {folder.name!r} is run by another worker",
                hint="stop the other 'lakebox stream run' (or 'lakebox serve') first",
            ) from None

    def release(self) -> None:
        """Let another worker run the partition."""
        if self._handle is not None:
            fcntl.flock(self._handle, fcntl.LOCK_UN)
            self._handle.close()
            self._handle = None


@contextmanager
def committing(folder: Path) -> Iterator[None]:
    """Hold the stream's commit lock: the workers of one stream (on one machine) commit to
    its window tables one at a time, so their commits never conflict."""
    with open(folder / "commit.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def running(folder: Path) -> list[int]:
    """Return the partitions of the stream in `folder` that a worker holds now."""
    held = []
    for path in sorted(folder.glob("worker-p*.lock")) if folder.exists() else []:
        with open(path, "w") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                held.append(int(path.stem.removeprefix("worker-p")))
            else:
                fcntl.flock(handle, fcntl.LOCK_UN)
    return held
