"""Run a pipeline: its steps, item by item, each attempt under its timeout, a failed one
retried with backoff; the whole run under the pipeline's lock, recorded in `ops.runs`.

A step is split into units that are retried on their own: `collect:<source>`,
`format:<source>`, `build`, `checks`, `forecast:<name>` and `anomalies`. `select` keeps only
some units (see `parse_selectors`); what a unit does is only what is stale — a source lands
only new objects, a model is rebuilt only when an input changed, a forecast only when its
table did.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from lakebox.errors import ConfigError, LakeboxError
from lakebox.ground.clock import new_batch_id, now
from lakebox.lakehouse import Lakehouse
from lakebox.orchestration import history, steps
from lakebox.orchestration.cancel import cancelled
from lakebox.orchestration.history import DEFAULT_PIPELINE, StepRun
from lakebox.orchestration.lock import PipelineLock
from lakebox.orchestration.report import Progress, RunReport
from lakebox.orchestration.spec import SOURCE_STEPS, STEP_KINDS, PipelineConfig, StepConfig

logger = logging.getLogger(__name__)
# What a selector may start with, and the step kind it means.
_SELECTOR_KINDS = {
    "collect": "collect",
    "source": "collect",
    "format": "format",
    "build": "build",
    "model": "build",
    "checks": "checks",
    "forecast": "forecasts",
    "forecasts": "forecasts",
    "anomalies": "anomalies",
}


class StepTimedOut(BaseException):
    """An attempt ran past its timeout (a BaseException, so no step code swallows it)."""


@dataclass(frozen=True)
class Unit:
    """One retryable piece of a step: a source, a forecast, or the whole step."""

    step: StepConfig
    item: str | None = None
    models: frozenset[str] | None = None  # build: only these models (None: every stale one)

    @property
    def name(self) -> str:
        """Return the unit's name in run history: `collect:sales`, `build`, `anomalies`."""
        kind = "forecast" if self.step.kind == "forecasts" else self.step.kind
        return f"{kind}:{self.item}" if self.item else kind


@dataclass(frozen=True)
class Selector:
    """`--select` text: a step kind and, optionally, one item of it."""

    kind: str
    item: str | None = None

    def matches(self, unit: Unit) -> bool:
        """Return whether this selector picks `unit` (a build unit: any of its models)."""
        if self.kind != unit.step.kind:
            return False
        if self.item is None or self.kind == "build":
            return True
        return self.item == unit.item


def parse_selectors(texts: list[str]) -> list[Selector]:
    """Return the selectors in `texts`: `collect:<source>` (or `source:`), `format:<source>`,
    `build` or `build:<model>` (or `model:`, or a model's bare name), `checks`,
    `forecast:<name>` and `anomalies`; a bare step kind picks all of its items."""
    found = []
    for text in texts:
        head, _, item = text.strip().partition(":")
        if head in _SELECTOR_KINDS and (item or head != "model"):
            found.append(Selector(_SELECTOR_KINDS[head], item or None))
        elif item:
            raise ConfigError(
                f"--select {text!r}: {head!r} is not a step kind",
                hint=f"use one of {', '.join(sorted(_SELECTOR_KINDS))}, or a model's name",
                field="--select",
            )
        else:
            found.append(Selector("build", text.strip()))
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
    units = [unit for step in pipeline.steps for unit in _expand(lh, step)]
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


def _expand(lh: Lakehouse, step: StepConfig) -> list[Unit]:
    if step.kind in SOURCE_STEPS:
        return [Unit(step, source) for source in step.items or lh.config.sources]
    if step.kind == "forecasts":
        return [Unit(step, name) for name in step.items or sorted(lh.config.forecasts)]
    if step.kind == "anomalies" and not lh.config.anomalies:
        return []
    models = frozenset(step.items) if step.kind == "build" and step.items else None
    return [Unit(step, models=models)]


def _picked(unit: Unit, selectors: list[Selector]) -> bool:
    return any(selector.matches(unit) for selector in selectors)


