"""`lakebox ingest` and `lakebox run`: the whole data path for the sources and models asked."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

from lakebox.catalog import TableRef
from lakebox.engine.duckdb import quote_identifier
from lakebox.errors import LakeboxError
from lakebox.exploitation import builder
from lakebox.exploitation.builder import BuildResult
from lakebox.formatted.formatter import FormatResult, format_pending
from lakebox.integration import entities
from lakebox.integration.entities import EntityResult
from lakebox.lakehouse import Lakehouse
from lakebox.landing.loader import LandingReport, land, new_batch_id
from lakebox.landing.manifest import Status, now
from lakebox.orchestration import history
from lakebox.orchestration.analysis import AnalysisResult, analyse
from lakebox.orchestration.history import DEFAULT_PIPELINE
from lakebox.orchestration.lock import PipelineLock
from lakebox.quality import results as check_results
from lakebox.quality.checks import CheckResult, run_checks

logger = logging.getLogger(__name__)

# (stage, item, done, total) — the CLI draws progress bars from these calls.
Progress = Callable[[str, str, int, int], None]


@dataclass
class Span:
    """When a step or stage of a run started and how long it took (summed if it ran twice)."""

    started_at: datetime
    seconds: float = 0.0


@dataclass
class RunReport:
    """What one run did, stage by stage."""

    run_id: str
    landing: list[LandingReport] = field(default_factory=list)
    formatting: list[FormatResult] = field(default_factory=list)
    entities: list[EntityResult] = field(default_factory=list)
    models: list[BuildResult] = field(default_factory=list)
    checks: list[CheckResult] = field(default_factory=list)
    analysis: list[AnalysisResult] = field(default_factory=list)
    seconds: float = 0.0
    spans: dict[str, Span] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """Return whether every source was collected and no file and no model failed."""
        return (
            all(item.error is None for item in self.landing)
            and all(
                result.status != "failed"
                for result in (*self.formatting, *self.entities, *self.models)
            )
            and not any(check.blocks for check in self.checks)
            and all(step.status != "failed" for step in self.analysis)
        )


def ingest(
    lh: Lakehouse,
    sources: list[str] | None = None,
    progress: Progress | None = None,
    report: RunReport | None = None,
    wait: bool | float = False,
    pipeline: str = DEFAULT_PIPELINE,
) -> RunReport:
    """Land the new objects of `sources` (default: all) and format what is not formatted yet.

    Holds `pipeline`'s lock (waiting as `wait` allows, else `RunLocked`) and records the run
    in `ops.runs` and `ops.step_runs`, as failed if it raises."""
    report = report or RunReport(new_batch_id(now()))
    with PipelineLock(lh, pipeline, wait), history.recording(lh, pipeline, "ingest", report):
        _ingest(lh, sources, progress, report)
    return report


def _ingest(
    lh: Lakehouse, sources: list[str] | None, progress: Progress | None, report: RunReport
) -> None:
    started = time.monotonic()
    for name in sources or list(lh.config.sources):
        _ingest_source(lh, name, report, progress)
    report.seconds += time.monotonic() - started


def _ingest_source(lh: Lakehouse, name: str, report: RunReport, progress: Progress | None) -> None:
    """Format what an earlier run landed but did not format, land the new objects, format
    them. A pulled source's state is its committed cursor, so whatever an interrupted run
    left is committed before the next pull reads the state. A source that cannot be
    collected is reported and the run goes on with the others."""
    source = lh.source(name)  # an unknown name is the caller's mistake: raise it
    leftover = (Status.LANDED, Status.FAILED) if source.pulled else (Status.LANDED,)
    with _timed(report, f"format:{name}"):
        report.formatting.extend(format_pending(lh, name, _stage(progress, "format"), leftover))
    with _timed(report, f"land:{name}"):
        try:
            report.landing.append(land(lh, name, _stage(progress, "land")))
        except LakeboxError as error:
            report.landing.append(LandingReport(name, error=str(error)))
            logger.error("%s", error)
    with _timed(report, f"format:{name}"):
        report.formatting.extend(format_pending(lh, name, _stage(progress, "format")))


def run(
    lh: Lakehouse,
    sources: list[str] | None = None,
    models: set[str] | None = None,
    force: bool = False,
    progress: Progress | None = None,
    wait: bool | float = False,
    pipeline: str = DEFAULT_PIPELINE,
) -> RunReport:
    """Ingest, then rebuild the models whose inputs changed (or `models`, when given); a
    whole run then makes the stale forecasts and runs the anomaly rules.

    Holds `pipeline`'s lock (waiting as `wait` allows, else `RunLocked`) and records the run
    in `ops.runs` and `ops.step_runs`, as failed if it raises."""
    report = RunReport(new_batch_id(now()))
    with PipelineLock(lh, pipeline, wait), history.recording(lh, pipeline, "run", report):
        _ingest(lh, sources, progress, report)
        _build(lh, sources, models, force, progress, report)
    return report


def _build(
    lh: Lakehouse,
    sources: list[str] | None,
    models: set[str] | None,
    force: bool,
    progress: Progress | None,
    report: RunReport,
) -> None:
    """Check the sources, resolve the entities, build the models, then analyse."""
    started = time.monotonic()
    with _timed(report, "checks"):
        blocked = _check_sources(lh, sources or list(lh.config.sources), report)
    with _timed(report, "entities"):
        report.entities = entities.resolve(lh, report.run_id, blocked, force)
    blocked |= {ref for result in report.entities if result.error for ref in result.tables}
    with _timed(report, "build"):
        stage = _stage(progress, "build")
        report.models = builder.build(lh, report.run_id, models, force, stage, blocked)
    report.checks += [
        check for result in (*report.entities, *report.models) for check in result.checks
    ]
    with _timed(report, "checks"):
        check_results.store(lh, report.run_id, report.checks)
    if models is None:
        with _timed(report, "analysis"):
            report.analysis = analyse(lh, report.run_id, force)
    report.seconds += time.monotonic() - started


@contextmanager
def _timed(report: RunReport, step: str) -> Iterator[None]:
    """Add the time the block takes to `report.spans[step]` (started when it first ran)."""
    span = report.spans.setdefault(step, Span(now()))
    started = time.monotonic()
    try:
        yield
    finally:
        span.seconds += time.monotonic() - started


def _check_sources(lh: Lakehouse, sources: list[str], report: RunReport) -> set[TableRef]:
    """Run the checks declared on the formatted tables of `sources`; return the tables whose
    blocking checks failed, so the models reading them are skipped."""
    blocked = set()
    history = check_results.history(lh)
    for name in sources:
        ref = TableRef("formatted", name)
        checks = builder.checks_for(lh, ref)
        if not checks or lh.catalog.load(ref) is None:
            continue
        relation = f"{quote_identifier(ref.zone)}.{quote_identifier(ref.name)}"
        results = run_checks(lh, ref.identifier, relation, checks, history)
        report.checks += results
        if any(result.blocks for result in results):
            blocked.add(ref)
    return blocked


def _stage(progress: Progress | None, stage: str) -> Callable[[str, int, int], None] | None:
    if progress is None:
        return None

    def report(item: str, done: int, total: int) -> None:
        progress(stage, item, done, total)

    return report
