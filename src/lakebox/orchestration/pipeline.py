"""Run a pipeline: its steps, item by item, each attempt under its timeout, a failed one
retried with backoff; the whole run under the pipeline's lock, recorded in `ops.runs`.

A step is split into units that are retried on their own: `collect:<source>`,
`format:<source>`, `build`, `checks`, `forecast:<name>` and `anomalies` (each kind of step
says how, in `lakebox.orchestration.steps`). `select` keeps only some units (see
`parse_selectors`); what a unit does is only what is stale — a source lands only new
objects, a model is rebuilt only when an input changed, a forecast only when its table did.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime

from lakebox.config.pipelines import SOURCE_STEPS, PipelineConfig
from lakebox.errors import ConfigError, LakeboxError
from lakebox.ground.clock import new_batch_id, now
from lakebox.ground.reporter import NULL_REPORTER, Reporter
from lakebox.lakehouse import Lakehouse
from lakebox.orchestration import history
from lakebox.orchestration.cancel import cancelled
from lakebox.orchestration.deadline import StepTimedOut, deadline
from lakebox.orchestration.history import DEFAULT_PIPELINE
from lakebox.orchestration.lock import PipelineLock
from lakebox.orchestration.openlineage import Events, emitting
from lakebox.orchestration.report import ATTEMPTS, RunReport, StepRun
from lakebox.orchestration.steps import STEPS
from lakebox.orchestration.steps.base import Context, Unit
from lakebox.orchestration.vanished import VANISHED, watch

logger = logging.getLogger(__name__)
# What a selector may start with, and the step kind it means.
_SELECTOR_KINDS = {
    head: step.name
    for step in STEPS.values()
    for head in (step.name, *step.selects, *step.item_selects)
}
# What may start a selector only when an item follows (`model:totals`).
_ITEM_ONLY = {head for step in STEPS.values() for head in step.item_selects}
# The step kind whose item a bare word is (a model's name).
_BARE = next(step.name for step in STEPS.values() if step.bare_items)


@dataclass(frozen=True)
class Selector:
    """`--select` text: a step kind and, optionally, one item of it."""

    kind: str
    item: str | None = None

    def matches(self, unit: Unit) -> bool:
        """Return whether this selector picks `unit` (a build unit: any of its models)."""
        if self.kind != unit.step.kind:
            return False
        if self.item is None or not STEPS[self.kind].by_item:
            return True
        return self.item == unit.item


def unit_name(unit: Unit) -> str:
    """Return the unit's name in run history: `collect:sales`, `build`, `anomalies`."""
    return STEPS[unit.step.kind].unit_name(unit)


def parse_selectors(texts: list[str]) -> list[Selector]:
    """Return the selectors in `texts`: `collect:<source>` (or `source:`), `format:<source>`,
    `build` or `build:<model>` (or `model:`, or a model's bare name), `checks`,
    `forecast:<name>` and `anomalies`; a bare step kind picks all of its items."""
    found = []
    for text in texts:
        head, _, item = text.strip().partition(":")
        if head in _SELECTOR_KINDS and (item or head not in _ITEM_ONLY):
            found.append(Selector(_SELECTOR_KINDS[head], item or None))
        elif item:
            raise ConfigError(
                f"--select {text!r}: {head!r} is not a step kind",
                hint=f"use one of {', '.join(sorted(_SELECTOR_KINDS))}, or a model's name",
                field="--select",
            )
        else:
            found.append(Selector(_BARE, text.strip()))
    return found


def pipeline_config(lh: Lakehouse, name: str) -> PipelineConfig:
    """Return pipeline `name` of lakebox.yaml; `default` (unless declared) is the whole path."""
    if name in lh.config.pipelines:
        return lh.config.pipelines[name]
    if name == DEFAULT_PIPELINE:
        return PipelineConfig()
    known = ", ".join(sorted(lh.config.pipelines)) or "none declared"
    raise ConfigError(
        f"no pipeline named {name!r} (pipelines: {known})",
        hint="declare it under 'pipelines:' in lakebox.yaml (docs/pipelines.md)",
        field="pipelines",
    )


def units_of(lh: Lakehouse, pipeline: PipelineConfig, select: list[str] | None) -> list[Unit]:
    """Return the units of `pipeline`'s steps, in order; with `select`, only those picked."""
    units = [unit for step in pipeline.steps for unit in STEPS[step.kind].units(lh, step)]
    if not select:
        return units
    selectors = parse_selectors(select)
    for selector in selectors:
        if not any(selector.matches(unit) for unit in units):
            shown = selector.kind + (f":{selector.item}" if selector.item else "")
            raise ConfigError(
                f"--select {shown}: the pipeline has no such step",
                hint=f"its steps: {', '.join(step.name for step in pipeline.steps)}",
                field="--select",
            )
    return [_narrowed(unit, selectors) for unit in units if _picked(unit, selectors)]


def _of_sources(units: list[Unit], sources: list[str], config: PipelineConfig) -> list[Unit]:
    """Return `units` less the collecting and formatting of sources not in `sources`."""
    collected = {unit.item for unit in units if unit.step.kind in SOURCE_STEPS}
    for source in sources:
        if source not in collected:
            raise ConfigError(
                f"--source {source}: no step run here collects or formats it",
                hint=f"its steps: {', '.join(step.name for step in config.steps)}",
                field="--source",
            )
    return [unit for unit in units if unit.step.kind not in SOURCE_STEPS or unit.item in sources]


def _picked(unit: Unit, selectors: list[Selector]) -> bool:
    return any(selector.matches(unit) for selector in selectors)


