"""The reader server and its children never outlive the lakebox process that started them,
nor each other: a killed server is started again for the next file, and its running child
ends with it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from lakebox.errors import FormatError, ReaderLimitError
from lakebox.formatted import isolation

_SLEEPER = """
import sys, threading, time
from pathlib import Path
from lakebox.formatted import isolation
limits = isolation.Limits(2**30, 600)
threading.Thread(target=isolation.run, args=(time.sleep, (600,), limits, Path(sys.argv[1])),
                 daemon=True).start()
while isolation._SERVER is None:
    time.sleep(0.05)
print(isolation._SERVER.process.pid, flush=True)
time.sleep(600)
"""


def _children(pid: int, wait: float = 60.0) -> list[int]:
    """Return the pids of `pid`'s children, once it has one (within `wait` seconds)."""
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        tasks = Path(f"/proc/{pid}/task")
        found = [int(c) for t in tasks.iterdir() for c in (t / "children").read_text().split()]
        if found:
            return found
        time.sleep(0.05)
    return []


def _gone(pid: int, wait: float = 30.0) -> bool:
    """Return whether process `pid` ends (or is a zombie) within `wait` seconds."""
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (FileNotFoundError, ProcessLookupError):
            return True
        if state in ("Z", "X"):
            return True
        time.sleep(0.05)
    return False


pytestmark = pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs Linux /proc")


def test_a_killed_lakebox_process_leaves_no_reader_running(tmp_path):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    lakebox = subprocess.Popen(
        [sys.executable, "-c", _SLEEPER, str(tmp_path / "result.json")],
        stdout=subprocess.PIPE,
        env=env,
    )
    try:
        assert lakebox.stdout is not None
        server = int(lakebox.stdout.readline())
        [child] = _children(server)
    finally:
        lakebox.kill()
        lakebox.wait()

    assert _gone(child), "the reader child outlived the lakebox process"
    assert _gone(server), "the reader server outlived the lakebox process"


def test_a_killed_server_fails_its_file_and_is_started_again(tmp_path):
    failures: list[BaseException] = []

    def read() -> None:
        try:
            isolation.run(time.sleep, (600,), isolation.Limits(2**30, 600), tmp_path / "r.json")
        except ReaderLimitError as error:
            failures.append(error)

    reading = threading.Thread(target=read, daemon=True)
    reading.start()
    while isolation._SERVER is None:
        time.sleep(0.05)
    server = isolation._SERVER.process.pid
    [child] = _children(server)
    os.kill(server, signal.SIGKILL)
    reading.join(60)

    assert [str(error) for error in failures] == [
        str(failures[0])
    ] and "reader server failed" in str(failures[0])
    assert _gone(child), "the reader child outlived its server"
    isolation.run(time.sleep, (0,), isolation.Limits(2**30, 60), tmp_path / "again.json")
    assert isolation._SERVER is not None and isolation._SERVER.process.pid != server


def test_a_reader_writing_a_flood_on_stderr_fills_no_disk(tmp_path):
    result = tmp_path / "flood.json"
    flood = f"yes x | head -c {300 * 1024 * 1024} >&2"
    isolation.run(os.system, (flood,), isolation.Limits(2**34, 120), result)

    log = Path(f"{result}.log")
    assert log.exists()
    assert 0 < log.stat().st_size <= 64 * 1024
    assert log.read_bytes()[:10] == b"x\n" * 5


def test_the_memory_limit_counts_what_the_reader_allocates_not_the_servers_address_space(
    tmp_path,
):
    # the server holds the readers' libraries (1.4 GiB of address space, mostly reserved and
    # never resident); a child forked from it must still have its limit's worth to allocate
    limits = isolation.Limits(512 * 1024**2, 120)
    isolation.run(bytearray, (300 * 1024**2,), limits, tmp_path / "fits.json")

    with pytest.raises(FormatError, match=r"limits\.memory|out of memory"):
        isolation.run(bytearray, (1024**3,), limits, tmp_path / "past.json")
