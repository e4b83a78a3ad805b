"""Start a `lakebox` command on a project as a child process of its own, its output
appended to `.lakebox/logs/<name>.log`: how the scheduler and the UI's "run now" start runs."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

LOGS_FOLDER = Path(".lakebox") / "logs"


def start(project_dir: Path, log_name: str, arguments: list[str]) -> subprocess.Popen[bytes]:
    """Start `lakebox ARGUMENTS --project PROJECT_DIR` in a session of its own (Ctrl-C in
    a terminal reaches its parent only); raise OSError if it cannot start."""
    command = [sys.executable, "-m", "lakebox.cli", *arguments, "--project", str(project_dir)]
    log = _log(project_dir, log_name, " ".join(arguments))
    try:
        return subprocess.Popen(
            command,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            cwd=project_dir,
            start_new_session=True,
        )
    finally:
        os.close(log)


def log_path(project_dir: Path, log_name: str) -> Path:
    """Return where the output of `log_name`'s runs is appended."""
    return project_dir / LOGS_FOLDER / f"{log_name}.log"


def _log(project_dir: Path, log_name: str, what: str) -> int:
    """Return a descriptor of the log file, opened for appending, headed by `what`."""
    path = log_path(project_dir, log_name)
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        os.write(descriptor, f"--- {datetime.now(UTC).isoformat()} lakebox {what}\n".encode())
    except OSError:
        os.close(descriptor)
        raise
    return descriptor
