"""The `checks` step: the declared checks of the tables not checked yet in the run (the
build step checks what it builds and what it builds on; this step, the rest)."""

from __future__ import annotations

from datetime import datetime

from lakebox.catalog import TableRef
from lakebox.exploitation import builder
from lakebox.exploitation.declared import check_now
from lakebox.ground.sql import quote_identifier
from lakebox.lakehouse import Lakehouse
from lakebox.orchestration.report import RunReport, StepRun, outcome_kind, timed
from lakebox.orchestration.steps.base import Context, Step, Unit, span
from lakebox.quality import results as check_results
from lakebox.quality.checks import CheckResult, run_checks

# A failed check is not a step's failure; a blocking one fails the run.
CHECKED = outcome_kind("checks", "checks", blocks=lambda check: check.blocks)


def check_sources(lh: Lakehouse, sources: list[str], report: RunReport) -> set[TableRef]:
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
        report.add(CHECKED, *results)
        if any(result.blocks for result in results):
            blocked.add(ref)
    return blocked


def checks_row(report: RunReport, started_at: datetime) -> list[StepRun]:
    """Return the one `ops.step_runs` row of every check of the run (none if none ran)."""
    if "checks" not in report.spans and not report.checks:
        return []
    start, seconds = span(report, "checks", started_at)
    found: list[CheckResult] = report.checks
    blocking = sorted({f"{check.table}.{check.check}" for check in found if check.blocks})
    status = "failed" if blocking else "ok"
    error = f"blocking checks failed: {', '.join(blocking)}" if blocking else None
    return [StepRun("checks", "checks", start, seconds, status, rows_in=len(found), error=error)]


def _run(lh: Lakehouse, unit: Unit, part: RunReport, run: RunReport, context: Context) -> None:
    """Run the declared checks of every table not checked yet in `run`, keep their results."""
    checked = frozenset(check.table for check in run.checks)
    with timed(part, "checks"):
        part.add(CHECKED, *check_now(lh, part.run_id, skip=checked))


STEP = Step("checks", _run, rows=checks_row)
