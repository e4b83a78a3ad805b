"""`RunReport`: what one run did, as one list of step outcomes in the order they came, and
the timing helpers its steps share.

Each step module declares the kinds of outcome it adds (`OutcomeKind`): a name (the
report's attribute that lists them, e.g. `report.models`), the step kind that makes them,
how one of them fails and whether it stays done when its attempt is retried."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from lakebox.config.pipelines import STEP_KINDS
from lakebox.ground.clock import now

if TYPE_CHECKING:
    from lakebox.exploitation.builder import BuildResult
    from lakebox.formatted.formatter import FormatResult
    from lakebox.integration.entities import EntityResult
    from lakebox.landing.loader import LandingReport
    from lakebox.orchestration.analysis import AnalysisResult
    from lakebox.quality.checks import CheckResult


def _never(result: Any) -> None:
    return None


def _no(result: Any) -> bool:
    return False


@dataclass(frozen=True)
class OutcomeKind:
    """A kind of outcome a step adds to a run report (see the module's docstring).

    `failure` returns what the run reports when one fails (None: it did not), `blocks`
    whether it fails the run without being a step's failure (a blocking check), `lasting`
    whether it stays done when its attempt is retried, and `retried` whether its failure
    makes the attempt be tried again."""

    name: str
    step: str | None  # the step kind that makes it (None: any, reported last)
    failure: Callable[[Any], str | None] = _never
    blocks: Callable[[Any], bool] = _no
    lasting: Callable[[Any], bool] = _no
    retried: bool = False

    @property
    def rank(self) -> tuple[int, int]:
        """Return where failures of this kind come among a run's: in data-path order, and
        the kinds of one step in the order the step declares them (entities before models)."""
        step = STEP_KINDS.index(self.step) if self.step else len(STEP_KINDS)
        return step, list(OUTCOME_KINDS).index(self.name)


# Every kind of outcome, by name: what `RunReport(run_id, models=[...])` is given.
OUTCOME_KINDS: dict[str, OutcomeKind] = {}


def outcome_kind(name: str, step: str | None, **how: Any) -> OutcomeKind:
    """Return a new kind of outcome, made known by `name`."""
    kind = OUTCOME_KINDS[name] = OutcomeKind(name, step, **how)
    return kind


@dataclass(frozen=True)
class Outcome:
    """One thing a step did: a source landed, a batch formatted, a model built, …"""

    kind: OutcomeKind
    result: Any

    @property
    def error(self) -> str | None:
        """Return this outcome's failure, or None."""
        return self.kind.failure(self.result)


@dataclass
class Span:
    """When a step or stage of a run started and how long it took (summed if it ran twice)."""

    started_at: datetime
    seconds: float = 0.0


@dataclass
class StepRun:
    """One step of a run: `land:sales`, `format:sales`, `build:stores`, `checks`, …"""

    step: str
    kind: str
    started_at: datetime
    seconds: float
    status: str
    rows_in: int | None = None
    rows_out: int | None = None
    bytes: int | None = None
    error: str | None = None

    @property
    def ended_at(self) -> datetime:
        """Return when the step ended."""
        return self.started_at + timedelta(seconds=self.seconds)


def _failed_attempt(attempt: StepRun) -> str | None:
    return f"{attempt.step}: {attempt.error}" if attempt.status == "failed" else None


# The attempts of steps that left no result of their own: those retried, and a last
# attempt that raised or timed out.
ATTEMPTS = outcome_kind("attempts", None, failure=_failed_attempt)
# What sending the run's OpenLineage events did not manage: sentences, never a failure.
LINEAGE_WARNINGS = outcome_kind("lineage_warnings", None)


@dataclass(init=False)
class RunReport:
    """What one run did: its outcomes in the order they came, and how long its steps took.
    `RunReport(run_id, models=[...])` starts a report with outcomes of the kinds named."""

    run_id: str
    outcomes: list[Outcome]
    seconds: float
    spans: dict[str, Span]

    def __init__(self, run_id: str, **outcomes: list[Any]) -> None:
        self.run_id = run_id
        self.outcomes: list[Outcome] = []
        self.seconds = 0.0
        self.spans: dict[str, Span] = {}
        for name, results in outcomes.items():
            self.add(OUTCOME_KINDS[name], *results)

    def add(self, kind: OutcomeKind, *results: Any) -> None:
        """Add `results`, outcomes of `kind`, to the report."""
        self.outcomes += [Outcome(kind, result) for result in results]

    def of(self, name: str) -> list[Any]:
        """Return the results of the outcomes of kind `name`, in order."""
        return [outcome.result for outcome in self.outcomes if outcome.kind.name == name]

    @property
    def ok(self) -> bool:
        """Return whether every step succeeded (in the end) and no blocking check failed."""
        return self.error is None and not any(o.kind.blocks(o.result) for o in self.outcomes)

    @property
    def error(self) -> str | None:
        """Return the first failure of a step (not of a check), or None: of the earliest
        kind in the data path, then the first to come."""
        failed = [(o.kind.rank, n, o.error) for n, o in enumerate(self.outcomes) if o.error]
        return min(failed)[2] if failed else None

    @property
    def landing(self) -> list[LandingReport]:
        """Return what landing each source did."""
        return self.of("landing")

    @property
    def formatting(self) -> list[FormatResult]:
        """Return what formatting each landed object did."""
        return self.of("formatting")

    @property
    def entities(self) -> list[EntityResult]:
        """Return what resolving each entity did."""
        return self.of("entities")

    @property
    def models(self) -> list[BuildResult]:
        """Return what happened to each model."""
        return self.of("models")

    @property
    def checks(self) -> list[CheckResult]:
        """Return the results of the checks run."""
        return self.of("checks")

    @property
    def analysis(self) -> list[AnalysisResult]:
        """Return what the forecasts and anomaly rules did."""
        return self.of("analysis")

    @property
    def attempts(self) -> list[StepRun]:
        """Return the attempts of steps that left no result of their own."""
        return self.of("attempts")

    @property
    def lineage_warnings(self) -> list[str]:
        """Return what emitting the run's OpenLineage events did not manage (never a
        failure of the run)."""
        return self.of("lineage_warnings")

    @property
    def failed_waiting(self) -> list[str]:
        """Return the failed landed objects not tried again: their source's config is as
        when they failed."""
        return self.of("failed_waiting")

    def merge(self, other: RunReport) -> None:
        """Add what `other` (a step of this run, run apart) did to this report."""
        self.outcomes += other.outcomes
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
