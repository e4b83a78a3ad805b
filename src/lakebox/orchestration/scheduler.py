"""`Scheduler`: runs each pipeline that has a `schedule:` when it is due, as a child process
(`lakebox run --pipeline NAME`), so a run can be timed out and killed, its memory is its
own, and the server that hosts the scheduler keeps answering while it runs.

When it starts, a pipeline that missed its latest due time runs at once (one run, not one
per missed time: no catch-up backlog). A pipeline whose previous scheduled run is still
going when it is due again skips that turn (the pipeline lock also stops a run started by
hand from overlapping). A pipeline of `maintain` steps only waits, once due, until no data
pipeline it launched is running (maintenance takes every pipeline's lock). A run past the
pipeline's `run_timeout` is terminated (SIGTERM, then SIGKILL); it is recorded as failed.
Each run's output is appended to `.lakebox/logs/<pipeline>.log`. With alert channels, the
incidents are evaluated every `alerts.every` (stale tables go stale without any run).
"""

from __future__ import annotations

import logging
import signal
import subprocess
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from lakebox.config import ProjectConfig
from lakebox.config.durations import duration_seconds
from lakebox.config.schedule import Schedule
from lakebox.orchestration import launcher

logger = logging.getLogger(__name__)
LOCKED_EXIT_CODE = 75  # `lakebox run` exits so when another run holds the pipeline's lock
_REAP_SECONDS = 0.5
_STOP_GRACE_SECONDS = 10.0
_KEPT_LAUNCHES = 1000
ALERTS_TASK = "alerts"
Event = Callable[[str], None]


@dataclass
class Launch:
    """One scheduled run: when it was due and started, its process, and how it ended
    (`running`, `ok`, `failed`, `locked`, `timed out`, or `skipped` while one was running)."""

    task: str
    due: datetime
    started_at: datetime
    process: subprocess.Popen[bytes] | None = None
    outcome: str = "running"
    timeout: float | None = None
    _started: float = 0.0


