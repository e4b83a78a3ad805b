"""`RunReport`: what one run did, stage by stage, and the timing helpers its steps share."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from lakebox.ground.clock import now

if TYPE_CHECKING:
    from lakebox.exploitation.builder import BuildResult
    from lakebox.formatted.formatter import FormatResult
    from lakebox.integration.entities import EntityResult
    from lakebox.landing.loader import LandingReport
    from lakebox.orchestration.analysis import AnalysisResult
    from lakebox.orchestration.history import StepRun
    from lakebox.quality.checks import CheckResult

# (stage, item, done, total) — the CLI draws progress bars from these calls.
Progress = Callable[[str, str, int, int], None]


@dataclass
class Span:
    """When a step or stage of a run started and how long it took (summed if it ran twice)."""

    started_at: datetime
    seconds: float = 0.0


@dataclass
class RunReport:
    """What one run did, stage by stage. `attempts` holds the attempts of steps that left
    no result of their own: those retried, and a last attempt that raised or timed out."""

    run_id: str
    landing: list[LandingReport] = field(default_factory=list)
    formatting: list[FormatResult] = field(default_factory=list)
    entities: list[EntityResult] = field(default_factory=list)
    models: list[BuildResult] = field(default_factory=list)
    checks: list[CheckResult] = field(default_factory=list)
    analysis: list[AnalysisResult] = field(default_factory=list)
    attempts: list[StepRun] = field(default_factory=list)
    # failed landed objects not tried again: their source's config is as when they failed
    failed_waiting: list[str] = field(default_factory=list)
    seconds: float = 0.0
    spans: dict[str, Span] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """Return whether every step succeeded (in the end) and no blocking check failed."""
        return self.error is None and not any(check.blocks for check in self.checks)

    @property
    def error(self) -> str | None:
        """Return the first failure of a step (not of a check), or None."""
        for item in self.landing:
            if item.error is not None:
                return f"land:{item.source}: {item.error}"
        for result in self.formatting:
            if result.status == "failed":
                return f"format:{result.source}: batch {result.batch_id}: {result.error}"
        for name, status, error in self._built():
            if status == "failed":
                return f"{name}: {error}"
        for attempt in self.attempts:
            if attempt.status == "failed":
                return f"{attempt.step}: {attempt.error}"
        return None

    def _built(self) -> Iterator[tuple[str, str, str | None]]:
        for entity in self.entities:
            yield f"entity:{entity.entity}", entity.status, entity.error
        for model in self.models:
            yield f"build:{model.model}", model.status, model.error
        for step in self.analysis:
            yield f"{step.kind}:{step.name}", step.status, step.message

    def merge(self, other: RunReport) -> None:
        """Add what `other` (a step of this run, run apart) did to this report."""
        self.landing += other.landing
        self.formatting += other.formatting
        self.entities += other.entities
        self.models += other.models
        self.checks += other.checks
        self.analysis += other.analysis
        self.attempts += other.attempts
        self.failed_waiting += other.failed_waiting
        self.seconds += other.seconds
        for name, span in other.spans.items():
            mine = self.spans.setdefault(name, Span(span.started_at))
            mine.seconds += span.seconds


@contextmanager
def timed(report: RunReport, step: str) -> Iterator[None]:
    """Add the time the block takes to `report.spans[step]` (started when it first ran) and
    to `report.seconds`."""
    span = report.spans.setdefault(step, Span(now()))
    started = time.monotonic()
    try:
        yield
    finally:
        elapsed = time.monotonic() - started
        span.seconds += elapsed
        report.seconds += elapsed


def stage(progress: Progress | None, name: str) -> Callable[[str, int, int], None] | None:
    """Return a progress callback for one stage of a run (None without `progress`)."""
    if progress is None:
        return None

    def report(item: str, done: int, total: int) -> None:
        progress(name, item, done, total)

    return report
