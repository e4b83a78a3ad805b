"""The OpenLineage events of a run (see `lakebox.orchestration.openlineage`): the run is a job
(named as its pipeline), each attempt of a step a job of its own (`<pipeline>.collect.sales`,
`<pipeline>.build`, `<pipeline>.forecast.demand`) and each model a build step rebuilt one more
(`<pipeline>.build.totals`), each with START then COMPLETE, FAIL or ABORT.

A step's run points to the run's (its parent and root: `ParentRunFacet`), a model's to its
build step's. Run ids are UUIDs made from the namespace, lakebox's run id and the step, so the
same run always gets the same ids; the lakebox run id is a tag of each run (`lakebox.run_id`).
The datasets and their facets are those of `openlineage_facets`.

Emitting never fails or holds up the run: whatever goes wrong making or delivering an event
becomes a warning, logged and kept in the run report (`lineage_warnings`).
"""

from __future__ import annotations

import functools
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeVar

from openlineage.client.event_v2 import Job, Run, RunEvent, RunState
from openlineage.client.facet_v2 import (
    error_message_run,
    job_type_job,
    parent_run,
    processing_engine_run,
    sql_job,
    tags_run,
)
from openlineage.client.generated.base import BaseFacet

from lakebox.config.lineage import LineageConfig
from lakebox.errors import RunTerminated
from lakebox.ground.clock import now
from lakebox.ground.version import __version__
from lakebox.lakehouse import Lakehouse
from lakebox.orchestration import openlineage_facets as facets
from lakebox.orchestration.cancel import reason_of
from lakebox.orchestration.openlineage_delivery import Delivery
from lakebox.orchestration.openlineage_facets import Built, Datasets
from lakebox.orchestration.report import LINEAGE_WARNINGS, RunReport
from lakebox.orchestration.steps import STEPS
from lakebox.orchestration.steps.base import Unit
from lakebox.redaction import scrub

logger = logging.getLogger(__name__)
PRODUCER = f"urn:lakebox:{__version__}"
INTEGRATION = "LAKEBOX"
# The ids of lakebox's runs: uuid5 of the namespace, lakebox's run id and the step in it.
RUN_IDS = uuid.UUID("6f1c2a52-5d0e-4b8e-9a57-1a4e3c7b9d21")
_ABORTED = (RunTerminated, KeyboardInterrupt, SystemExit)
_Result = TypeVar("_Result")


def _quietly(method: Callable[..., _Result]) -> Callable[..., _Result | None]:
    """Make `method` of an emitter never raise: an error becomes one of its problems."""

    @functools.wraps(method)
    def guarded(self: Emitter, *args: Any, **kwargs: Any) -> _Result | None:
        try:
            return method(self, *args, **kwargs)
        except Exception as error:  # an event not made must never fail the run
            logger.warning("OpenLineage: %s", error, exc_info=True)
            self.problems.append(f"OpenLineage events could not be made: {scrub(str(error))}")
            return None

    return guarded


@dataclass(frozen=True)
class Identity:
    """A job and one run of it: what an event, and a child's parent facet, names."""

    job: str
    run_id: str


@dataclass
class StepEvents:
    """A step's attempt whose START was sent: its run and when it started."""

    unit: Unit
    identity: Identity
    started_at: datetime
    attempt: int = 1
    ended: bool = False


