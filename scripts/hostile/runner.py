"""Run one case: a fresh project, its lakebox commands under the watchdog, its verdict."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from scripts.hostile.judge import Step, Verdict
from scripts.hostile.project import Project
from scripts.hostile.report import Row
from scripts.hostile.servers import Servers
from scripts.hostile.watchdog import MB, Limits, watch

ROOT = Path(__file__).resolve().parents[2]
# Values a leak would show: set in lakebox's environment, looked for in every table.
SECRET = "hostile-secret-7f3a9c1e"
API_KEY = "hostile-api-key-52d8b0"
LAKEBOX = "import sys; from lakebox.cli import main; sys.exit(main())"


@dataclass(frozen=True)
class Settings:
    """Sizes of the generated inputs and the caps; every one has a flag of `make hostile`."""

    limits: Limits = field(default_factory=Limits)
    bomb_bytes: int = 1024 * MB
    body_bytes: int = 500 * MB
    xlsx_padding: int = 2048 * MB
    csv_record_bytes: int = 40 * MB
    ndjson_line_bytes: int = 20 * MB
    slow_gap: float = 5.0
    settle_wait: float = 3.0
    src: Path = ROOT / "src"
    python: str = sys.executable
    workdir: Path | None = None
    keep: bool = False


@dataclass(frozen=True)
class Case:
    """One hostile input: the point of issue 20 it probes, a name, and how to run and judge it."""

    point: str
    name: str
    run: Callable[[CaseRun], Verdict]


class CaseRun:
    """A case being run: its fresh project, the servers, and the lakebox commands it ran."""

    def __init__(self, settings: Settings, servers: Servers, folder: Path) -> None:
        self.settings = settings
        self.servers = servers
        self.folder = folder
        self.project = Project(folder / "project")
        self.steps: list[Step] = []

    def env(self) -> dict[str, str]:
        """Return lakebox's environment: this tree's sources first, and the planted secrets."""
        env = dict(os.environ)
        path = env.get("PYTHONPATH")
        env["PYTHONPATH"] = str(self.settings.src) + (os.pathsep + path if path else "")
        env.update(HOSTILE_SECRET=SECRET, HOSTILE_API_KEY=API_KEY, NO_COLOR="1", COLUMNS="200")
        # files written just before a command land at once; the case of a file still being
        # written sets its source's own settle time
        env["LAKEBOX_SETTLE"] = "0s"
        return env

    def lakebox(self, *args: str, limits: Limits | None = None) -> Step:
        """Run `lakebox ARGS` in the project under the watchdog; keep and return the step."""
        return self._watch([self.settings.python, "-c", LAKEBOX, *args], self.project.root, limits)

    def python(self, *args: str, limits: Limits | None = None) -> Step:
        """Run `python ARGS` from the repository's root under the watchdog (a driver script)."""
        return self._watch([self.settings.python, *args], ROOT, limits)

    def _watch(self, argv: list[str], cwd: Path, limits: Limits | None) -> Step:
        watched = watch(
            argv, limits or self.settings.limits, cwd=cwd, env=self.env(), scratch=self.folder
        )
        step = Step.of(watched)
        self.steps.append(step)
        return step


def run_case(case: Case, settings: Settings, servers: Servers) -> Row:
    """Run `case` on a fresh project and return its row; a harness bug is a row too."""
    folder = Path(tempfile.mkdtemp(prefix="hostile-", dir=settings.workdir))
    try:
        current = CaseRun(settings, servers, folder)
        try:
            verdict = case.run(current)
        except Exception as error:  # the harness's own fault: shown, never hidden
            trace = traceback.format_exception_only(error)[-1].strip()
            verdict = Verdict("HARNESS ERROR", trace, ["the case itself failed"])
        return _row(case, verdict, current.steps)
    finally:
        if not settings.keep:
            shutil.rmtree(folder, ignore_errors=True)


def _row(case: Case, verdict: Verdict, steps: list[Step]) -> Row:
    return Row(
        point=case.point,
        name=case.name,
        outcome=verdict.outcome,
        detail=verdict.detail,
        peak_rss=max((step.watched.peak_rss for step in steps), default=0),
        seconds=sum(step.watched.seconds for step in steps),
        problems=verdict.problems,
    )
