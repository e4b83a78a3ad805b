"""The `collect` step: land a source's new objects and format them (`collect: sales` covers
one source; a bare `collect`, every source). A stream's events are landed by its worker, so
collecting a stream formats what its flushes landed."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import datetime

from lakebox.catalog.manifest import Status
from lakebox.errors import LakeboxError
from lakebox.lakehouse import Lakehouse
from lakebox.landing.loader import LandingReport, land
from lakebox.orchestration.report import RunReport, StepRun, outcome_kind, timed
from lakebox.orchestration.steps.base import Context, Step, Unit, span
from lakebox.orchestration.steps.format import (
    format_landed,
    format_row,
    known_source,
    source_units,
)

logger = logging.getLogger(__name__)


def _failure(item: LandingReport) -> str | None:
    return f"land:{item.source}: {item.error}" if item.error is not None else None


# A source that could not be collected is the one failure another attempt may not have.
LANDED = outcome_kind(
    "landing", "collect", failure=_failure, lasting=lambda item: item.error is None, retried=True
)


def collect(lh: Lakehouse, name: str, report: RunReport, context: Context) -> None:
    """Format what an earlier run landed but did not format (and retry what failed, see
    `format_landed`), land the new objects, format them. A pulled source's state is its
    committed cursor, so whatever an interrupted run left is committed before the next pull
    reads the state. A source that cannot be collected is reported as such, not raised."""
    lh.source(name)  # an unknown name is the caller's mistake: raise it
    format_landed(lh, name, report, context.reporter)
    if name in lh.config.streams:  # a stream's worker lands its events; they are formatted
        return
    with timed(report, f"land:{name}"):
        try:
            report.add(LANDED, land(lh, name, context.reporter))
        except LakeboxError as error:
            report.add(LANDED, LandingReport(name, error=str(error)))
            logger.error("%s", error)
    format_landed(lh, name, report, context.reporter, (Status.LANDED,))


def source_rows(report: RunReport, started_at: datetime) -> Iterator[StepRun]:
    """Yield each source's landing then formatting, source after source, as they ran."""
    sources = dict.fromkeys(
        [name.split(":", 1)[1] for name in report.spans if name.startswith(("land:", "format:"))]
        + [item.source for item in report.landing]
        + [result.source for result in report.formatting]
    )
    for source in sources:
        for item in report.landing:
            if item.source == source:
                yield _landing_row(report, item, started_at)
        results = [result for result in report.formatting if result.source == source]
        yield format_row(report, source, results, started_at)


def _landing_row(report: RunReport, item: LandingReport, started_at: datetime) -> StepRun:
    start, seconds = span(report, f"land:{item.source}", started_at)
    status = "failed" if item.error else "ok"
    size = sum(entry.bytes or 0 for entry in item.landed)
    name = f"land:{item.source}"
    return StepRun(name, "land", start, seconds, status, bytes=size, error=item.error)


def _run(lh: Lakehouse, unit: Unit, part: RunReport, run: RunReport, context: Context) -> None:
    if unit.item:
        collect(lh, unit.item, part, context)


STEP = Step(
    "collect",
    _run,
    selects=("source",),
    units=source_units,
    known=known_source,
    rows=source_rows,
)
