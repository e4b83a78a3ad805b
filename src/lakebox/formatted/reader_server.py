"""The reader server: a small process that forks one child per untrusted file to read.

Started once per lakebox process (`python -m lakebox.formatted.reader_server`, by
`isolation`), it imports the readers, then serves requests from its stdin: each is a pickled
`(task, args, memory, result)`; it forks a child that limits its address space to `memory`
bytes, runs `task(*args)` and writes how it went to the JSON file `result` (its stdout and
stderr go to `result + ".log"`). The server itself is single-threaded, so forking it is safe,
and a child starts with every module loaded. It answers on stdout, one line each:
`started <pid>`, then `ended <exit code>` (negative: the signal that ended the child).
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import resource
import sys
import traceback
from collections.abc import Callable
from pickle import loads
from typing import BinaryIO

from lakebox.errors import LakeboxError

PRELOAD = ("lakebox.formatted.readers.excel",)
HEADER = 8  # bytes of a request's length


def main() -> None:
    """Serve requests until stdin closes (the lakebox process that started it ended)."""
    for name in PRELOAD:
        importlib.import_module(name)
    _warm_up()
    requests, replies = sys.stdin.buffer, sys.stdout.buffer
    while header := _read_exact(requests, HEADER):
        task, args, memory, result = loads(_read_exact(requests, int.from_bytes(header, "big")))
        pid = os.fork()
        if pid == 0:
            _child(task, args, memory, result)
        _reply(replies, f"started {pid}")
        _, status = os.waitpid(pid, 0)
        _reply(replies, f"ended {os.waitstatus_to_exitcode(status)}")


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


def _child(task: Callable[..., None], args: tuple[object, ...], memory: int, result: str) -> None:
    """The forked child's body; it never returns."""
    code = 70
    try:
        log = os.open(result + ".log", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(log, 1)
        os.dup2(log, 2)
        _limit_memory(memory)
        outcome = run_task(task, args, memory)
        with open(result, "w", encoding="utf-8") as handle:
            json.dump(outcome, handle)
        code = 0
    finally:
        os._exit(code)


def _limit_memory(memory: int) -> None:
    """Cap the child's address space at `memory` bytes (never above a hard limit set on
    lakebox itself; a system that enforces none, as macOS, leaves only the time limit)."""
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    cap = memory if hard == resource.RLIM_INFINITY else min(memory, hard)
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_AS, (cap, hard))


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
