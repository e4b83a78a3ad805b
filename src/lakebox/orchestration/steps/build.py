"""The `build` step: check the formatted inputs, resolve the entities, then build the stale
models (`build: [a, b]`, or `--select build:a`, only those)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from lakebox.config.pipelines import StepConfig
from lakebox.errors import ConfigError
from lakebox.exploitation import builder
from lakebox.exploitation.builder import BuildResult
from lakebox.integration import entities
from lakebox.integration.entities import EntityResult
from lakebox.lakehouse import Lakehouse
from lakebox.orchestration.report import RunReport, StepRun, outcome_kind, timed
from lakebox.orchestration.steps.base import Context, Sequenced, Step, Unit, sequence
from lakebox.orchestration.steps.checks import CHECKED, check_sources
from lakebox.quality import results as check_results


def _failed(name: str, status: str, error: str | None) -> str | None:
    return f"{name}: {error}" if status == "failed" else None


RESOLVED = outcome_kind(
    "entities", "build", failure=lambda e: _failed(f"entity:{e.entity}", e.status, e.error)
)
BUILT = outcome_kind(
    "models", "build", failure=lambda m: _failed(f"build:{m.model}", m.status, m.error)
)


def build(
    lh: Lakehouse,
    report: RunReport,
    models: set[str] | None,
    context: Context,
    full_refresh: bool = False,
) -> None:
    """Check the formatted tables of the run's sources, resolve the entities, then build the
    stale models (or `models`); what reads a table whose blocking checks failed is skipped.
    A forced run (`--full-refresh`) or a `full_refresh: true` step rebuilds them in full."""
    with timed(report, "checks"):
        found = len(report.checks)
        blocked = check_sources(lh, context.sources, report)
    with timed(report, "entities"):
        resolved = entities.resolve(lh, report.run_id, blocked, context.force)
        report.add(RESOLVED, *resolved)
    blocked |= {ref for result in resolved if result.error for ref in result.tables}
    with timed(report, "build"):
        forced = context.force or full_refresh
        built = builder.build(lh, report.run_id, models, forced, context.reporter, blocked)
        report.add(BUILT, *built)
    report.add(CHECKED, *(check for result in (*resolved, *built) for check in result.checks))
    with timed(report, "checks"):
        check_results.store(lh, report.run_id, report.checks[found:])


def _units(lh: Lakehouse, step: StepConfig) -> list[Unit]:
    return [Unit(step, models=frozenset(step.items) if step.items else None)]


def _known(lh: Lakehouse, unit: Unit) -> None:
    """Raise the caller's mistake at once: a model that does not exist."""
    if unit.models:
        builder.unknown_models(lh, set(unit.models))


def _narrowed(unit: Unit, items: list[str | None]) -> Unit:
    """Return the build unit limited to the models selected by name (as it is when a bare
    `build` is selected too)."""
    named = {item for item in items if item is not None}
    if not named or None in items:
        return unit
    outside = sorted(named - set(unit.models or named))
    if outside:
        raise ConfigError(
            f"--select {outside[0]}: the pipeline's build step does not build it",
            hint=f"it builds: {', '.join(sorted(unit.models or ()))}",
            field="--select",
        )
    return Unit(unit.step, models=frozenset(named))


def _rows(report: RunReport, started_at: datetime) -> Iterator[StepRun]:
    yield from sequence(report, "entities", started_at, _entity_rows(report.entities))
    yield from sequence(report, "build", started_at, _model_rows(report.models))


def _entity_rows(found: list[EntityResult]) -> Iterator[Sequenced]:
    for e in found:
        yield f"entity:{e.entity}", "entity", e.seconds, e.status, e.records, e.error


def _model_rows(found: list[BuildResult]) -> Iterator[Sequenced]:
    for m in found:
        yield f"build:{m.model}", "build", m.seconds, m.status, m.rows, m.error


def _run(lh: Lakehouse, unit: Unit, part: RunReport, run: RunReport, context: Context) -> None:
    models = set(unit.models) if unit.models is not None else None
    build(lh, part, models, context, unit.step.full_refresh)


STEP = Step(
    "build",
    _run,
    item_selects=("model",),
    bare_items=True,
    units=_units,
    by_item=False,
    narrowed=_narrowed,
    known=_known,
    rows=_rows,
)