@dataclass
class Emitter:
    """The OpenLineage events of one run (see the module's docstring)."""

    lh: Lakehouse
    config: LineageConfig
    pipeline: str
    command: str
    report: RunReport
    problems: list[str] = field(default_factory=list)
    steps: list[StepEvents] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.namespace = self.config.namespace_of(self.lh.config.name)
        self.delivery = Delivery(self.config, self.lh.project_dir)
        self.run = Identity(self.pipeline, self._run_id(""))

    @_quietly
    def run_started(self) -> None:
        """Send the run's START."""
        self._send(RunState.START, self.run, now(), self._run_facets(), self._job("DAG"))

    @_quietly
    def step_started(self, unit: Unit, attempt: int = 1) -> StepEvents | None:
        """Send the START of an attempt of `unit`; return it, to end it with `step_ended`."""
        name = STEPS[unit.step.kind].unit_name(unit)
        identity = Identity(
            f"{self.pipeline}.{name.replace(':', '.')}", self._run_id(name, attempt)
        )
        step = StepEvents(unit, identity, now(), attempt)
        self.steps.append(step)
        run_facets = self._run_facets(self.run, step=name, attempt=attempt)
        datasets = _datasets(self, unit, None)
        self._send(
            RunState.START, identity, step.started_at, run_facets, self._job("TASK"), datasets
        )
        return step

    @_quietly
    def step_ended(self, step: StepEvents | None, part: RunReport, error: str | None) -> None:
        """Send the START and end of each model `step` built, then the end of `step` (what
        `part` says it did): COMPLETE, or FAIL with `error` (else the first failure in `part`)."""
        if step is None or step.ended:
            return
        step.ended = True
        if part.models:
            self._models(step, part)
        reason = error or part.error or (None if part.ok else "a blocking check failed")
        name = STEPS[step.unit.step.kind].unit_name(step.unit)
        run_facets = self._run_facets(self.run, name, step.attempt, reason)
        state = RunState.FAIL if reason else RunState.COMPLETE
        datasets = _datasets(self, step.unit, part)
        self._send(state, step.identity, now(), run_facets, self._job("TASK"), datasets)

    @_quietly
    def run_ended(self, error: BaseException | None) -> None:
        """End what is still open (FAIL, or ABORT when the run was stopped), then the run."""
        aborted = isinstance(error, _ABORTED)
        for step in self.steps:
            if not step.ended:
                self._end_open(step, error, aborted)
        reason = reason_of(error) if error is not None else self.report.error
        if reason is None and not self.report.ok:
            reason = "a blocking check failed"
        state = RunState.ABORT if aborted else RunState.FAIL if reason else RunState.COMPLETE
        self._send(state, self.run, now(), self._run_facets(error=reason), self._job("DAG"))

    def close(self) -> None:
        """Wait (boundedly) for the events' delivery; log and report what went wrong."""
        try:
            self.delivery.close()
            self.problems += self.delivery.problems()
        except Exception as error:  # delivery never fails the run
            logger.warning("OpenLineage: %s", error, exc_info=True)
            self.problems.append(f"OpenLineage events may not all be delivered: {error}")
        for problem in dict.fromkeys(self.problems):
            logger.warning("%s", problem)
            self.report.add(LINEAGE_WARNINGS, problem)

    def _models(self, step: StepEvents, part: RunReport) -> None:
        """Send a START and an end for each model of `part` that was built or failed."""
        ran = [result for result in part.models if result.status in ("built", "failed")]
        if not ran:
            return
        traced = facets.traced_models(self.lh, [result.model for result in ran])
        found = part.spans.get("build")
        moment = found.started_at if found is not None else step.started_at
        for result in ran:
            if result.model in traced:
                model, lineage = traced[result.model]
                self._model(step, Built(result, model, lineage), moment)
            moment += timedelta(seconds=result.seconds)

    def _model(self, step: StepEvents, built: Built, started_at: datetime) -> None:
        name = f"build:{built.model.name}"
        identity = Identity(f"{self.pipeline}.build.{built.model.name}", self._run_id(name))
        job = self._job("MODEL", sql=built.model.sql)
        parent = self._run_facets(step.identity, step=name)
        ended_at = started_at + timedelta(seconds=built.result.seconds)
        planned = facets.model_datasets(self.lh, self.namespace, built, facets=False)
        self._send(RunState.START, identity, started_at, parent, job, planned)
        error = built.result.error if built.result.status == "failed" else None
        state = RunState.FAIL if error else RunState.COMPLETE
        run_facets = self._run_facets(step.identity, step=name, error=error)
        datasets = facets.model_datasets(self.lh, self.namespace, built)
        self._send(state, identity, ended_at, run_facets, job, datasets)

    def _end_open(self, step: StepEvents, error: BaseException | None, aborted: bool) -> None:
        """End a step the run left open (it raised): FAIL, or ABORT when the run was
        stopped."""
        step.ended = True
        name = STEPS[step.unit.step.kind].unit_name(step.unit)
        reason = reason_of(error) if error is not None else "the run ended before the step did"
        run_facets = self._run_facets(self.run, name, step.attempt, reason)
        state = RunState.ABORT if aborted else RunState.FAIL
        self._send(state, step.identity, now(), run_facets, self._job("TASK"))

    def _run_id(self, step: str, attempt: int = 1) -> str:
        text = f"{self.namespace}\n{self.report.run_id}\n{step}\n{attempt}"
        return str(uuid.uuid5(RUN_IDS, text))

    def _run_facets(
        self,
        parent: Identity | None = None,
        step: str | None = None,
        attempt: int | None = None,
        error: str | None = None,
    ) -> dict[str, Any]:
        """Return a run's facets: the engine, lakebox's tags, the parent, the error."""
        tags = {"lakebox.run_id": self.report.run_id, "lakebox.pipeline": self.pipeline}
        tags |= (
            {"lakebox.command": self.command} if parent is None else {"lakebox.step": step or ""}
        )
        tags |= {"lakebox.attempt": str(attempt)} if attempt else {}
        found: dict[str, Any] = {
            "processing_engine": processing_engine_run.ProcessingEngineRunFacet(
                version=__version__, name="lakebox", openlineageAdapterVersion=_client_version()
            ),
            "tags": tags_run.TagsRunFacet(
                tags=[
                    tags_run.TagsRunFacetFields(key, value, "LAKEBOX")
                    for key, value in tags.items()
                ]
            ),
        }
        if parent is not None:
            found["parent"] = self._parent(parent)
        if error:
            found["errorMessage"] = error_message_run.ErrorMessageRunFacet(
                message=scrub(error), programmingLanguage="PYTHON"
            )
        return found

    def _parent(self, parent: Identity) -> parent_run.ParentRunFacet:
        return parent_run.ParentRunFacet(
            job=parent_run.Job(namespace=self.namespace, name=parent.job),
            run=parent_run.Run(runId=parent.run_id),
            root=parent_run.Root(
                job=parent_run.RootJob(namespace=self.namespace, name=self.run.job),
                run=parent_run.RootRun(runId=self.run.run_id),
            ),
        )

    def _job(self, kind: str, sql: str | None = None) -> dict[str, Any]:
        found: dict[str, Any] = {
            "jobType": job_type_job.JobTypeJobFacet(
                processingType="BATCH", integration=INTEGRATION, jobType=kind
            )
        }
        if sql is not None:
            found["sql"] = sql_job.SQLJobFacet(query=scrub(sql), dialect="duckdb")
        return found

    def _send(
        self,
        state: RunState,
        identity: Identity,
        moment: datetime,
        run_facets: dict[str, Any],
        job_facets: dict[str, Any],
        datasets: Datasets | None = None,
    ) -> None:
        datasets = datasets or Datasets()
        event = RunEvent(
            eventType=state,
            eventTime=moment.isoformat(),
            run=Run(runId=identity.run_id, facets=run_facets),
            job=Job(namespace=self.namespace, name=identity.job, facets=job_facets),
            inputs=datasets.inputs,
            outputs=datasets.outputs,
            producer=PRODUCER,
        )
        _stamp(event)
        self.delivery.send(event)


