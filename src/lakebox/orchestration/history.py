"""`ops.runs` and `ops.step_runs`: every run and each of its steps, kept as Iceberg tables."""

from __future__ import annotations

import itertools
import logging
import resource
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import pyarrow as pa

from lakebox.catalog import TableRef
from lakebox.ground.clock import now
from lakebox.lakehouse import Lakehouse
from lakebox.orchestration.cancel import reason_of
from lakebox.orchestration.spec import DEFAULT_PIPELINE as DEFAULT_PIPELINE  # re-exported
from lakebox.redaction import scrub
from lakebox.tables import commit_rows

if TYPE_CHECKING:
    from lakebox.formatted.formatter import FormatResult
    from lakebox.landing.loader import LandingReport
    from lakebox.orchestration.report import RunReport

logger = logging.getLogger(__name__)
RUNS = TableRef("ops", "runs")
STEP_RUNS = TableRef("ops", "step_runs")
_TIME = pa.timestamp("us", tz="UTC")
# What a run and a step both record: when, how long, how it went, the rows it moved.
_TIMED = [
    ("started_at", _TIME),
    ("ended_at", _TIME),
    ("seconds", pa.float64()),
    ("status", pa.string()),
    ("rows_in", pa.int64()),
    ("rows_out", pa.int64()),
]
_RUNS_SCHEMA = pa.schema(
    [
        ("run_id", pa.string()),
        ("pipeline", pa.string()),
        ("command", pa.string()),
        *_TIMED,
        ("bytes_in", pa.int64()),
        ("peak_memory_bytes", pa.int64()),
        ("error", pa.string()),
    ]
)
_STEPS_SCHEMA = pa.schema(
    [
        ("run_id", pa.string()),
        ("step_number", pa.int64()),
        ("step", pa.string()),
        ("kind", pa.string()),
        *_TIMED,
        ("bytes", pa.int64()),
        ("error", pa.string()),
    ]
)
_BATCHES = itertools.count(1)
# (step, kind, seconds, status, rows out, error) of a step that ran right after the one before
_Sequenced = tuple[str, str, float, str, int | None, str | None]


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


@contextmanager
def recording(lh: Lakehouse, pipeline: str, command: str, report: RunReport) -> Iterator[None]:
    """Record the run of `report` when the block ends, as failed if it raised (then re-raise)."""
    started_at = now()
    try:
        yield
    except BaseException as error:  # Ctrl-C and termination too: the run failed
        try:
            store(lh, pipeline, command, report, started_at, error)
        except Exception:  # the run's own error matters more than its history
            logger.exception("run %s: its history could not be written", report.run_id)
        raise
    store(lh, pipeline, command, report, started_at)


def store(
    lh: Lakehouse,
    pipeline: str,
    command: str,
    report: RunReport,
    started_at: datetime,
    error: BaseException | None = None,
) -> None:
    """Append the run `report` to `ops.runs` and its steps to `ops.step_runs` (a commit each)."""
    steps = list(steps_of(report, started_at))
    run = _run_row(pipeline, command, report, started_at, steps, error)
    _append(
        lh,
        STEP_RUNS,
        _STEPS_SCHEMA,
        report.run_id,
        [_step_row(report.run_id, number, step) for number, step in enumerate(steps, start=1)],
    )
    _append(lh, RUNS, _RUNS_SCHEMA, report.run_id, [run])


def steps_of(report: RunReport, started_at: datetime) -> list[StepRun]:
    """Return the steps of `report` in the order they ran (retried attempts included)."""
    found = [
        *_source_steps(report, started_at),
        *_sequence(report, "entities", started_at, _entity_steps(report)),
        *_sequence(report, "build", started_at, _model_steps(report)),
        *([_checks_step(report, started_at)] if "checks" in report.spans or report.checks else []),
        *_forecast_steps(report, started_at),
        *_sequence(report, "analysis", started_at, _anomaly_steps(report)),
    ]
    for attempt in report.attempts:
        found.insert(_place_of(found, attempt), attempt)
    return found


