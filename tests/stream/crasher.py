"""Runs a stream's worker over its write-ahead log and kills itself with SIGKILL at a chosen
point of a flush: `python -m tests.stream.crasher PROJECT POINT EVENTS_PER_FLUSH`.

The worker is the real one; the script only decides when it flushes (every
EVENTS_PER_FLUSH events, so the crash point is reached whatever the machine's speed) and
wraps one function so the process dies just before (or after) it, as it would from the OOM
killer or a power cut. Exit code 3: the point was never reached.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

import lakebox
from lakebox.catalog.manifest import Manifest, Status
from lakebox.stream import checkpoint, flusher
from lakebox.stream.intakes.logged import LoggedIntake
from lakebox.stream.worker import Worker
from tests.orchestration.crasher import before, nth_call
from tests.stream.projects import NAME

SECOND_FLUSH = 2


def landed_status(count: int) -> Callable[..., bool]:
    """The `count`-th manifest update marking a flush's object landed."""
    nth = nth_call(count)
    return lambda self, batch, **changes: changes.get("status") == Status.LANDED and nth()


POINTS: dict[str, Callable[[], None]] = {
    # the interval's events landed and the windows committed, the checkpoint not written
    "before-checkpoint": lambda: before(checkpoint, "store", nth_call(SECOND_FLUSH)),
    # the events landed, no window of the flush committed yet
    "before-windows": lambda: before(flusher, "commit_windows", nth_call(4)),
    # the object in storage, the manifest still saying it is being landed
    "before-landed": lambda: before(Manifest, "update", landed_status(SECOND_FLUSH)),
    # the checkpoint written, the log not truncated yet
    "before-truncation": lambda: before(LoggedIntake, "commit", nth_call(SECOND_FLUSH)),
}


def main() -> None:
    project, point, per_flush = sys.argv[1], sys.argv[2], int(sys.argv[3])
    POINTS[point]()
    with lakebox.open(project) as lh:
        runner = Worker(lh, NAME, LoggedIntake(lh, NAME))
        runner.intake.start(runner)
        while records := runner.intake.poll(per_flush, 0.05):
            runner.handle(records)
            runner.flush()
        runner.close()
    sys.exit(3)


if __name__ == "__main__":
    main()