def _datasets(emitter: Emitter, unit: Unit, part: RunReport | None) -> Datasets:
    """Return the datasets of a step of `unit`: named only at its START (`part` None), with
    their facets at its end."""
    lh, namespace, full = emitter.lh, emitter.namespace, part is not None
    kind = unit.step.kind
    if kind in ("collect", "format") and unit.item:
        return facets.source_datasets(lh, namespace, unit.item, facets=full)
    if kind == "forecasts" and unit.item:
        return facets.forecast_datasets(lh, namespace, unit.item, facets=full)
    if kind == "anomalies":
        return facets.anomalies_datasets(lh, namespace, unit.step.items, facets=full)
    if kind in ("build", "checks") and part is not None:
        return facets.checks_datasets(lh, namespace, part.checks)
    return Datasets()


def _stamp(event: RunEvent) -> None:
    """Make lakebox the producer of every facet of `event`."""
    groups: list[dict[str, Any] | None] = [event.run.facets, event.job.facets]
    for dataset in [*(event.inputs or []), *(event.outputs or [])]:
        groups += [dataset.facets, getattr(dataset, "inputFacets", None)]
        groups.append(getattr(dataset, "outputFacets", None))
    for group in groups:
        for facet in (group or {}).values():
            if isinstance(facet, BaseFacet):
                facet._producer = PRODUCER


@functools.cache
def _client_version() -> str:
    from importlib.metadata import version

    return version("openlineage-python")