def _place_of(steps: list[StepRun], attempt: StepRun) -> int:
    """Return where `attempt` goes among its step's rows by start (before a later attempt,
    after an earlier one), or, when its step has none, before the first step started later."""
    same = [number for number, step in enumerate(steps) if step.step == attempt.step]
    candidates = same or range(len(steps))
    later = [number for number in candidates if steps[number].started_at > attempt.started_at]
    if later:
        return later[0]
    return same[-1] + 1 if same else len(steps)


def peak_memory_bytes() -> int:
    """Return the peak resident memory of this process so far, in bytes."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024  # Linux counts in KiB


def _run_row(
    pipeline: str,
    command: str,
    report: RunReport,
    started_at: datetime,
    steps: list[StepRun],
    error: BaseException | None,
) -> dict:
    ended_at = now()
    failed = error is not None or not report.ok
    reason = reason_of(error) if error is not None else _first_error(steps)
    return {
        "run_id": report.run_id,
        "pipeline": pipeline,
        "command": command,
        "started_at": started_at,
        "ended_at": ended_at,
        "seconds": (ended_at - started_at).total_seconds(),
        "status": "failed" if failed else "ok",
        "rows_in": sum(step.rows_in or 0 for step in steps if step.kind == "format"),
        "rows_out": sum(step.rows_out or 0 for step in steps),
        "bytes_in": sum(step.bytes or 0 for step in steps if step.kind == "land"),
        "peak_memory_bytes": peak_memory_bytes(),
        "error": reason if failed else None,
    }


def _first_error(steps: list[StepRun]) -> str | None:
    return next((f"{s.step}: {s.error}" for s in steps if s.error and s.status == "failed"), None)


def _step_row(run_id: str, number: int, step: StepRun) -> dict:
    return {"run_id": run_id, "step_number": number, **asdict(step), "ended_at": step.ended_at}


def _span(report: RunReport, step: str, started_at: datetime) -> tuple[datetime, float]:
    span = report.spans.get(step)
    return (span.started_at, span.seconds) if span else (started_at, 0.0)


def _source_steps(report: RunReport, started_at: datetime) -> Iterator[StepRun]:
    """Yield each source's landing then formatting, source after source, as they ran."""
    sources = dict.fromkeys(
        [name.split(":", 1)[1] for name in report.spans if name.startswith(("land:", "format:"))]
        + [item.source for item in report.landing]
        + [result.source for result in report.formatting]
    )
    for source in sources:
        for item in report.landing:
            if item.source == source:
                yield _landing_step(report, item, started_at)
        results = [result for result in report.formatting if result.source == source]
        yield _format_step(report, source, results, started_at)


def _landing_step(report: RunReport, item: LandingReport, started_at: datetime) -> StepRun:
    start, seconds = _span(report, f"land:{item.source}", started_at)
    status = "failed" if item.error else "ok"
    size = sum(entry.bytes or 0 for entry in item.landed)
    name = f"land:{item.source}"
    return StepRun(name, "land", start, seconds, status, bytes=size, error=item.error)


def _format_step(
    report: RunReport, source: str, results: list[FormatResult], started_at: datetime
) -> StepRun:
    start, seconds = _span(report, f"format:{source}", started_at)
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


def _entity_steps(
    report: RunReport,
) -> Iterator[_Sequenced]:
    for e in report.entities:
        yield f"entity:{e.entity}", "entity", e.seconds, e.status, e.records, e.error


def _model_steps(
    report: RunReport,
) -> Iterator[_Sequenced]:
    for m in report.models:
        yield f"build:{m.model}", "build", m.seconds, m.status, m.rows, m.error


