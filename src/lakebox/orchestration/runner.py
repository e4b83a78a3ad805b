"""`lakebox ingest` and `lakebox run` without a pipeline: the whole data path, for the
sources and models asked, as a run of the default pipeline."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

from lakebox.config.pipelines import SOURCE_STEPS, StepConfig
from lakebox.ground.clock import new_batch_id, now
from lakebox.ground.reporter import NULL_REPORTER, Reporter
from lakebox.lakehouse import Lakehouse
from lakebox.orchestration import history
from lakebox.orchestration.history import DEFAULT_PIPELINE
from lakebox.orchestration.lock import PipelineLock
from lakebox.orchestration.openlineage import Events, emitting
from lakebox.orchestration.pipeline import execute, pipeline_config
from lakebox.orchestration.report import RunReport, Span, timed
from lakebox.orchestration.steps import STEPS
from lakebox.orchestration.steps.base import Unit
from lakebox.orchestration.steps.collect import LANDED
from lakebox.orchestration.steps.format import FORMATTED, format_landed

__all__ = ["RunReport", "Span", "backfill", "ingest", "reformat", "run"]


def ingest(
    lh: Lakehouse,
    sources: list[str] | None = None,
    reporter: Reporter = NULL_REPORTER,
    wait: bool | float = False,
    pipeline: str = DEFAULT_PIPELINE,
) -> RunReport:
    """Land the new objects of `sources` (default: all) and format what is not formatted yet.

    Holds `pipeline`'s lock (waiting as `wait` allows, else `RunLocked`) and records the run
    in `ops.runs` and `ops.step_runs`, as failed if it raises."""
    units = _collect(lh, sources)
    config = pipeline_config(lh, pipeline)
    return execute(lh, pipeline, config, units, reporter=reporter, wait=wait, command="ingest")


def run(
    lh: Lakehouse,
    sources: list[str] | None = None,
    models: set[str] | None = None,
    force: bool = False,
    reporter: Reporter = NULL_REPORTER,
    wait: bool | float = False,
    pipeline: str = DEFAULT_PIPELINE,
) -> RunReport:
    """Ingest, then rebuild the models whose inputs changed (or `models`, when given); a
    whole run then makes the stale forecasts and runs the anomaly rules.

    Holds `pipeline`'s lock (waiting as `wait` allows, else `RunLocked`) and records the run
    in `ops.runs` and `ops.step_runs`, as failed if it raises."""
    units = _collect(lh, sources)
    units.append(
        Unit(StepConfig(kind="build"), models=frozenset(models) if models is not None else None)
    )
    if models is None:
        for kind in ("forecasts", "anomalies"):
            units += STEPS[kind].units(lh, StepConfig(kind=kind))
    config = pipeline_config(lh, pipeline)
    return execute(lh, pipeline, config, units, force, reporter, wait)


def backfill(
    lh: Lakehouse,
    source: str,
    start: str,
    end: str,
    reporter: Reporter = NULL_REPORTER,
    wait: bool | float = False,
) -> RunReport:
    """Pull the rows of incremental `source` whose cursor is in [start, end) again and format
    them, without moving its saved state (`lakebox.landing.backfill`).

    A source or bounds that cannot be backfilled raise ConfigError before anything runs.
    The backfill holds the lock of every pipeline that collects or formats the source, so
    none of their runs overlaps it, and is recorded in the run history as pipeline
    `backfill:<source>` (apart from the pipelines' own runs and their alerts)."""
    from lakebox.landing.backfill import land_window, window_of

    window = window_of(lh, source, start, end)
    report = RunReport(new_batch_id(now()))
    with _exclusive(lh, [source], f"backfill:{source}", "backfill", report, wait) as events:
        step = events.step_started(Unit(StepConfig(kind="collect"), source))
        with timed(report, f"land:{source}"):
            report.add(LANDED, land_window(lh, source, window, reporter))
        format_landed(lh, source, report, reporter)
        events.step_ended(step, report, None)
    return report


def reformat(
    lh: Lakehouse,
    sources: list[str] | None = None,
    batches: list[str] | None = None,
    reporter: Reporter = NULL_REPORTER,
    wait: bool | float = False,
) -> RunReport:
    """Format the landed batches `batches` (default: every one of `sources`, default: all)
    again with the config as it is now, their rows replacing those they had, not added to
    them (`lakebox.formatted.formatter.reformat`).

    An unknown batch, or one with no rows of its own (a duplicate sighting), raises before
    anything runs. It holds the lock of every pipeline that collects or formats the sources,
    and is recorded in the run history as pipeline `reformat`."""
    from lakebox.formatted.formatter import reformat as reformat_entries
    from lakebox.formatted.formatter import reformattable

    entries = reformattable(lh, sources, batches)
    report = RunReport(new_batch_id(now()))
    names = sorted({entry.source for entry in entries})
    with _exclusive(lh, names, "reformat", "reformat", report, wait) as events:
        for source in names:
            part = RunReport(report.run_id)  # this source's, for its OpenLineage events
            step = events.step_started(Unit(StepConfig(kind="format"), source))
            try:
                with timed(part, f"format:{source}"):
                    chosen = [entry for entry in entries if entry.source == source]
                    part.add(FORMATTED, *reformat_entries(lh, chosen, reporter))
            finally:
                report.merge(part)
            events.step_ended(step, part, None)
    return report


@contextmanager
def _exclusive(
    lh: Lakehouse,
    sources: list[str],
    pipeline: str,
    command: str,
    report: RunReport,
    wait: bool | float,
) -> Iterator[Events]:
    """Within the block, hold the lock of every pipeline that collects or formats `sources`
    (taken in sorted order, as every locker does; `default` when there are none), and record
    the work in the run history, and in the OpenLineage events, as pipeline `pipeline`."""
    names = sorted({name for source in sources for name in _pipelines_collecting(lh, source)})
    with ExitStack() as locks:
        for name in names or [DEFAULT_PIPELINE]:
            locks.enter_context(PipelineLock(lh, name, wait))
        with (
            history.recording(lh, pipeline, command, report),
            emitting(lh, pipeline, command, report) as events,
        ):
            yield events


def _pipelines_collecting(lh: Lakehouse, source: str) -> list[str]:
    """Return, sorted (every locker takes them in this order), the pipelines that collect or
    format `source`: `default` and each declared one with such a step."""
    found = {DEFAULT_PIPELINE}
    for name, pipeline in lh.config.pipelines.items():
        for step in pipeline.steps:
            if step.kind in SOURCE_STEPS and (step.items is None or source in step.items):
                found.add(name)
    return sorted(found)


def _collect(lh: Lakehouse, sources: list[str] | None) -> list[Unit]:
    step = StepConfig(kind="collect")
    return [Unit(step, name) for name in sources or lh.config.formatted_sources]
