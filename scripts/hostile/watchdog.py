"""Run one command under a time, memory and disk watchdog, and say how it ended.

The command runs in a process group of its own. Every `poll` seconds the watchdog sums the
resident memory (RSS) and the bytes written of the whole process tree; past a cap, or past the
time limit, it kills the group (and any descendant that left it) with SIGKILL. An optional
RLIMIT_AS is set in the child too, but it is off by default: DuckDB reserves far more address
space than it touches and aborts under a tight one, so RSS is what is capped.
"""

from __future__ import annotations

import contextlib
import os
import resource
import signal
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import psutil

MB = 1024 * 1024
# The most of each stream kept for the report: a crash's traceback fits, a runaway output does not.
OUTPUT_KEPT = 4 * MB


@dataclass(frozen=True)
class Limits:
    """The caps one command runs under."""

    seconds: float = 60.0
    rss_bytes: int = 2048 * MB
    written_bytes: int = 2048 * MB
    address_space: int | None = None
    poll: float = 0.1


@dataclass(frozen=True)
class Watched:
    """How a watched command ended: its status, output, peak memory and time."""

    argv: tuple[str, ...]
    returncode: int | None
    stdout: str
    stderr: str
    peak_rss: int
    written: int
    seconds: float
    breach: str | None = None  # "TIMEOUT", "OOM" or "DISK" when the watchdog killed it
    cpu_seconds: float = 0.0  # as last polled: a timeout with little CPU waited (or was starved)

    @property
    def signal_name(self) -> str | None:
        """Return the signal that ended the command (SIGSEGV, SIGABRT, ...), if one did."""
        code = self.returncode
        if code is None or self.breach is not None:
            return None
        number = -code if code < 0 else code - 128 if code in (134, 137, 139) else 0
        return signal.Signals(number).name if number else None


class Tree:
    """The watched process and its descendants, measured together."""

    def __init__(self, pid: int) -> None:
        self.root = psutil.Process(pid)
        self.seen: dict[int, psutil.Process] = {pid: self.root}
        self.written: dict[int, int] = {}
        self.cpu: dict[int, float] = {}

    def processes(self) -> list[psutil.Process]:
        """Return the live processes of the tree, remembering every one seen."""
        try:
            for child in self.root.children(recursive=True):
                self.seen.setdefault(child.pid, child)
        except psutil.Error:
            pass
        return [proc for proc in self.seen.values() if _alive(proc)]

    def measure(self) -> tuple[int, int]:
        """Return the tree's summed RSS now and the bytes it has written so far."""
        rss = 0
        for proc in self.processes():
            try:
                rss += proc.memory_info().rss
                self.written[proc.pid] = proc.io_counters().write_bytes
                times = proc.cpu_times()
                self.cpu[proc.pid] = times.user + times.system
            except (psutil.Error, AttributeError):
                continue
        return rss, sum(self.written.values())

    def kill(self) -> None:
        """Kill the process group and every descendant, even one in a session of its own.

        The group is stopped first, so that no process can start another between the last
        look at the tree and the kill."""
        with contextlib.suppress(OSError):
            os.killpg(self.root.pid, signal.SIGSTOP)
        processes = self.processes()
        with contextlib.suppress(OSError):
            os.killpg(self.root.pid, signal.SIGKILL)
        for proc in processes:
            with contextlib.suppress(psutil.Error):
                proc.kill()
        # Gone (or a zombie) before the next case; the root is left to `watch` to reap.
        psutil.wait_procs([proc for proc in processes if proc.pid != self.root.pid], timeout=10)


def _alive(proc: psutil.Process) -> bool:
    try:
        return proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def _limit_address_space(limit: int | None) -> Callable[[], None] | None:
    if limit is None:
        return None

    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    return apply


def _breach(limits: Limits, elapsed: float, rss: int, written: int) -> str | None:
    if elapsed > limits.seconds:
        return "TIMEOUT"
    if rss > limits.rss_bytes:
        return "OOM"
    if written > limits.written_bytes:
        return "DISK"
    return None


def _read_kept(path: Path) -> str:
    with path.open("rb") as stream:
        head = stream.read(OUTPUT_KEPT)
    return head.decode("utf-8", errors="replace")


def watch(
    argv: Sequence[str],
    limits: Limits,
    *,
    cwd: Path,
    env: dict[str, str] | None = None,
    scratch: Path | None = None,
) -> Watched:
    """Run `argv` in `cwd` under `limits` and return how it ended; never raises on a breach."""
    scratch = scratch or cwd
    out_path, err_path = scratch / ".watch-stdout", scratch / ".watch-stderr"
    with out_path.open("wb") as out, err_path.open("wb") as err:
        started = time.monotonic()
        process = subprocess.Popen(
            list(argv),
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
            start_new_session=True,
            preexec_fn=_limit_address_space(limits.address_space),
        )
        tree = Tree(process.pid)
        peak, written, breach = _poll(process, tree, limits, started)
        seconds = time.monotonic() - started
    return Watched(
        argv=tuple(argv),
        returncode=process.returncode,
        stdout=_read_kept(out_path),
        stderr=_read_kept(err_path),
        peak_rss=peak,
        written=written,
        seconds=seconds,
        breach=breach,
        cpu_seconds=sum(tree.cpu.values()),
    )


def _reap(process: subprocess.Popen[bytes]) -> int | None:
    """Reap the command if it ended; return the peak RSS the kernel counted for it, in bytes."""
    pid, status, usage = os.wait4(process.pid, os.WNOHANG)
    if pid == 0:
        return None
    process.returncode = os.waitstatus_to_exitcode(status)
    return usage.ru_maxrss * 1024


def _poll(
    process: subprocess.Popen[bytes], tree: Tree, limits: Limits, started: float
) -> tuple[int, int, str | None]:
    """Measure the tree until the command ends or breaches; return peak RSS, written, breach."""
    peak = written = 0
    while (kernel_peak := _reap(process)) is None:
        rss, written = tree.measure()
        peak = max(peak, rss)
        breach = _breach(limits, time.monotonic() - started, rss, written)
        if breach is not None:
            tree.kill()
            process.wait()
            return peak, written, breach
        time.sleep(limits.poll)
    tree.kill()  # a daemon the command left behind must not outlive the case
    return max(peak, kernel_peak), written, None
