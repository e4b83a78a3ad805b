"""`ops.runs` and `ops.step_runs`: every run and each of its steps, kept as Iceberg tables."""

from __future__ import annotations

import itertools
import logging
import resource
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from datetime import datetime

import pyarrow as pa

from lakebox.catalog import TableRef
from lakebox.config.pipelines import DEFAULT_PIPELINE as DEFAULT_PIPELINE  # re-exported
from lakebox.ground.clock import now
from lakebox.lakehouse import Lakehouse
from lakebox.orchestration import versions
from lakebox.orchestration.cancel import reason_of
from lakebox.orchestration.report import RunReport, StepRun
from lakebox.orchestration.steps import STEPS
from lakebox.redaction import scrub
from lakebox.tables import commit_rows

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
    """Append the run `report` to `ops.runs` and its steps to `ops.step_runs` (a commit each),
    then what made the table versions it published (`versions`)."""
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
    versions.store(lh, report)


def steps_of(report: RunReport, started_at: datetime) -> list[StepRun]:
    """Return the steps of `report` in the order they ran (retried attempts included)."""
    found = [row for step in STEPS.values() for row in step.rows(report, started_at)]
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
