"""The `format` step: format what is landed and not formatted yet, source by source (and try
again the objects that failed, when their source's config changed since)."""

from __future__ import annotations

from datetime import datetime

from lakebox.catalog.manifest import Status
from lakebox.config.pipelines import StepConfig
from lakebox.formatted.formatter import FormatResult, due, format_pending
from lakebox.ground.reporter import Reporter
from lakebox.lakehouse import Lakehouse
from lakebox.orchestration.report import RunReport, StepRun, outcome_kind, timed
from lakebox.orchestration.steps.base import Context, Step, Unit, span


def _failure(result: FormatResult) -> str | None:
    if result.status != "failed":
        return None
    return f"format:{result.source}: batch {result.batch_id}: {result.error}"


FORMATTED = outcome_kind("formatting", "format", failure=_failure, lasting=lambda result: True)
# failed landed objects not tried again: their source's config is as when they failed
WAITING = outcome_kind("failed_waiting", "format")


def format_landed(
    lh: Lakehouse,
    name: str,
    report: RunReport,
    reporter: Reporter,
    statuses: tuple[Status, ...] = (Status.LANDED, Status.FAILED),
) -> None:
    """Format the objects of source `name` whose landing status is in `statuses`. A failed
    object is tried again when its source's config or the lakebox version changed since it
    failed (a pulled source's, on every run: its state waits for the commit); its earlier
    rows, if a partial write left any, are replaced, never doubled. The failed objects left
    as they are go to `report.failed_waiting`."""
    source = lh.source(name)
    with timed(report, f"format:{name}"):
        found = format_pending(lh, name, reporter, statuses)
        report.add(FORMATTED, *found)
    if Status.FAILED in statuses:
        tried = {result.batch_id for result in found}
        report.add(
            WAITING,
            *(
                entry.batch_id
                for entry in lh.manifest.entries(name, Status.FAILED)
                if entry.batch_id not in tried and not due(entry, source)
            ),
        )


def source_units(lh: Lakehouse, step: StepConfig) -> list[Unit]:
    """Return a unit per source of a step on sources (every source when it names none)."""
    return [Unit(step, source) for source in step.items or lh.config.formatted_sources]


def known_source(lh: Lakehouse, unit: Unit) -> None:
    """Raise the caller's mistake at once: a source that does not exist."""
    if unit.item:
        lh.source(unit.item)


def format_row(
    report: RunReport, source: str, results: list[FormatResult], started_at: datetime
) -> StepRun:
    """Return the `ops.step_runs` row of formatting `source` in the run of `report`."""
    start, seconds = span(report, f"format:{source}", started_at)
    failed = [result for result in results if result.status == "failed"]
    return StepRun(
        f"format:{source}",
        "format",
        start,
        seconds,
        "failed" if failed else "ok",
        sum(result.counts.rows_read for result in results),
        sum(result.counts.rows_formatted for result in results),
        error=f"batch {failed[0].batch_id}: {failed[0].error}" if failed else None,
    )


def _run(lh: Lakehouse, unit: Unit, part: RunReport, run: RunReport, context: Context) -> None:
    if unit.item:
        format_landed(lh, unit.item, part, context.reporter)


# Its rows are written with the collect step's: a source's landing, then its formatting.
STEP = Step(
    "format",
    _run,
    units=source_units,
    known=known_source,
    lasting_spans=("format:",),
)
