"""The `anomalies` step: run the declared anomaly rules (`anomalies: [a, b]`, only those) in
one pass, after the forecasts they may read."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime

from lakebox.config.pipelines import StepConfig
from lakebox.lakehouse import Lakehouse
from lakebox.orchestration.analysis import ANALYSED, detect_anomalies
from lakebox.orchestration.report import RunReport, StepRun, timed
from lakebox.orchestration.steps.base import Context, Sequenced, Step, Unit, sequence


def _units(lh: Lakehouse, step: StepConfig) -> list[Unit]:
    """Return the step's one unit, none when no rule is declared."""
    return [Unit(step)] if lh.config.anomalies else []


def _run(lh: Lakehouse, unit: Unit, part: RunReport, run: RunReport, context: Context) -> None:
    """Run the declared anomaly rules (or the step's); each shares the time of the pass."""
    with timed(part, "analysis"):
        started = time.monotonic()
        found = detect_anomalies(lh, part.run_id, unit.step.items)
        for rule in found:
            rule.seconds = time.monotonic() - started
        part.add(ANALYSED, *found)


def _rows(report: RunReport, started_at: datetime) -> Iterator[StepRun]:
    return sequence(report, "analysis", started_at, _rules(report))


def _rules(report: RunReport) -> Iterator[Sequenced]:
    rules = [step for step in report.analysis if step.kind == "anomalies"]
    if rules:
        failed = [f"{rule.name}: {rule.message}" for rule in rules if rule.status == "failed"]
        status = "failed" if failed else "ok"
        seconds = max(rule.seconds for rule in rules)
        found = sum(rule.rows for rule in rules)
        yield "anomalies", "anomalies", seconds, status, found, "; ".join(failed) or None


STEP = Step("anomalies", _run, units=_units, rows=_rows)
