"""The stream workers `lakebox serve` runs beside the server: one `lakebox stream run NAME`
process per stream (its output appended to `.lakebox/logs/stream-<name>.log`), started
again after a pause when one ends, and stopped (SIGTERM: it flushes first) with the server."""

from __future__ import annotations

import os
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path

from lakebox.orchestration import launcher

CHECK_EVERY = 1.0
RESTART_AFTER = (1.0, 2.0, 5.0, 10.0, 30.0)  # pauses before each further restart
STOP_WAIT = 15.0


class StreamWorkers:
    """Keeps one worker process per stream running."""

    def __init__(self, project_dir: Path, names: list[str], say: Callable[[str], None]) -> None:
        self.project_dir = project_dir
        self.names = names
        self.say = say
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self.restarts: dict[str, int] = dict.fromkeys(names, 0)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="stream-workers", daemon=True)

    def start(self) -> StreamWorkers:
        """Start every worker and the thread that restarts them."""
        for name in self.names:
            self._start(name)
        self._thread.start()
        return self

    def _start(self, name: str) -> None:
        log = f"stream-{name}"
        self.processes[name] = launcher.start(
            self.project_dir, log, ["stream", "run", name, "--parent", str(os.getpid())]
        )
        self.say(f"stream {name}: worker started (log: {launcher.log_path(self.project_dir, log)})")

    def _watch(self) -> None:
        while not self._stop.wait(CHECK_EVERY):
            for name, process in list(self.processes.items()):
                if process.poll() is None:
                    continue
                pause = RESTART_AFTER[min(self.restarts[name], len(RESTART_AFTER) - 1)]
                self.say(
                    f"stream {name}: worker ended ({process.returncode}); again in {pause:g} s"
                )
                if self._stop.wait(pause):
                    return
                self.restarts[name] += 1
                self._start(name)

    def stop(self) -> None:
        """Stop the workers, each after its last flush (killed if it takes too long)."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()
        for process in self.processes.values():
            if process.poll() is None:
                process.terminate()
        deadline = time.monotonic() + STOP_WAIT
        for process in self.processes.values():
            try:
                process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
