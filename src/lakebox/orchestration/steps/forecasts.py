"""The `forecasts` step: make each declared forecast (`forecasts: sales`, one) whose table
changed since it was made."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from lakebox.config.pipelines import StepConfig
from lakebox.lakehouse import Lakehouse
from lakebox.orchestration.analysis import ANALYSED, timed_forecast
from lakebox.orchestration.report import RunReport, StepRun, timed
from lakebox.orchestration.steps.base import Context, Step, Unit, span


def _units(lh: Lakehouse, step: StepConfig) -> list[Unit]:
    return [Unit(step, name) for name in step.items or sorted(lh.config.forecasts)]


def _run(lh: Lakehouse, unit: Unit, part: RunReport, run: RunReport, context: Context) -> None:
    """Make forecast `unit.item` if it is missing or stale (always, when forced)."""
    if unit.item:
        with timed(part, f"forecast:{unit.item}"):
            part.add(ANALYSED, timed_forecast(lh, unit.item, context.force))


def _rows(report: RunReport, started_at: datetime) -> Iterator[StepRun]:
    for f in report.analysis:
        if f.kind == "forecast":
            start, _ = span(report, f"forecast:{f.name}", started_at)
            error = f.message if f.status == "failed" else None
            name = f"forecast:{f.name}"
            yield StepRun(
                name, "forecast", start, f.seconds, f.status, rows_out=f.rows, error=error
            )


STEP = Step("forecasts", _run, selects=("forecast",), label="forecast", units=_units, rows=_rows)
