"""CLI start-up benchmark: wall-clock time of short `lakebox` commands, run repeatedly.

Run from the repository root (see benchmarks/README.md):

    .venv/bin/python benchmarks/cli_startup.py               # 10 runs of each command
    .venv/bin/python benchmarks/cli_startup.py --runs 20

Each command runs as a fresh process (`python -m lakebox.cli ...`), as a user's shell starts
it, after one warm-up run (the OS caches the files; the bytecode is compiled). The medians
are printed against the targets: `lakebox --help` 0.5 s, `lakebox query "select 1"` in a new
project 1.2 s. The breakdown by module comes from `python -X importtime -m lakebox.cli ...`.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# (label, arguments, target seconds for the median)
COMMANDS = [
    ("lakebox --version", ["--version"], 0.5),
    ("lakebox --help", ["--help"], 0.5),
    ('lakebox query "select 1"', ["query", "select 1"], 1.2),
]


def lakebox(arguments: list[str], cwd: Path) -> tuple[float, float]:
    """Run `lakebox arguments` in `cwd`; return its wall-clock and CPU (user + system)
    seconds. It must exit 0."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "lakebox.cli", *arguments],
        cwd=cwd,
        check=True,
        stdout=subprocess.DEVNULL,
        timeout=120,
    )
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime


def measure(arguments: list[str], cwd: Path, runs: int) -> list[tuple[float, float]]:
    """Return the (wall, CPU) seconds of `runs` runs, after one warm-up run."""
    lakebox(arguments, cwd)
    return [lakebox(arguments, cwd) for _ in range(runs)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10, help="runs per command (default 10)")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="lakebox-startup-") as folder:
        project = Path(folder) / "shop"
        lakebox(["init", str(project)], Path(folder))
        print(f"{'command':<28} {'median':>8} {'min':>8} {'max':>8} {'CPU':>8} {'target':>8}")
        slow = 0
        for label, arguments, target in COMMANDS:
            runs = measure(arguments, project, options.runs)
            seconds = [wall for wall, _ in runs]
            median = statistics.median(seconds)
            cpu = statistics.median(cpu for _, cpu in runs)
            verdict = "ok" if median <= target else "SLOW"
            slow += median > target
            print(
                f"{label:<28} {median:>7.2f}s {min(seconds):>7.2f}s {max(seconds):>7.2f}s "
                f"{cpu:>7.2f}s {target:>7.1f}s  {verdict}"
            )
        print("median and min/max: wall clock; CPU: median user + system time of the process")
    return 1 if slow else 0


if __name__ == "__main__":
    sys.exit(main())
