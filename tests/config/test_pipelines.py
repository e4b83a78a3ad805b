"""`pipelines:` in lakebox.yaml: step short forms, data-path order, known items, policies."""

from __future__ import annotations

import pytest

from lakebox.config import parse
from lakebox.config.durations import duration_seconds
from lakebox.config.pipelines import PipelineConfig, StepConfig
from lakebox.errors import ConfigError

SOURCES = "sources: {sales: {kind: files, path: in/*.csv}}\n"


def test_steps_have_short_forms_and_their_own_policy():
    config = parse(
        SOURCES
        + """
pipelines:
  hourly:
    schedule: "0 * * * *"
    retries: 2
    backoff: 5s
    timeout: 10m
    steps:
      - collect: sales
      - {build: all, retries: 0, timeout: 90}
      - anomalies
"""
    )
    pipeline = config.pipelines["hourly"]
    collect, build, anomalies = pipeline.steps
    assert (collect.kind, collect.items, build.items, anomalies.kind) == (
        "collect",
        ["sales"],
        None,
        "anomalies",
    )
    assert (pipeline.retries_of(collect), pipeline.retries_of(build)) == (2, 0)
    assert (pipeline.timeout_seconds(collect), pipeline.timeout_seconds(build)) == (600, 90)
    assert [pipeline.backoff_seconds(collect, n) for n in (1, 2, 3)] == [5, 10, 20]


def test_backoff_doubles_up_to_its_ceiling():
    pipeline = PipelineConfig(backoff="1m", max_backoff="3m")
    step = StepConfig(kind="build")
    assert [pipeline.backoff_seconds(step, n) for n in (1, 2, 3, 4)] == [60, 120, 180, 180]


def test_the_default_pipeline_is_the_whole_data_path():
    assert [step.kind for step in PipelineConfig().steps] == [
        "collect",
        "build",
        "forecasts",
        "anomalies",
    ]


@pytest.mark.parametrize(
    ("pipelines", "message"),
    [
        ("{p: {steps: [build, collect]}}", "step 'collect' cannot come after 'build'"),
        ("{p: {steps: [{collect: nope}]}}", "no collect item 'nope' \\(known: sales\\)"),
        ("{p: {steps: [{collect: sales, build: all}]}}", "exactly one of"),
        ("{p: {schedule: 'every day'}}", "'day' is not a duration"),
        ("{p: {schedule: '61 * * * *'}}", "not a cron expression"),
        ("{p: {timeout: 0}}", "must be longer than zero"),
        ("{p: {backoff: soon}}", "not a duration"),
        ("{p: {steps: []}}", "at least one step"),
        ("{Bad Name: {}}", "pipeline name 'Bad Name'"),
        ("{p: {steps: [{forecasts: nope}]}}", "no forecasts item 'nope'"),
    ],
)
def test_mistakes_are_named(pipelines, message):
    with pytest.raises(ConfigError, match=message):
        parse(SOURCES + f"pipelines: {pipelines}\n")


def test_an_error_names_the_line_of_the_pipeline():
    with pytest.raises(ConfigError, match=r"lakebox.yaml:4: pipelines.p.schedule"):
        parse(SOURCES + "pipelines:\n  p:\n    schedule: nope\n")


@pytest.mark.parametrize(
    ("text", "seconds"),
    [(30, 30.0), ("90s", 90.0), ("10 min", 600.0), ("2h", 7200.0), ("1.5 d", 129600.0)],
)
def test_durations(text, seconds):
    assert duration_seconds(text) == seconds
