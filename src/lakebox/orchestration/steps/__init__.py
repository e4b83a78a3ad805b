"""The kinds of pipeline step, one module each, in the order of the data path:

collect (land a source's new objects and format them) → format (only what is landed) →
build (check the formatted inputs, resolve the entities, build the stale models) → checks
(the declared checks of the tables not checked yet in this run) → forecasts → anomalies.

A new kind is a module declaring its `Step`, listed in `STEPS` (and its name in the config's
`STEP_KINDS`, which orders and validates the steps of lakebox.yaml)."""

from __future__ import annotations

from lakebox.orchestration.steps import anomalies, build, checks, collect, forecasts
from lakebox.orchestration.steps import format as format_step
from lakebox.orchestration.steps.base import Step

# Every kind of step by name, in data-path order (the same order as `STEP_KINDS`).
STEPS: dict[str, Step] = {
    module.STEP.name: module.STEP
    for module in (collect, format_step, build, checks, forecasts, anomalies)
}
