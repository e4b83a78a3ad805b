"""OpenLineage events of a run, when the project has a `lineage:` section (docs/governance.md):
START, then COMPLETE, FAIL or ABORT, for the run, each attempt of each step and each model a
build step rebuilt, with their datasets, schemas and column lineage.

The run tells its `Events` when it and each step start and end; `emitting` gives the run the
events its project asked for. Without a `lineage:` section (or with `enabled: false`) they
tell nobody, and openlineage-python is not even imported. The events themselves are made in
`openlineage_events`, their datasets in `openlineage_facets`, and delivered by
`openlineage_delivery`; nothing there fails or holds up the run.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from lakebox.lakehouse import Lakehouse
from lakebox.orchestration.report import RunReport
from lakebox.orchestration.steps.base import Unit


class Events:
    """What a run tells its OpenLineage events; these tell nobody (no `lineage:` section).
    `openlineage_events.Emitter`, with the same methods, sends them."""

    def run_started(self) -> None:
        """The run started."""

    def step_started(self, unit: Unit, attempt: int = 1) -> object | None:
        """An attempt of `unit` started; return what `step_ended` is given back."""
        return None

    def step_ended(self, step: object | None, part: RunReport, error: str | None) -> None:
        """The attempt `step` ended, having done `part` and failed with `error` (or not)."""

    def run_ended(self, error: BaseException | None) -> None:
        """The run ended, raising `error` (or not)."""

    def close(self) -> None:
        """Wait (boundedly) for the events to be delivered; report what went wrong."""


@contextmanager
def emitting(lh: Lakehouse, pipeline: str, command: str, report: RunReport) -> Iterator[Events]:
    """Within the block, the run of `report` is a job of the project's OpenLineage events:
    START now, and its end when the block ends (as failed or aborted if it raises, then
    re-raised)."""
    events = _events(lh, pipeline, command, report)
    events.run_started()
    try:
        yield events
    except BaseException as error:
        events.run_ended(error)
        events.close()
        raise
    events.run_ended(None)
    events.close()


def _events(lh: Lakehouse, pipeline: str, command: str, report: RunReport) -> Events:
    config = lh.config.lineage
    if config is None or not config.enabled:
        return Events()
    from lakebox.orchestration.openlineage_events import Emitter

    return Emitter(lh, config, pipeline, command, report)