def _forecast_steps(report: RunReport, started_at: datetime) -> Iterator[StepRun]:
    for f in report.analysis:
        if f.kind == "forecast":
            start, _ = _span(report, f"forecast:{f.name}", started_at)
            error = f.message if f.status == "failed" else None
            name = f"forecast:{f.name}"
            yield StepRun(
                name, "forecast", start, f.seconds, f.status, rows_out=f.rows, error=error
            )


def _anomaly_steps(
    report: RunReport,
) -> Iterator[_Sequenced]:
    rules = [step for step in report.analysis if step.kind == "anomalies"]
    if rules:
        failed = [f"{rule.name}: {rule.message}" for rule in rules if rule.status == "failed"]
        status = "failed" if failed else "ok"
        seconds = max(rule.seconds for rule in rules)
        found = sum(rule.rows for rule in rules)
        yield "anomalies", "anomalies", seconds, status, found, "; ".join(failed) or None


def _sequence(
    report: RunReport,
    stage: str,
    started_at: datetime,
    steps: Iterable[_Sequenced],
) -> Iterator[StepRun]:
    """Yield `steps`, which ran one after another from the start of `stage`."""
    start, _ = _span(report, stage, started_at)
    for name, kind, seconds, status, rows_out, error in steps:
        yield StepRun(name, kind, start, seconds, status, rows_out=rows_out, error=error)
        start += timedelta(seconds=seconds)


def _checks_step(report: RunReport, started_at: datetime) -> StepRun:
    start, seconds = _span(report, "checks", started_at)
    blocking = sorted({f"{check.table}.{check.check}" for check in report.checks if check.blocks})
    status = "failed" if blocking else "ok"
    error = f"blocking checks failed: {', '.join(blocking)}" if blocking else None
    return StepRun(
        "checks", "checks", start, seconds, status, rows_in=len(report.checks), error=error
    )


def _append(lh: Lakehouse, ref: TableRef, schema: pa.Schema, run_id: str, rows: list[dict]) -> None:
    """Append `rows` to `ref` in one commit tagged with the run."""
    if not rows:
        return
    batch = f"{ref.name}-{run_id}-{now():%H%M%S%f}-{next(_BATCHES)}"
    table = pa.Table.from_pylist([_scrubbed(row) for row in rows], schema=schema)
    commit_rows(lh, ref, table, batch, {"lakebox.run": run_id})


def _scrubbed(row: dict) -> dict:
    """Return `row` with no value taken from the environment in its text (an error may quote
    a URL, a command its options): what is stored or shown never holds a secret."""
    return {key: scrub(value) if isinstance(value, str) else value for key, value in row.items()}


def recent(lh: Lakehouse, limit: int = 20) -> list[dict]:
    """Return the latest `limit` runs, newest first."""
    if lh.catalog.load(RUNS) is None:
        return []
    lh.refresh()
    sql = f"SELECT * FROM ops.runs ORDER BY started_at DESC LIMIT {int(limit)}"
    return [_scrubbed(row) for row in lh.engine.arrow(sql).to_pylist()]


def run_steps(lh: Lakehouse, run_id: str) -> list[dict]:
    """Return the steps of run `run_id` in the order the run took them."""
    if lh.catalog.load(STEP_RUNS) is None:
        return []
    lh.refresh()
    sql = "SELECT * FROM ops.step_runs WHERE run_id = ? ORDER BY step_number"
    return [_scrubbed(row) for row in lh.engine.arrow(sql, [run_id]).to_pylist()]


def latest_by_pipeline(lh: Lakehouse) -> dict[str, dict]:
    """Return each pipeline's latest run."""
    if lh.catalog.load(RUNS) is None:
        return {}
    lh.refresh()
    sql = (
        "SELECT * FROM ops.runs "
        "QUALIFY row_number() OVER (PARTITION BY pipeline ORDER BY started_at DESC) = 1"
    )
    return {row["pipeline"]: _scrubbed(row) for row in lh.engine.arrow(sql).to_pylist()}
