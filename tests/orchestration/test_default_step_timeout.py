"""A step attempt has a time limit even when its pipeline names none: a source that never
stops sending, or a query that never ends, cannot hold a run for ever."""

from __future__ import annotations

from lakebox.config.pipelines import StepConfig
from lakebox.orchestration.pipeline import pipeline_config


def test_the_default_pipeline_limits_each_step_to_two_hours(make_project):
    lh = make_project()
    pipeline = pipeline_config(lh, "default")
    assert {pipeline.timeout_seconds(step) for step in pipeline.steps} == {7200}


def test_a_named_pipeline_gets_the_default_and_null_turns_it_off(make_project):
    lh = make_project(
        pipelines={
            "nightly": {"steps": ["build"]},
            "unbounded": {"steps": ["build"], "timeout": None},
            "own": {"steps": [{"build": "all", "timeout": "5m"}]},
        }
    )
    build = StepConfig(kind="build")
    assert pipeline_config(lh, "nightly").timeout_seconds(build) == 7200
    assert pipeline_config(lh, "unbounded").timeout_seconds(build) is None
    own = pipeline_config(lh, "own")
    assert own.timeout_seconds(own.steps[0]) == 300
