"""The harness's watchdog: a command that ends is measured; one past its time, memory or disk
cap is killed with its whole process tree, and the breach is named; a crash names its signal."""

from __future__ import annotations

import os
import sys
import textwrap
from pathlib import Path

import psutil
from scripts.hostile.watchdog import MB, Limits, watch

SMALL = Limits(seconds=30, rss_bytes=1024 * MB, written_bytes=1024 * MB)


def python(code: str) -> list[str]:
    return [sys.executable, "-c", textwrap.dedent(code)]


def test_a_command_that_ends_is_measured(tmp_path: Path) -> None:
    code = "import sys; block = bytearray(50 * 1024 * 1024); print('done'); sys.exit(3)"
    watched = watch(python(code), SMALL, cwd=tmp_path)
    assert watched.breach is None
    assert watched.returncode == 3
    assert watched.stdout.strip() == "done"
    assert watched.peak_rss >= 50 * MB  # the kernel's peak, even between two polls
    assert watched.signal_name is None


def test_a_command_past_its_time_is_killed_with_a_grandchild_in_another_session(
    tmp_path: Path,
) -> None:
    code = f"""
        import subprocess, sys, time
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"],
                                 start_new_session=True)
        open({str(tmp_path / "pid")!r}, "w").write(str(child.pid))
        time.sleep(600)
    """
    watched = watch(python(code), Limits(seconds=5), cwd=tmp_path)
    assert watched.breach == "TIMEOUT"
    grandchild = int((tmp_path / "pid").read_text())
    assert _gone(grandchild)


def _gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def test_a_command_past_its_memory_is_killed(tmp_path: Path) -> None:
    code = """
        import time
        blocks = []
        for _ in range(40):
            blocks.append(bytearray(10 * 1024 * 1024))
            time.sleep(0.05)
        time.sleep(600)
    """
    watched = watch(python(code), Limits(seconds=60, rss_bytes=100 * MB), cwd=tmp_path)
    assert watched.breach == "OOM"
    assert watched.returncode is not None and watched.returncode < 0
    assert watched.cpu_seconds > 0
    assert watched.peak_rss > 100 * MB


def test_a_command_past_its_disk_budget_is_killed(tmp_path: Path) -> None:
    code = f"""
        import time
        with open({str(tmp_path / "big.bin")!r}, "wb") as out:
            for _ in range(200):
                out.write(b"x" * 1024 * 1024)
                time.sleep(0.01)
        time.sleep(600)
    """
    watched = watch(python(code), Limits(seconds=60, written_bytes=20 * MB), cwd=tmp_path)
    assert watched.breach == "DISK"
    assert watched.written > 20 * MB


def test_a_native_crash_names_its_signal(tmp_path: Path) -> None:
    watched = watch(python("import os; os.abort()"), SMALL, cwd=tmp_path)
    assert watched.breach is None
    assert watched.signal_name == "SIGABRT"


def test_an_address_space_limit_applies_to_the_child_only(tmp_path: Path) -> None:
    code = "bytearray(400 * 1024 * 1024)"
    watched = watch(python(code), Limits(seconds=30, address_space=300 * MB), cwd=tmp_path)
    assert watched.returncode == 1
    assert "MemoryError" in watched.stderr
    assert os.getpid() > 0 and psutil.Process().rlimit(psutil.RLIMIT_AS)[0] != 300 * MB