class Scheduler:
    """Launch the scheduled pipelines of the project in `project_dir` until stopped."""

    def __init__(
        self,
        project_dir: Path,
        config: ProjectConfig,
        on_event: Event | None = None,
        last_started: dict[str, datetime] | None = None,
    ) -> None:
        self.project_dir = project_dir.resolve()
        self.config = config
        self.on_event = on_event or (lambda message: logger.info("%s", message))
        self.schedules = {
            name: Schedule.parse(pipeline.schedule)
            for name, pipeline in config.pipelines.items()
            if pipeline.schedule
        }
        if config.alerts.channels:
            self.schedules[ALERTS_TASK] = Schedule(
                f"every {config.alerts.every}", duration_seconds(config.alerts.every)
            )
        self.last_started = last_started or {}
        self.launches: deque[Launch] = deque(maxlen=_KEPT_LAUNCHES)
        self._running: dict[str, Launch] = {}
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def next_runs(self, moment: datetime | None = None) -> dict[str, datetime]:
        """Return when each scheduled task is next due after `moment` (default: now)."""
        moment = moment or datetime.now(UTC)
        return {name: schedule.next_after(moment) for name, schedule in self.schedules.items()}

    def first_runs(self, moment: datetime | None = None) -> dict[str, datetime]:
        """Return when each task is first due: now for a pipeline whose latest due time
        passed since its last run started (once, however many were missed), else its next."""
        moment = moment or datetime.now(UTC)
        first = self.next_runs(moment)
        for name in self.config.pipelines:
            if name not in self.schedules:
                continue
            missed = self.schedules[name].previous_before(moment)
            last = self.last_started.get(name)
            if last is None or last < missed:
                first[name] = moment
        return first

    def run(self) -> None:
        """Launch the tasks as they fall due, until `stop()`; then end the running ones."""
        due = self.first_runs()
        try:
            while not self._stopping.is_set():
                self._reap()
                moment = datetime.now(UTC)
                for name in sorted(due, key=self._upkeep):  # data pipelines first
                    if due[name] <= moment and not self._yields(name):
                        self._launch_or_say(name, due[name])
                        due[name] = self.schedules[name].next_after(moment)
                waits = [(at - moment).total_seconds() for name, at in due.items() if at > moment]
                self._stopping.wait(max(min([_REAP_SECONDS, *waits]), 0.01))
        finally:
            self._end_running()

    def start(self) -> Scheduler:
        """Run the scheduler in a background thread; return it."""
        self._thread = threading.Thread(target=self.run, name="lakebox-scheduler", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop launching, end the running tasks and wait for the scheduler's thread."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=_STOP_GRACE_SECONDS + 5)
            self._thread = None

    def _upkeep(self, name: str) -> bool:
        """Whether `name` is a pipeline of `maintain` steps only (table upkeep)."""
        pipeline = self.config.pipelines.get(name)
        return bool(pipeline and pipeline.steps) and all(
            step.kind == "maintain" for step in pipeline.steps
        )

    def _yields(self, name: str) -> bool:
        """Whether upkeep `name` waits, due, for the data pipelines running now: it takes
        every pipeline's lock, so started beside them it would hold up their next runs."""
        return self._upkeep(name) and any(
            other != ALERTS_TASK and not self._upkeep(other) for other in self._running
        )

    def _launch_or_say(self, name: str, due: datetime) -> None:
        """Launch `name`; a process that cannot start is reported, and the schedule goes on."""
        try:
            self._launch(name, due)
        except OSError as error:
            self.launches[-1].outcome = "failed"
            self.on_event(f"{name}: could not start: {error}")

    def _launch(self, name: str, due: datetime) -> None:
        launch = Launch(name, due, datetime.now(UTC))
        self.launches.append(launch)
        running = self._running.get(name)
        if running is not None:
            launch.outcome = "skipped"
            since = f"{running.started_at:%H:%M:%S}"
            self.on_event(f"{name}: due at {due:%H:%M:%S}, skipped: the run of {since} goes on")
            return
        launch.timeout = self._timeout_of(name)
        launch.process = launcher.start(self.project_dir, name, self._arguments(name))
        launch._started = time.monotonic()
        self._running[name] = launch
        self.on_event(f"{name}: started (due at {due:%H:%M:%S}, process {launch.process.pid})")

    def _arguments(self, name: str) -> list[str]:
        if name == ALERTS_TASK:
            return ["alerts"]
        return ["run", "--pipeline", name, "--quiet"]

    def _timeout_of(self, name: str) -> float | None:
        pipeline = self.config.pipelines.get(name)
        if pipeline is None or pipeline.run_timeout is None:
            return None
        return duration_seconds(pipeline.run_timeout)

    def _reap(self) -> None:
        """Note the tasks that ended; terminate those past their run timeout."""
        for name, launch in list(self._running.items()):
            assert launch.process is not None
            code = launch.process.poll()
            overdue = launch.timeout and time.monotonic() - launch._started > launch.timeout
            if code is None and overdue:
                self._terminate(launch)
                code = launch.process.returncode
                launch.outcome = "timed out"
            if code is None:
                continue
            del self._running[name]
            if launch.outcome == "running":
                launch.outcome = _outcome(code)
            self.on_event(f"{name}: {launch.outcome} (exit code {code})")

    def _end_running(self) -> None:
        """Ask every running task to stop at once, then wait for them together."""
        self._reap()
        running = list(self._running.values())
        for launch in running:
            launch.outcome = "stopped"
        _terminate(launch.process for launch in running if launch.process is not None)
        self._running.clear()

    def _terminate(self, launch: Launch) -> None:
        """Ask the task's process to stop (it records its run as failed), then kill it."""
        if launch.process is not None:
            _terminate([launch.process])


def _terminate(processes: Iterable[subprocess.Popen[bytes]]) -> None:
    """SIGTERM the processes still running, give them the grace time together, then kill."""
    alive = [process for process in processes if process.poll() is None]
    for process in alive:
        process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + _STOP_GRACE_SECONDS
    for process in alive:
        try:
            process.wait(timeout=max(deadline - time.monotonic(), 0.01))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _outcome(code: int) -> str:
    if code == 0:
        return "ok"
    return "locked" if code == LOCKED_EXIT_CODE else "failed"
