"""The kinds of pipeline step, one module each, named as the step is in lakebox.yaml, in the
order of the data path:

collect (land a source's new objects and format them) → format (only what is landed) →
build (check the formatted inputs, resolve the entities, build the stale models) → checks
(the declared checks of the tables not checked yet in this run) → forecasts → anomalies.

A new kind is a module here declaring its `STEP`, and its name in the config's `STEP_KINDS`
(which orders and validates the steps of lakebox.yaml)."""

from __future__ import annotations

from importlib import import_module

from lakebox.config.pipelines import STEP_KINDS
from lakebox.orchestration.steps.base import Step

# Every kind of step by name, in data-path order: the module of each kind in `STEP_KINDS`.
STEPS: dict[str, Step] = {kind: import_module(f"{__name__}.{kind}").STEP for kind in STEP_KINDS}
