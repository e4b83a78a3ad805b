"""The `pipelines:` section of lakebox.yaml: named runs of steps, their schedule and their
retry, backoff and timeout policy."""

from __future__ import annotations

import itertools
import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from lakebox.config.base import Strict
from lakebox.config.durations import duration_seconds
from lakebox.config.schedule import Schedule

# The data path: a pipeline's steps are written, and run, in this order.
STEP_KINDS = ("collect", "format", "build", "checks", "forecasts", "anomalies", "maintain")
# The steps that work on a source (their items are source names).
SOURCE_STEPS = ("collect", "format")
StepKind = Literal["collect", "format", "build", "checks", "forecasts", "anomalies", "maintain"]
PIPELINE_NAME = re.compile(r"^[a-z][a-z0-9_-]*$")
# The pipeline `lakebox run` runs when none is named: the whole data path.
DEFAULT_PIPELINE = "default"
# How long one attempt of a step may take when the pipeline does not say: a runaway step
# (a source that never stops sending, a query that never ends) never holds a run for ever.
DEFAULT_STEP_TIMEOUT = "2h"


def _positive_duration(value: float | str | None) -> float | str | None:
    if value is not None and duration_seconds(value) <= 0:
        raise ValueError(f"{value!r} must be longer than zero")
    return value


class StepConfig(Strict):
    """One step: its kind, the items it covers (None: all of them) and its own policy.

    In YAML a step is written `build` (every item), `collect: sales` or `collect: [a, b]`,
    optionally with `retries`, `backoff` and `timeout` beside the kind (and, on a build
    step, `full_refresh: true` to rebuild its models in full every time)."""

    kind: StepKind
    items: list[str] | None = None
    retries: int | None = Field(default=None, ge=0)
    backoff: float | str | None = None
    timeout: float | str | None = None
    full_refresh: bool = False

    @model_validator(mode="before")
    @classmethod
    def _short_forms(cls, value: object) -> object:
        if isinstance(value, str):
            return {"kind": value}
        if not isinstance(value, dict) or "kind" in value:
            return value
        kinds = [key for key in value if key in STEP_KINDS]
        if len(kinds) != 1:
            raise ValueError(
                f"a step names exactly one of {', '.join(STEP_KINDS)} (found {kinds or 'none'})"
            )
        rest = {key: item for key, item in value.items() if key != kinds[0]}
        items = value[kinds[0]]
        if items in (None, "all", "*"):
            items = None
        elif isinstance(items, str):
            items = [items]
        return {"kind": kinds[0], "items": items, **rest}

    @field_validator("backoff", "timeout")
    @classmethod
    def _durations(cls, value: float | str | None) -> float | str | None:
        if value is not None:
            duration_seconds(value)
        return _positive_duration(value) if value is not None else value

    @model_validator(mode="after")
    def _full_refresh_builds(self) -> StepConfig:
        if self.full_refresh and self.kind != "build":
            raise ValueError("full_refresh applies to a build step only")
        return self

    @property
    def name(self) -> str:
        """Return how the step is written: `build`, `collect: sales, stock`."""
        return self.kind if self.items is None else f"{self.kind}: {', '.join(self.items)}"


def whole_path() -> list[StepConfig]:
    """Return the steps of the default pipeline: the data path on everything (collecting
    formats; building checks what it builds and what it builds on)."""
    return [
        StepConfig(kind=kind) for kind in STEP_KINDS if kind not in ("format", "checks", "maintain")
    ]


class PipelineConfig(Strict):
    """A named pipeline: steps in data-path order, an optional schedule, and how a step that
    fails is retried (`retries` more times, waiting `backoff` then twice as long each time, at
    most `max_backoff`) and how long one attempt may take (`timeout`)."""

    description: str | None = None
    schedule: str | None = None
    steps: list[StepConfig] = Field(default_factory=whole_path)
    retries: int = Field(default=0, ge=0)
    backoff: float | str = "10s"
    max_backoff: float | str = "10m"
    timeout: float | str | None = DEFAULT_STEP_TIMEOUT  # None (`null`): no limit
    run_timeout: float | str | None = None

    @field_validator("schedule")
    @classmethod
    def _valid_schedule(cls, value: str | None) -> str | None:
        if value is not None:
            Schedule.parse(value)
        return value

    @field_validator("backoff", "max_backoff")
    @classmethod
    def _backoff(cls, value: float | str) -> float | str:
        if duration_seconds(value) < 0:
            raise ValueError(f"{value!r} must not be negative")
        return value

    @field_validator("timeout", "run_timeout")
    @classmethod
    def _timeouts(cls, value: float | str | None) -> float | str | None:
        return _positive_duration(value)

    @field_validator("steps")
    @classmethod
    def _in_data_path_order(cls, steps: list[StepConfig]) -> list[StepConfig]:
        if not steps:
            raise ValueError("a pipeline needs at least one step")
        for earlier, later in itertools.pairwise(steps):
            if STEP_KINDS.index(later.kind) < STEP_KINDS.index(earlier.kind):
                raise ValueError(
                    f"step {later.kind!r} cannot come after {earlier.kind!r}: steps follow "
                    f"the data path ({' → '.join(STEP_KINDS)})"
                )
        return steps

    def retries_of(self, step: StepConfig) -> int:
        """Return how many times a failed attempt of `step` is tried again."""
        return self.retries if step.retries is None else step.retries

    def backoff_seconds(self, step: StepConfig, attempt: int) -> float:
        """Return the wait before attempt `attempt` + 1 of `step` (attempts count from 1)."""
        first = duration_seconds(self.backoff if step.backoff is None else step.backoff)
        return min(first * 2 ** (attempt - 1), duration_seconds(self.max_backoff))

    def timeout_seconds(self, step: StepConfig) -> float | None:
        """Return how long one attempt of `step` may take (None: no limit)."""
        limit = self.timeout if step.timeout is None else step.timeout
        return None if limit is None else duration_seconds(limit)


def check_references(
    pipelines: dict[str, PipelineConfig],
    known: dict[str, set[str]],
) -> None:
    """Raise ValueError for a pipeline name that is not a plain name, or a step naming a
    source, forecast or anomaly rule that `known` (kind → names) does not have."""
    for name, pipeline in pipelines.items():
        if not PIPELINE_NAME.match(name):
            raise ValueError(f"pipeline name {name!r}: use lower-case letters, digits, '_' and '-'")
        for step in pipeline.steps:
            names = known.get(step.kind)
            unknown = [item for item in step.items or () if names is not None and item not in names]
            if unknown:
                raise ValueError(
                    f"pipeline {name!r}, step {step.kind!r}: no {step.kind} item {unknown[0]!r} "
                    f"(known: {', '.join(sorted(names or ())) or 'none'})"
                )
