"""The `maintain` step: compact, rewrite manifests, expire snapshots and delete orphaned
files of the Iceberg tables (`maintain` every table `maintenance:` chooses, or `maintain:
[ops.*, formatted.sales]`), holding every pipeline's lock (`orchestration.maintenance`).

It comes last in the data path, so a pipeline maintains what its run just wrote; the run's
own records (`ops.runs`, …) are written after it, as one more small file each."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from lakebox.lakehouse import Lakehouse
from lakebox.maintenance.run import TableMaintenance
from lakebox.orchestration.maintenance import maintain_locked
from lakebox.orchestration.report import RunReport, StepRun, outcome_kind, timed
from lakebox.orchestration.steps.base import Context, Step, Unit, sequence


def _failure(result: TableMaintenance) -> str | None:
    return f"maintain {result.table}: {result.error}" if result.error else None


# One table's maintenance; a table that failed fails the step (the others are still done).
MAINTAINED = outcome_kind("maintained", "maintain", failure=_failure)


def _run(lh: Lakehouse, unit: Unit, part: RunReport, run: RunReport, context: Context) -> None:
    """Maintain the tables of the step (all those `maintenance:` chooses by default)."""
    with timed(part, "maintain"):
        part.add(MAINTAINED, *maintain_locked(lh, unit.step.items, reporter=context.reporter))


def _rows(report: RunReport, started_at: datetime) -> Iterator[StepRun]:
    """Yield one `ops.step_runs` row per maintained table (`maintain:formatted.sales`)."""
    done: list[TableMaintenance] = report.of("maintained")
    steps = [
        (f"maintain:{r.table}", "maintain", r.seconds, r.status, r.files_after, r.error)
        for r in done
    ]
    yield from sequence(report, "maintain", started_at, steps)


STEP = Step("maintain", _run, selects=("maintain",), rows=_rows)