def _narrowed(unit: Unit, selectors: list[Selector]) -> Unit:
    """Return a build unit limited to the models selected by name (others as they are)."""
    if unit.step.kind != "build":
        return unit
    named = {s.item for s in selectors if s.kind == "build" and s.item is not None}
    if not named or any(s.kind == "build" and s.item is None for s in selectors):
        return unit
    outside = sorted(named - set(unit.models or named))
    if outside:
        raise ConfigError(
            f"--select {outside[0]}: the pipeline's build step does not build it",
            hint=f"it builds: {', '.join(sorted(unit.models or ()))}",
            field="--select",
        )
    return Unit(unit.step, models=frozenset(named))


def run_pipeline(
    lh: Lakehouse,
    name: str = DEFAULT_PIPELINE,
    select: list[str] | None = None,
    force: bool = False,
    progress: Progress | None = None,
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
    return execute(lh, name, config, units, force, progress, wait, command)


def execute(
    lh: Lakehouse,
    name: str,
    config: PipelineConfig,
    units: list[Unit],
    force: bool = False,
    progress: Progress | None = None,
    wait: bool | float = False,
    command: str = "run",
) -> RunReport:
    """Run `units` of pipeline `name` in order under its lock, recorded in the run history."""
    report = RunReport(new_batch_id(now()))
    sources = _sources_of(lh, units)
    with PipelineLock(lh, name, wait), history.recording(lh, name, command, report):
        for unit in units:
            _known(lh, unit)
        for unit in units:
            _attempts(lh, config, unit, report, _Context(sources, force, progress))
    return report


def _known(lh: Lakehouse, unit: Unit) -> None:
    """Raise the caller's mistake at once: a source or model that does not exist."""
    if unit.step.kind in SOURCE_STEPS and unit.item:
        lh.source(unit.item)
    elif unit.models:
        from lakebox.exploitation.builder import unknown_models

        unknown_models(lh, set(unit.models))


@dataclass(frozen=True)
class _Context:
    sources: list[str]
    force: bool
    progress: Progress | None


def _sources_of(lh: Lakehouse, units: list[Unit]) -> list[str]:
    """Return the sources a run collects or formats (all of them when it does neither):
    the build step checks their formatted tables before building on them."""
    named = [unit.item for unit in units if unit.step.kind in SOURCE_STEPS]
    return list(dict.fromkeys(item for item in named if item)) or list(lh.config.sources)


def _attempts(
    lh: Lakehouse, config: PipelineConfig, unit: Unit, report: RunReport, context: _Context
) -> None:
    """Run `unit`, again after a failure while retries remain (waiting the backoff); keep
    the last attempt's results in `report` and each earlier one as a retried step."""
    tries = config.retries_of(unit.step) + 1
    for attempt in range(1, tries + 1):
        cancelled.check()
        started_at, started = now(), time.monotonic()
        part, error, raised = _attempt(lh, config, unit, report, context)
        seconds = time.monotonic() - started
        if error is None or attempt == tries:
            if raised:  # what it did before it raised is kept; the failure is its own row
                report.merge(part)
                report.attempts.append(_step_run(unit, started_at, seconds, "failed", error))
            else:
                report.merge(part)
            return
        report.merge(_kept(part))
        report.attempts.append(_step_run(unit, started_at, seconds, "retried", error))
        pause = config.backoff_seconds(unit.step, attempt)
        logger.warning(
            "%s failed (attempt %d of %d): %s; again in %.1fs",
            unit.name,
            attempt,
            tries,
            error,
            pause,
        )
        time.sleep(pause)


def _attempt(
    lh: Lakehouse, config: PipelineConfig, unit: Unit, run: RunReport, context: _Context
) -> tuple[RunReport, str | None, bool]:
    """Return what one attempt of `unit` did, its failure (None if it succeeded) and
    whether it raised (an error, or its timeout)."""
    part = RunReport(run.run_id)
    try:
        with deadline(lh, config.timeout_seconds(unit.step), unit.name):
            _do(lh, unit, part, run, context)
    except (LakeboxError, StepTimedOut) as raised:
        return part, str(raised) or type(raised).__name__, True
    return part, _retryable(part), False


def _retryable(part: RunReport) -> str | None:
    """Return the failure of an attempt that another attempt may not have: a source that
    could not be collected. A file that failed to format, or a model, forecast or rule that
    failed, is recorded, not retried: its data or SQL would fail again (an attempt that
    raised or timed out is retried, whatever its step)."""
    return next((f"land:{i.source}: {i.error}" for i in part.landing if i.error), None)


def _kept(part: RunReport) -> RunReport:
    """Return what a retried attempt did that stays done and is not reported again by the
    next: the objects it formatted and what it landed (a model it built is reported by the
    next attempt, as `fresh`)."""
    kept = RunReport(part.run_id, formatting=part.formatting)
    kept.landing = [item for item in part.landing if item.error is None]
    kept.spans = {name: span for name, span in part.spans.items() if name.startswith("format:")}
    kept.seconds = sum(span.seconds for span in kept.spans.values())
    return kept


def _step_run(unit: Unit, started_at: datetime, seconds: float, status: str, error: str) -> StepRun:
    kind = unit.name.partition(":")[0]
    return StepRun(unit.name, kind, started_at, seconds, status, error=error)


def _do(lh: Lakehouse, unit: Unit, part: RunReport, run: RunReport, context: _Context) -> None:
    """Do one attempt of `unit`, adding what it did to `part` (`run` is the run so far)."""
    kind, item = unit.step.kind, unit.item
    if kind == "collect" and item:
        steps.collect(lh, item, part, context.progress)
    elif kind == "format" and item:
        steps.format_landed(lh, item, part, context.progress)
    elif kind == "build":
        models = set(unit.models) if unit.models is not None else None
        steps.build(lh, part, context.sources, models, context.force, context.progress)
    elif kind == "checks":
        steps.checks(lh, part, frozenset(check.table for check in run.checks))
    elif kind == "forecasts" and item:
        steps.forecast(lh, part, item, context.force)
    elif kind == "anomalies":
        steps.anomalies(lh, part, unit.step.items)
    else:  # pragma: no cover — units_of makes only the units above
        raise AssertionError(f"unknown unit {unit.name} of {STEP_KINDS}")


@contextmanager
def deadline(lh: Lakehouse, seconds: float | None, what: str) -> Iterator[None]:
    """Stop the block after `seconds` with `StepTimedOut`: a timer signal interrupts the
    engine's running query and raises, again every second until the block ends (code that
    swallows an error cannot outlive it), and whatever the block raises once the time is up
    becomes `StepTimedOut`. It needs the main thread (a signal); elsewhere it is not
    enforced. A timer the process already has (pytest-timeout's, Airflow's) is kept: if it
    is due first, it applies; otherwise it is re-armed, less the time spent, at the end."""
    if seconds is None:
        yield
        return
    if threading.current_thread() is not threading.main_thread():
        logger.warning("%s: timeouts are enforced on the main thread only", what)
        yield
        return
    host_left, host_interval = signal.getitimer(signal.ITIMER_REAL)
    if host_left and host_left <= seconds:
        yield
        return
    message = f"timed out after {seconds:g}s"
    expired = threading.Event()

    def expire(signum: int, frame: object) -> None:
        expired.set()
        lh.engine.connection.interrupt()
        raise StepTimedOut(message)

    started = time.monotonic()
    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds, 1.0)
    try:
        yield
    except BaseException as error:
        if expired.is_set() and not isinstance(error, StepTimedOut):
            raise StepTimedOut(message) from error
        raise
    finally:
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
        try:
            signal.setitimer(signal.ITIMER_REAL, 0)
            if signal.SIGALRM in signal.sigpending():  # arrived while cleaning up: ours
                signal.sigwait({signal.SIGALRM})
            signal.signal(signal.SIGALRM, previous)
            if host_left:
                left = max(host_left - (time.monotonic() - started), 0.001)
                signal.setitimer(signal.ITIMER_REAL, left, host_interval)
        finally:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGALRM})
    if expired.is_set():  # the block swallowed the signal's error and ended late
        raise StepTimedOut(message)
