"""The steps of a pipeline, one item at a time: each adds what it did to a `RunReport`.

collect (land a source's new objects and format them) → format (only what is landed) →
build (check the formatted inputs, resolve the entities, build the stale models) → checks
(the declared checks of the tables not checked yet in this run) → forecasts → anomalies.
"""

from __future__ import annotations

import logging
import time

from lakebox.catalog import TableRef
from lakebox.catalog.manifest import Status
from lakebox.errors import LakeboxError
from lakebox.exploitation import builder
from lakebox.exploitation.declared import check_now
from lakebox.formatted.formatter import due, format_pending
from lakebox.ground.sql import quote_identifier
from lakebox.integration import entities
from lakebox.lakehouse import Lakehouse
from lakebox.landing.loader import LandingReport, land
from lakebox.orchestration import analysis
from lakebox.orchestration.report import Progress, RunReport, stage, timed
from lakebox.quality import results as check_results
from lakebox.quality.checks import run_checks

logger = logging.getLogger(__name__)


def collect(lh: Lakehouse, name: str, report: RunReport, progress: Progress | None) -> None:
    """Format what an earlier run landed but did not format (and retry what failed, see
    `format_landed`), land the new objects, format them. A pulled source's state is its
    committed cursor, so whatever an interrupted run left is committed before the next pull
    reads the state. A source that cannot be collected is reported as such, not raised."""
    lh.source(name)  # an unknown name is the caller's mistake: raise it
    format_landed(lh, name, report, progress)
    with timed(report, f"land:{name}"):
        try:
            report.landing.append(land(lh, name, stage(progress, "land")))
        except LakeboxError as error:
            report.landing.append(LandingReport(name, error=str(error)))
            logger.error("%s", error)
    format_landed(lh, name, report, progress, (Status.LANDED,))


def format_landed(
    lh: Lakehouse,
    name: str,
    report: RunReport,
    progress: Progress | None,
    statuses: tuple[Status, ...] = (Status.LANDED, Status.FAILED),
) -> None:
    """Format the objects of source `name` whose landing status is in `statuses`. A failed
    object is tried again when its source's config or the lakebox version changed since it
    failed (a pulled source's, on every run: its state waits for the commit); its earlier
    rows, if a partial write left any, are replaced, never doubled. The failed objects left
    as they are go to `report.failed_waiting`."""
    source = lh.source(name)
    with timed(report, f"format:{name}"):
        found = format_pending(lh, name, stage(progress, "format"), statuses)
        report.formatting.extend(found)
    if Status.FAILED in statuses:
        tried = {result.batch_id for result in found}
        report.failed_waiting += [
            entry.batch_id
            for entry in lh.manifest.entries(name, Status.FAILED)
            if entry.batch_id not in tried and not due(entry, source)
        ]


def build(
    lh: Lakehouse,
    report: RunReport,
    sources: list[str],
    models: set[str] | None,
    force: bool,
    progress: Progress | None,
) -> None:
    """Check the formatted tables of `sources`, resolve the entities, then build the stale
    models (or `models`); what reads a table whose blocking checks failed is skipped."""
    with timed(report, "checks"):
        found = len(report.checks)
        blocked = _check_sources(lh, sources, report)
    with timed(report, "entities"):
        report.entities += entities.resolve(lh, report.run_id, blocked, force)
    blocked |= {ref for result in report.entities if result.error for ref in result.tables}
    with timed(report, "build"):
        built = builder.build(lh, report.run_id, models, force, stage(progress, "build"), blocked)
        report.models += built
    report.checks += [check for result in (*report.entities, *built) for check in result.checks]
    with timed(report, "checks"):
        check_results.store(lh, report.run_id, report.checks[found:])


def checks(lh: Lakehouse, report: RunReport, checked: frozenset[str]) -> None:
    """Run the declared checks of every table not in `checked` and keep their results."""
    with timed(report, "checks"):
        report.checks += check_now(lh, report.run_id, skip=checked)


def forecast(lh: Lakehouse, report: RunReport, name: str, force: bool) -> None:
    """Make forecast `name` if it is missing or stale (always, with `force`)."""
    with timed(report, f"forecast:{name}"):
        report.analysis.append(analysis.timed_forecast(lh, name, force))


def anomalies(lh: Lakehouse, report: RunReport, rules: list[str] | None) -> None:
    """Run the declared anomaly rules (or `rules`); each shares the time of the one pass."""
    with timed(report, "analysis"):
        started = time.monotonic()
        found = analysis.detect_anomalies(lh, report.run_id, rules)
        for rule in found:
            rule.seconds = time.monotonic() - started
        report.analysis += found


def _check_sources(lh: Lakehouse, sources: list[str], report: RunReport) -> set[TableRef]:
    """Run the checks declared on the formatted tables of `sources`; return the tables whose
    blocking checks failed, so the models reading them are skipped."""
    blocked = set()
    history = check_results.history(lh)
    for name in sources:
        ref = TableRef("formatted", name)
        declared = builder.checks_for(lh, ref)
        if not declared or lh.catalog.load(ref) is None:
            continue
        relation = f"{quote_identifier(ref.zone)}.{quote_identifier(ref.name)}"
        results = run_checks(lh, ref.identifier, relation, declared, history)
        report.checks += results
        if any(result.blocks for result in results):
            blocked.add(ref)
    return blocked