def _narrowed(unit: Unit, selectors: list[Selector]) -> Unit:
    """Return `unit` as the selectors of its kind leave it (a build unit: limited to the
    models selected by name)."""
    items = [selector.item for selector in selectors if selector.kind == unit.step.kind]
    return STEPS[unit.step.kind].narrowed(unit, items)


def run_pipeline(
    lh: Lakehouse,
    name: str = DEFAULT_PIPELINE,
    select: list[str] | None = None,
    force: bool = False,
    reporter: Reporter = NULL_REPORTER,
    wait: bool | float = False,
    command: str = "run",
    sources: list[str] | None = None,
) -> RunReport:
    """Run pipeline `name` (only the units `select` picks; collecting and formatting only
    `sources`, when given) and return its report.

    Holds the pipeline's lock (waiting as `wait` allows, else `RunLocked`) and records the
    run in `ops.runs` and `ops.step_runs`, as failed if it raises."""
    config = pipeline_config(lh, name)
    units = units_of(lh, config, select)
    if sources:
        units = _of_sources(units, sources, config)
    return execute(lh, name, config, units, force, reporter, wait, command)


def execute(
    lh: Lakehouse,
    name: str,
    config: PipelineConfig,
    units: list[Unit],
    force: bool = False,
    reporter: Reporter = NULL_REPORTER,
    wait: bool | float = False,
    command: str = "run",
) -> RunReport:
    """Run `units` of pipeline `name` in order under its lock, recorded in the run history."""
    report = RunReport(new_batch_id(now()))
    context = Context(_sources_of(lh, units), force, reporter)
    with (
        PipelineLock(lh, name, wait),
        history.recording(lh, name, command, report),
        emitting(lh, name, command, report) as events,
    ):
        for unit in units:
            STEPS[unit.step.kind].known(lh, unit)  # the caller's mistake: raise it at once
        for unit in units:
            watched = watch(lh, unit, unit_name(unit))
            _attempts(lh, config, unit, report, context, events)
            report.add(VANISHED, *watched.vanished(lh))
    return report


def _sources_of(lh: Lakehouse, units: list[Unit]) -> list[str]:
    """Return the sources a run collects or formats (all of them when it does neither):
    the build step checks their formatted tables before building on them."""
    named = [unit.item for unit in units if unit.step.kind in SOURCE_STEPS]
    return list(dict.fromkeys(item for item in named if item)) or list(lh.config.formatted_sources)


def _attempts(
    lh: Lakehouse,
    config: PipelineConfig,
    unit: Unit,
    report: RunReport,
    context: Context,
    events: Events,
) -> None:
    """Run `unit`, again after a failure while retries remain (waiting the backoff); keep
    the last attempt's results in `report` and each earlier one as a retried step. Each
    attempt is a run of its own in the OpenLineage `events`."""
    tries = config.retries_of(unit.step) + 1
    for attempt in range(1, tries + 1):
        cancelled.check()
        started_at, started = now(), time.monotonic()
        step = events.step_started(unit, attempt)
        part, error, raised = _attempt(lh, config, unit, report, context)
        seconds = time.monotonic() - started
        events.step_ended(step, part, error)
        if error is None or attempt == tries:
            report.merge(part)
            if raised:  # what it did before it raised is kept; the failure is its own row
                report.add(ATTEMPTS, _step_run(unit, started_at, seconds, "failed", error))
            return
        report.merge(_kept(part))
        report.add(ATTEMPTS, _step_run(unit, started_at, seconds, "retried", error))
        pause = config.backoff_seconds(unit.step, attempt)
        logger.warning(
            "%s failed (attempt %d of %d): %s; again in %.1fs",
            unit_name(unit),
            attempt,
            tries,
            error,
            pause,
        )
        time.sleep(pause)


def _attempt(
    lh: Lakehouse, config: PipelineConfig, unit: Unit, run: RunReport, context: Context
) -> tuple[RunReport, str | None, bool]:
    """Return what one attempt of `unit` did, its failure (None if it succeeded) and
    whether it raised (an error, or its timeout)."""
    part = RunReport(run.run_id)
    try:
        with deadline(lh, config.timeout_seconds(unit.step), unit_name(unit)):
            STEPS[unit.step.kind].run(lh, unit, part, run, context)
    except (LakeboxError, StepTimedOut) as raised:
        return part, str(raised) or type(raised).__name__, True
    return part, _retryable(part), False


def _retryable(part: RunReport) -> str | None:
    """Return the failure of an attempt that another attempt may not have (a source that
    could not be collected). A file that failed to format, or a model, forecast or rule that
    failed, is recorded, not retried: its data or SQL would fail again (an attempt that
    raised or timed out is retried, whatever its step)."""
    return next((o.error for o in part.outcomes if o.kind.retried and o.error), None)


def _kept(part: RunReport) -> RunReport:
    """Return what a retried attempt did that stays done and is not reported again by the
    next: the objects it formatted and what it landed (a model it built is reported by the
    next attempt, as `fresh`)."""
    kept = RunReport(part.run_id)
    kept.outcomes = [outcome for outcome in part.outcomes if outcome.kind.lasting(outcome.result)]
    lasting = tuple(prefix for step in STEPS.values() for prefix in step.lasting_spans)
    kept.spans = {name: span for name, span in part.spans.items() if name.startswith(lasting)}
    kept.seconds = sum(span.seconds for span in kept.spans.values())
    return kept


def _step_run(unit: Unit, started_at: datetime, seconds: float, status: str, error: str) -> StepRun:
    name = unit_name(unit)
    return StepRun(name, name.partition(":")[0], started_at, seconds, status, error=error)
