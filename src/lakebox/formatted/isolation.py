"""A reader of untrusted bytes run in a child process held to a memory and a time limit.

A hostile file can crash a native parser (an abort, a segfault) or make it allocate without
bound; in a child process that only ends the child, and the file fails with the reason. The
children are forked by the reader server (`reader_server`), started once and holding the
readers imported already, so a child costs milliseconds, not an interpreter's start-up.
"""

from __future__ import annotations

import json
import os
import pickle
import re
import select
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from lakebox.errors import FormatError, ReaderLimitError

_BACKTRACE = re.compile(r"(\d+:|at |note:|stack backtrace|Thread 0x|File |Current thread)")
START_SECONDS = 60.0  # the most a child may take to be forked (the server's start included)
_LOCK = threading.Lock()
_SERVER: _Server | None = None


@dataclass(frozen=True)
class Limits:
    """What one child may take: bytes of address space and seconds of wall-clock time, and
    the config keys that set them (named in the failure)."""

    memory: int
    seconds: float
    memory_key: str = "limits.memory"
    time_key: str = "limits.time"


def run(task: Callable[..., None], args: tuple[object, ...], limits: Limits, result: Path) -> None:
    """Run `task(*args)` in a child process within `limits`. A LakeboxError it raises is
    raised here again as a FormatError with its message; a crash, a signal, running out of
    memory or out of time raises ReaderLimitError naming the limit."""
    result.unlink(missing_ok=True)
    request = pickle.dumps((task, args, limits.memory, str(result)))
    with _LOCK:
        server = _server()
        try:
            code, timed_out = server.run(request, limits.seconds)
        except (OSError, EOFError, ValueError) as error:
            _stop_server()
            raise ReaderLimitError(f"the reader server failed ({error})") from error
    if timed_out:
        raise ReaderLimitError(
            f"reading took longer than {limits.seconds:g} s and was stopped",
            hint=f"raise the source's {limits.time_key} if the file is sound",
        )
    _raise_failure(code, limits, result)


def _raise_failure(code: int, limits: Limits, result: Path) -> None:
    outcome = json.loads(result.read_text(encoding="utf-8")) if result.exists() else None
    if outcome is not None and code == 0:
        if outcome.get("error"):
            raise FormatError(outcome["error"], hint=outcome.get("hint") or None)
        return
    said = _last_words(Path(f"{result}.log"))
    raise ReaderLimitError(
        f"the reader {_ending(code)}{said} (memory limit {limits.memory / 1024**2:,.0f} MiB)",
        hint=f"the file is likely broken or hostile; if it is sound, raise the source's "
        f"{limits.memory_key}",
    )


def _ending(code: int) -> str:
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        return f"crashed ({name})"
    return f"ended with exit code {code} and no result"


def _last_words(log: Path) -> str:
    """Return what the child said first on stderr before it ended (a native abort's reason,
    e.g. `memory allocation of 4492800000 bytes failed`), backtrace lines left out."""
    if not log.exists():
        return ""
    with log.open("rb") as handle:
        text = handle.read(64 * 1024).decode(errors="replace")
    lines = (line.strip() for line in text.splitlines())
    said = next((line for line in lines if line and not _BACKTRACE.match(line)), "")
    return f": {said[:300]}" if said else ""


class _Server:
    """The reader server process and its pipes."""

    def __init__(self) -> None:
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "lakebox.formatted.reader_server"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            bufsize=0,
            env=env,
            close_fds=True,
        )
        self.pending = b""

    def run(self, request: bytes, seconds: float) -> tuple[int, bool]:
        """Send `request`; return the child's exit code, and whether it was stopped."""
        assert self.process.stdin is not None
        self.process.stdin.write(len(request).to_bytes(8, "big") + request)
        pid = int(self._expect("started", START_SECONDS))
        try:
            return int(self._expect("ended", seconds)), False
        except TimeoutError:
            os.kill(pid, signal.SIGKILL)
            return int(self._expect("ended", START_SECONDS)), True

    def _expect(self, word: str, seconds: float) -> str:
        line = self._line(time.monotonic() + seconds)
        said, _, value = line.partition(" ")
        if said != word:
            raise ValueError(f"expected {word!r}, got {line!r}")
        return value

    def _line(self, deadline: float) -> str:
        assert self.process.stdout is not None
        out = self.process.stdout.fileno()
        while b"\n" not in self.pending:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([out], [], [], left)[0]:
                raise TimeoutError
            chunk = os.read(out, 4096)
            if not chunk:
                raise EOFError("the reader server ended")
            self.pending += chunk
        line, _, self.pending = self.pending.partition(b"\n")
        return line.decode()

    def stop(self) -> None:
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                stream.close()
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def _server() -> _Server:
    global _SERVER
    if _SERVER is None or _SERVER.process.poll() is not None:
        _SERVER = _Server()
    return _SERVER


def _stop_server() -> None:
    global _SERVER
    if _SERVER is not None:
        _SERVER.stop()
        _SERVER = None
