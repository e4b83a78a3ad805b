"""Lands a `files` source and kills itself with SIGKILL at a chosen point of bulk landing.

Used by the bulk landing crash tests: `python -m tests.landing.land_crasher PROJECT POINT`.
Nothing is mocked: the real loader runs (in chunks of CHUNK_FILES files, so that a crash
can fall in a later chunk) until the point, then the process dies as from a power cut.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

import lakebox
from lakebox.catalog.manifest import Manifest
from lakebox.landing import bulk
from lakebox.landing.loader import land
from lakebox.storage.filesystem import Storage
from tests.orchestration.crasher import after, before, nth_call

CHUNK_FILES = 4

POINTS: dict[str, Callable[[], None]] = {
    "staged-not-recorded": lambda: before(Manifest, "add_many", nth_call(1)),
    "recorded-not-moved": lambda: after(Manifest, "add_many", nth_call(1)),
    "part-moved": lambda: after(Storage, "put", nth_call(2)),
    "moved-not-settled": lambda: before(Manifest, "settle_landing", nth_call(1)),
    "second-chunk-part-moved": lambda: after(Storage, "put", nth_call(5)),
    "second-chunk-not-settled": lambda: before(Manifest, "settle_landing", nth_call(2)),
}


def main() -> None:
    project, point = sys.argv[1], sys.argv[2]
    bulk.CHUNK_FILES = CHUNK_FILES
    POINTS[point]()
    with lakebox.open(project) as lh:
        land(lh, "sales")
    sys.exit(3)  # the point was never reached


if __name__ == "__main__":
    main()
