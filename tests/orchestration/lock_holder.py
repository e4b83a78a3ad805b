"""Holds a project's pipeline lock until a line arrives on stdin.

Used by the lock tests: `python -m tests.orchestration.lock_holder PROJECT`. It prints
`locked` once it holds the lock, so the test knows when to start the contender.
"""

from __future__ import annotations

import sys

import lakebox
from lakebox.orchestration.lock import PipelineLock

if __name__ == "__main__":
    with lakebox.open(sys.argv[1]) as lh, PipelineLock(lh, "default"):
        print("locked", flush=True)
        sys.stdin.readline()
