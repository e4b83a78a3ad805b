"""`Step`: what a kind of pipeline step declares — its name, the units it splits into, which
units a `--select` picks, how a unit runs and the rows its outcomes leave in `ops.step_runs`
— and the `Unit`, one retryable piece of a step."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from lakebox.config.pipelines import StepConfig
from lakebox.ground.reporter import Reporter
from lakebox.lakehouse import Lakehouse
from lakebox.orchestration.report import RunReport, StepRun

# (step, kind, seconds, status, rows out, error) of a step that ran right after the one before
Sequenced = tuple[str, str, float, str, int | None, str | None]


@dataclass(frozen=True)
class Unit:
    """One retryable piece of a step: a source, a forecast, or the whole step."""

    step: StepConfig
    item: str | None = None
    models: frozenset[str] | None = None  # build: only these models (None: every stale one)


@dataclass(frozen=True)
class Context:
    """What every unit of a run gets: the sources it collects or formats (all of them when
    it does neither), whether to redo what is fresh, and where its progress goes."""

    sources: list[str]
    force: bool
    reporter: Reporter


# Run one attempt of a unit, adding what it did to `part` (`run` is the run so far).
Runner = Callable[[Lakehouse, Unit, RunReport, RunReport, Context], None]


def whole(lh: Lakehouse, step: StepConfig) -> list[Unit]:
    """Return the one unit of a step that runs as a whole."""
    return [Unit(step)]


def no_rows(report: RunReport, started_at: datetime) -> Iterable[StepRun]:
    """Return no rows: the step's outcomes are written with another step's."""
    return ()


def accept(lh: Lakehouse, unit: Unit) -> None:
    """Accept any unit: the step names nothing that may not exist."""


def as_is(unit: Unit, items: list[str | None]) -> Unit:
    """Return `unit` as the selectors of its step leave it."""
    return unit


@dataclass(frozen=True)
class Step:
    """A kind of pipeline step (its `name` is its key in lakebox.yaml).

    `selects` are the words a `--select` may start with to mean it (`item_selects`, only
    when an item follows: `model:totals`); `bare_items`, whether a bare word that names no
    step kind is one of its items (a model's name); `label` names its units in the run
    history (`forecast:sales`); `units` splits a step of lakebox.yaml into units; `by_item`,
    whether `--select kind:item` picks the unit of that item (else every unit, `narrowed`
    to the items); `known` raises for a unit naming what does not exist; `run` does one
    attempt; `rows` gives the `ops.step_runs` rows of its outcomes in a report; and
    `lasting_spans` start the names of its spans that stay when an attempt is retried."""

    name: str
    run: Runner
    selects: tuple[str, ...] = ()
    item_selects: tuple[str, ...] = ()
    bare_items: bool = False
    label: str = ""
    units: Callable[[Lakehouse, StepConfig], list[Unit]] = whole
    by_item: bool = True
    narrowed: Callable[[Unit, list[str | None]], Unit] = as_is
    known: Callable[[Lakehouse, Unit], None] = accept
    rows: Callable[[RunReport, datetime], Iterable[StepRun]] = no_rows
    lasting_spans: tuple[str, ...] = ()

    def unit_name(self, unit: Unit) -> str:
        """Return the unit's name in run history: `collect:sales`, `build`, `anomalies`."""
        label = self.label or self.name
        return f"{label}:{unit.item}" if unit.item else label


def span(report: RunReport, name: str, started_at: datetime) -> tuple[datetime, float]:
    """Return when span `name` of `report` started and how long it took (else the run's
    start and no time)."""
    found = report.spans.get(name)
    return (found.started_at, found.seconds) if found else (started_at, 0.0)


def sequence(
    report: RunReport, stage: str, started_at: datetime, steps: Iterable[Sequenced]
) -> Iterator[StepRun]:
    """Yield `steps`, which ran one after another from the start of span `stage`."""
    start, _ = span(report, stage, started_at)
    for name, kind, seconds, status, rows_out, error in steps:
        yield StepRun(name, kind, start, seconds, status, rows_out=rows_out, error=error)
        start += timedelta(seconds=seconds)
