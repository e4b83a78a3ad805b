"""The reader server: a small process that forks one child per untrusted file to read.

Started once per lakebox process (`python -m lakebox.formatted.reader_server`, by
`isolation`), it imports the readers, then serves requests from its stdin: each is a pickled
`(task, args, memory, result)`; it forks a child that limits its address space to `memory`
bytes, runs `task(*args)` and writes how it went to the JSON file `result` (the first
LOG_BYTES of its stdout and stderr go to `result + ".log"`). The server itself is
single-threaded, so forking it is safe, and a child starts with every module loaded. It
answers on stdout, one line each: `started <pid>`, then `ended <exit code>` (negative: the
signal that ended the child).
"""

from __future__ import annotations

import contextlib
import ctypes
import importlib
import json
import os
import resource
import select
import signal
import sys
import traceback
from collections.abc import Callable
from pickle import loads
from typing import BinaryIO

from lakebox.errors import LakeboxError

PRELOAD = ("lakebox.formatted.readers.excel",)
HEADER = 8  # bytes of a request's length
_POLL = 0.05  # seconds between looks at a running child
LOG_BYTES = 64 * 1024  # what is kept of a child's stdout and stderr
_PIPE_READ = 1024 * 1024
_PR_SET_PDEATHSIG = 1  # prctl(2): the signal a process gets when its parent ends


def main() -> None:
    """Serve requests until stdin closes (the lakebox process that started it ended)."""
    for name in PRELOAD:
        importlib.import_module(name)
    _warm_up()
    requests, replies = sys.stdin.buffer, sys.stdout.buffer
    server = os.getpid()
    while header := _read_exact(requests, HEADER):
        task, args, memory, result = loads(_read_exact(requests, int.from_bytes(header, "big")))
        said, told = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(said)
            _child(task, args, memory, result, (server, told))
        os.close(told)
        _reply(replies, f"started {pid}")
        words = bytearray()
        status = _wait(pid, requests, said, words)
        os.close(said)
        with open(result + ".log", "wb") as log:
            log.write(words)
        if status is None:  # the lakebox process ended while its child read: so do they
            return
        _reply(replies, f"ended {os.waitstatus_to_exitcode(status)}")


def _wait(pid: int, requests: BinaryIO, said: int, words: bytearray) -> int | None:
    """Return the wait status of child `pid`, keeping the first LOG_BYTES of what it writes
    on the pipe `said` in `words` (the rest is read and dropped: a child that writes
    gigabytes fills neither a disk nor a pipe); or, if stdin closes first (the lakebox process
    that sent the request ended, killed maybe, and will never stop the child at its time
    limit), kill the child and return None. Nothing else comes on stdin while a child runs."""
    watched: list[object] = [requests, said]
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            _drain(said, words)
            return status
        ready = select.select(watched, [], [], _POLL)[0]
        if requests in ready:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            return None
        if said in ready and not _keep(os.read(said, _PIPE_READ), words):
            watched.remove(said)  # the child closed its end: nothing more will come


def _keep(chunk: bytes, words: bytearray) -> bool:
    """Keep what of `chunk` fits in LOG_BYTES; return whether there was any."""
    words += chunk[: max(LOG_BYTES - len(words), 0)]
    return bool(chunk)


def _drain(said: int, words: bytearray) -> None:
    """Read what the ended child left in the pipe (without waiting on a writer it left)."""
    os.set_blocking(said, False)
    with contextlib.suppress(BlockingIOError):
        while _keep(os.read(said, _PIPE_READ), words):
            pass


def _warm_up() -> None:
    """Do once what the readers' first call does lazily (pyarrow imports pandas when it
    first builds an array), so no child pays for it."""
    import pyarrow as pa

    pa.table({"warm": pa.array(["up"], pa.string())})


def _read_exact(stream: BinaryIO, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = stream.read(size - len(data))
        if not chunk:
            return b""
        data += chunk
    return data


def _reply(replies: BinaryIO, line: str) -> None:
    replies.write(line.encode() + b"\n")
    replies.flush()


def _child(
    task: Callable[..., None],
    args: tuple[object, ...],
    memory: int,
    result: str,
    parent: tuple[int, int],
) -> None:
    """The forked child's body; `parent`: the server's pid and the pipe that takes the
    child's stdout and stderr. It never returns."""
    code = 70
    try:
        server, told = parent
        _end_with_server(server)
        os.dup2(told, 1)
        os.dup2(told, 2)
        os.close(told)
        _limit_memory(memory)
        outcome = run_task(task, args, memory)
        with open(result, "w", encoding="utf-8") as handle:
            json.dump(outcome, handle)
        code = 0
    finally:
        os._exit(code)


def _end_with_server(server: int) -> None:
    """Have the child killed when the server ends (Linux), so killing the server never
    leaves a reader running without its time limit."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != server:  # the server ended before the call
        os._exit(70)


def _limit_memory(memory: int) -> None:
    """Cap what the child's address space may grow by at `memory` bytes past what it was
    forked with (the server's libraries: over 1 GiB, mostly reserved and shared, which a
    cap of the whole would count against the reader), never above a hard limit set on
    lakebox itself; a system that enforces none, as macOS, leaves only the time limit."""
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    cap = memory + _address_space()
    cap = cap if hard == resource.RLIM_INFINITY else min(cap, hard)
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_AS, (cap, hard))


def _address_space() -> int:
    """Return the bytes of this process's address space (0 where /proc does not tell)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            sizes = [line.split()[1] for line in status if line.startswith("VmSize:")]
    except OSError:
        return 0
    return int(sizes[0]) * 1024 if sizes else 0


def run_task(task: Callable[..., None], args: tuple[object, ...], memory: int) -> dict[str, str]:
    """Run `task(*args)`; return its error (and hint), if it raised one."""
    try:
        task(*args)
    except LakeboxError as error:
        return {"error": error.message, "hint": error.hint or ""}
    except MemoryError:
        return {"error": f"the reader ran out of memory ({memory / 1024**2:,.0f} MiB)"}
    except RecursionError:
        return {"error": "the file is nested too deeply to read"}
    except BaseException as error:  # a parser's own errors (pyo3 panics are BaseExceptions)
        last = traceback.extract_tb(error.__traceback__)[-1:]
        where = f" in {last[0].name}" if last else ""
        return {"error": f"unreadable file: {type(error).__name__}{where}: {error}"[:2000]}
    return {}


if __name__ == "__main__":
    main()
