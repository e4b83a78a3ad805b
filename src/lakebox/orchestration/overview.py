"""The project's pipelines at a glance: steps, schedule, next due time and latest run."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from lakebox.config.pipelines import PipelineConfig
from lakebox.config.schedule import Schedule
from lakebox.lakehouse import Lakehouse
from lakebox.orchestration import history
from lakebox.orchestration.history import DEFAULT_PIPELINE


@dataclass
class PipelineStatus:
    """One pipeline: how it is declared, when it is next due, how its latest run went."""

    name: str
    description: str
    steps: list[str]
    schedule: str | None
    next_run: datetime | None
    last_status: str | None
    last_started_at: datetime | None
    last_run_id: str | None


def pipelines(lh: Lakehouse, moment: datetime | None = None) -> list[PipelineStatus]:
    """Return the declared pipelines (and `default`, the whole path, when it has run)."""
    moment = moment or datetime.now(UTC)
    latest = history.latest_by_pipeline(lh)
    declared = dict(lh.config.pipelines)
    if DEFAULT_PIPELINE not in declared and (DEFAULT_PIPELINE in latest or not declared):
        declared[DEFAULT_PIPELINE] = PipelineConfig(description="The whole data path.")
    return [
        _status(name, config, latest.get(name), moment) for name, config in sorted(declared.items())
    ]


def _status(
    name: str, config: PipelineConfig, last: dict[str, Any] | None, moment: datetime
) -> PipelineStatus:
    schedule = Schedule.parse(config.schedule) if config.schedule else None
    return PipelineStatus(
        name=name,
        description=config.description or "",
        steps=[step.name for step in config.steps],
        schedule=config.schedule,
        next_run=schedule.next_after(moment) if schedule else None,
        last_status=last["status"] if last else None,
        last_started_at=last["started_at"] if last else None,
        last_run_id=last["run_id"] if last else None,
    )
