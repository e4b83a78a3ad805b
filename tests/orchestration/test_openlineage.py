"""OpenLineage events of real runs: a small project (a files source, its formatted table, a
model) and the demo send START then COMPLETE or FAIL for every step to a real HTTP receiver on
127.0.0.1 and to an NDJSON file, each event valid against the OpenLineage JSON schema; a
receiver that is down, fails or hangs never fails the run."""

from __future__ import annotations

import logging
import subprocess
import sys
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

from lakebox.lakehouse import Lakehouse
from lakebox.orchestration.openlineage_events import RUN_IDS
from lakebox.orchestration.openlineage_facets import TRANSFORMATIONS
from lakebox.orchestration.pipeline import run_pipeline
from lakebox.orchestration.runner import reformat, run
from tests.conftest import free_port, write_file
from tests.orchestration.openlineage_receiver import (
    ENDPOINT,
    Receiver,
    read_events,
    schema_errors,
)

DEMO_LINEAGE = Path(__file__).parents[1] / "exploitation" / "fixtures" / "demo_lineage.yaml"
API_KEY = "ol-secret-key-1234"
SALES = "shop,amount,day,note\nA,1.5,2024-01-01,x\nB,2,2024-01-02,y\nA,4,2024-01-03,z\n"
SOURCES = {
    "sales": {
        "kind": "files",
        "path": "data/*.csv",
        "columns": {
            "store": {"type": "VARCHAR", "rename_from": ["shop"], "description": "The store."},
            "amount": {"type": "DOUBLE"},
            "day": {"type": "DATE"},
        },
    }
}
TOTALS = "SELECT store, sum(amount) AS total FROM formatted.sales WHERE amount > 0 GROUP BY store"


def _project(
    make_project, lineage: dict[str, Any], models: dict[str, str] | None = None, **settings: Any
):
    lh: Lakehouse = make_project(sources=SOURCES, lineage=lineage, **settings)
    write_file(lh.project_dir / "data", "sales.csv", SALES)
    for name, sql in (models or {"totals": TOTALS}).items():
        write_file(lh.project_dir / "models", f"{name}.sql", sql)
    return lh


def _by_job(events: list[dict[str, Any]]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for event in events:
        found.setdefault(event["job"]["name"], []).append(event["eventType"])
    return found


def _last(events: list[dict[str, Any]], job: str) -> dict[str, Any]:
    return [event for event in events if event["job"]["name"] == job][-1]


def _lineage(facet: dict[str, Any]) -> dict[str, list[str]]:
    """Return a column lineage facet as `column: ["table.column SUBTYPE", ...]`, the
    columns shaping every row under "rows"."""
    found = {
        column: [
            f"{f['name']}.{f['field']} {f['transformations'][0]['subtype']}"
            for f in entry["inputFields"]
        ]
        for column, entry in facet["fields"].items()
    }
    shaping = facet.get("dataset", [])
    found["rows"] = [
        f"{f['name']}.{f['field']} {f['transformations'][0]['subtype']}" for f in shaping
    ]
    return found


@pytest.fixture
def receiver():
    with Receiver() as server:
        yield server


def test_every_step_of_a_run_sends_valid_start_and_complete_to_the_receiver_and_the_file(
    make_project, receiver
):
    lh = _project(
        make_project, {"file": "lineage/events.ndjson", "url": receiver.url, "api_key": API_KEY}
    )
    report = run(lh)
    assert report.ok and report.lineage_warnings == []
    events = read_events(lh.project_dir / "lineage" / "events.ndjson")
    assert receiver.events == events  # the same events, in the same order
    assert {path for path, _ in receiver.requests} == {ENDPOINT}
    assert all(h["Authorization"] == f"Bearer {API_KEY}" for _, h in receiver.requests)
    assert [error for event in events for error in schema_errors(event)] == []
    assert _by_job(events) == {
        "default": ["START", "COMPLETE"],
        "default.collect.sales": ["START", "COMPLETE"],
        "default.build": ["START", "COMPLETE"],
        "default.build.totals": ["START", "COMPLETE"],
    }
    assert {event["job"]["namespace"] for event in events} == {"lakebox://test"}


def test_run_ids_come_from_the_lakebox_run_and_each_step_points_to_its_parent(
    make_project, receiver
):
    lh = _project(make_project, {"url": receiver.url})
    report = run(lh)
    events = receiver.events
    ids = {event["job"]["name"]: event["run"]["runId"] for event in events}
    expected = uuid.uuid5(RUN_IDS, f"lakebox://test\n{report.run_id}\n\n1")
    assert ids["default"] == str(expected)
    assert len(set(ids.values())) == len(ids)  # a run id per job
    assert Counter(event["run"]["runId"] for event in events) == Counter(
        {run_id: 2 for run_id in ids.values()}
    )
    step = _last(events, "default.collect.sales")["run"]["facets"]
    assert step["parent"]["run"]["runId"] == ids["default"]
    assert step["parent"]["job"]["name"] == "default"
    model = _last(events, "default.build.totals")["run"]["facets"]
    assert model["parent"]["run"]["runId"] == ids["default.build"]
    assert model["parent"]["root"]["run"]["runId"] == ids["default"]
    tags = {tag["key"]: tag["value"] for tag in model["tags"]["tags"]}
    assert tags["lakebox.run_id"] == report.run_id and tags["lakebox.step"] == "build:totals"


def test_the_formatted_table_and_the_model_carry_schema_and_column_lineage(make_project, receiver):
    lh = _project(make_project, {"url": receiver.url})
    run(lh)
    collect = _last(receiver.events, "default.collect.sales")
    assert [dataset["name"] for dataset in collect["inputs"]] == ["landing.sales"]
    formatted = collect["outputs"][0]
    assert formatted["name"] == "formatted.sales"
    fields = {f["name"]: f for f in formatted["facets"]["schema"]["fields"]}
    assert fields["store"]["type"] == "string" and fields["amount"]["type"] == "double"
    assert fields["store"]["description"] == "The store."
    assert _lineage(formatted["facets"]["columnLineage"]) == {
        "store": ["landing.sales.shop TRANSFORMATION"],
        "amount": ["landing.sales.amount TRANSFORMATION"],
        "day": ["landing.sales.day TRANSFORMATION"],
        "note": ["landing.sales.note IDENTITY"],
        "rows": [],
    }
    model = _last(receiver.events, "default.build.totals")
    assert model["job"]["facets"]["sql"]["query"] == TOTALS
    (source,) = model["inputs"]
    assert source["name"] == "formatted.sales"
    assert source["facets"]["version"]["datasetVersion"] == str(
        lh.catalog.load(lh.table_named("formatted.sales")).current_snapshot().snapshot_id
    )
    (output,) = model["outputs"]
    assert output["name"] == "exploitation.totals"
    assert output["outputFacets"]["outputStatistics"]["rowCount"] == 2
    assert [f["name"] for f in output["facets"]["schema"]["fields"]] == ["store", "total"]
    assert _lineage(output["facets"]["columnLineage"]) == {
        "store": ["formatted.sales.store IDENTITY"],
        "total": ["formatted.sales.amount AGGREGATION"],
        "rows": ["formatted.sales.amount FILTER", "formatted.sales.store GROUP_BY"],
    }


def test_a_failing_model_sends_fail_with_its_error_and_the_others_complete(make_project, receiver):
    models = {"totals": TOTALS, "broken": "SELECT no_such_column FROM formatted.sales"}
    lh = _project(make_project, {"url": receiver.url, "file": "events.ndjson"}, models)
    report = run(lh)
    assert not report.ok and report.lineage_warnings == []
    events = receiver.events
    assert [error for event in events for error in schema_errors(event)] == []
    jobs = _by_job(events)
    assert jobs["default.build.broken"] == ["START", "FAIL"]
    assert jobs["default.build.totals"] == ["START", "COMPLETE"]
    assert jobs["default.build"] == ["START", "FAIL"]
    assert jobs["default"] == ["START", "FAIL"]
    failed = _last(events, "default.build.broken")
    message = failed["run"]["facets"]["errorMessage"]["message"]
    assert "no_such_column" in message
    assert failed["run"]["facets"]["errorMessage"]["programmingLanguage"] == "PYTHON"
    assert failed["outputs"][0]["name"] == "exploitation.broken"
    assert "errorMessage" in _last(events, "default")["run"]["facets"]


@pytest.mark.parametrize("mode", ["down", "fail", "hang"])
def test_a_receiver_down_failing_or_hanging_never_fails_the_run(make_project, mode, caplog):
    with Receiver("fail" if mode == "fail" else "hang") as receiver:
        url = f"http://127.0.0.1:{free_port()}" if mode == "down" else receiver.url
        lineage = {"file": "events.ndjson", "url": url, "api_key": API_KEY, "timeout": 0.5}
        lh = _project(make_project, lineage)
        with caplog.at_level(logging.WARNING):
            report = run(lh)
    assert report.ok
    (warning,) = report.lineage_warnings
    reason = {
        "down": "could not be reached",
        "fail": "answered 500",
        "hang": "no answer",
    }[mode]
    assert "not delivered to http://127.0.0.1:" in warning and reason in warning
    assert warning in caplog.text
    assert API_KEY not in caplog.text and API_KEY not in warning
    events = read_events(lh.project_dir / "events.ndjson")  # the file has them all
    assert _by_job(events)["default"] == ["START", "COMPLETE"]
    assert len(events) == 8


def test_a_file_that_cannot_be_written_is_a_warning(make_project, receiver):
    lh = _project(make_project, {"file": "blocked/events.ndjson", "url": receiver.url})
    (lh.project_dir / "blocked").write_text("a file where the folder should be")
    report = run(lh)
    assert report.ok
    (warning,) = report.lineage_warnings
    assert warning.startswith("OpenLineage events not written to blocked/events.ndjson")
    assert _by_job(receiver.events)["default"] == ["START", "COMPLETE"]


def test_no_events_without_the_section_or_when_disabled(make_project, receiver):
    lh = _project(make_project, {"url": receiver.url, "enabled": False, "file": "events.ndjson"})
    assert run(lh).ok
    assert receiver.events == [] and not (lh.project_dir / "events.ndjson").exists()


def test_a_reformat_is_a_run_with_a_format_step(make_project, receiver):
    lh = _project(make_project, {"url": receiver.url, "namespace": "shop"})
    run(lh)
    receiver.events.clear()
    reformat(lh, ["sales"])
    assert _by_job(receiver.events) == {
        "reformat": ["START", "COMPLETE"],
        "reformat.format.sales": ["START", "COMPLETE"],
    }
    assert {event["job"]["namespace"] for event in receiver.events} == {"shop"}
    assert [error for event in receiver.events for error in schema_errors(event)] == []


# -- the demo --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_events(tmp_path_factory: pytest.TempPathFactory):
    """Run the demo project (its files, its client API, its stream's backlog, its models,
    forecasts and anomaly rules) with events to a receiver; return the events received."""
    from lakebox.demo import DEMO_TOKEN, write_project
    from lakebox.demo.api import SensorService
    from lakebox.demo.fleet import push_backlog
    from lakebox.lakehouse import open_project

    directory = tmp_path_factory.mktemp("demo") / "project"
    with Receiver() as receiver, SensorService(seed=7, token=DEMO_TOKEN) as api:
        write_project(directory, 7, api.url)
        with (directory / "lakebox.yaml").open("a", encoding="utf-8") as project_file:
            project_file.write(f"\nlineage:\n  url: {receiver.url}\n  file: lineage.ndjson\n")
        with open_project(directory) as lh:
            push_backlog(lh, 7)
            report = run(lh)
        return report, receiver.events, read_events(directory / "lineage.ndjson")


@pytest.mark.slow
def test_the_demo_run_s_events_arrive_and_validate(demo_events):
    report, received, written = demo_events
    assert report.ok and report.lineage_warnings == []
    assert received == written
    assert [error for event in received for error in schema_errors(event)] == []
    jobs = _by_job(received)
    assert all(states[0] == "START" and states[-1] == "COMPLETE" for states in jobs.values())
    models = {name.rsplit(".", 1)[1] for name in jobs if name.startswith("default.build.")}
    assert models == {result.model for result in report.models if result.status == "built"}
    assert {"default.collect.materials", "default.forecast.materials", "default.anomalies"} <= set(
        jobs
    )


@pytest.mark.slow
def test_the_demo_s_column_lineage_is_that_of_its_lineage_fixture(demo_events):
    _, received, _ = demo_events
    outputs = {
        dataset["name"]: dataset
        for event in received
        if event["eventType"] == "COMPLETE"
        for dataset in event["outputs"]
    }
    words = {subtype: how for how, (_, subtype) in TRANSFORMATIONS.items()}
    expected = yaml.safe_load(DEMO_LINEAGE.read_text(encoding="utf-8"))
    for model, columns in expected.items():
        facet = outputs[f"exploitation.{model}"]["facets"]["columnLineage"]
        found = {
            column: sorted(
                f"{entry.rsplit(' ', 1)[0]} {words[entry.rsplit(' ', 1)[1]]}" for entry in entries
            )
            for column, entries in _lineage(facet).items()
        }
        assert found == {column: sorted(edges or []) for column, edges in columns.items()}, model
    door = _lineage(outputs["formatted.door_counts"]["facets"]["columnLineage"])
    assert door["store_id"] == ["landing.door_counts.store.id TRANSFORMATION"]


def test_the_schema_check_refuses_what_the_spec_refuses(make_project, receiver):
    lh = _project(make_project, {"url": receiver.url})
    run(lh)
    event = _last(receiver.events, "default.build.totals")
    assert schema_errors(event) == []
    broken = {**event, "eventType": "DONE", "run": {"runId": "not-a-uuid"}}
    assert len(schema_errors(broken)) == 2
    facets = event["outputs"][0]["facets"]
    facets["columnLineage"]["fields"]["total"] = {"inputs": []}  # no inputFields
    facets["schema"]["_schemaURL"] = "https://example.com/NotVendored.json#/$defs/X"
    errors = schema_errors(event)
    assert any("'inputFields' is a required property" in error for error in errors)
    assert any("no vendored schema" in error for error in errors)


def test_each_attempt_of_a_retried_step_is_a_run_of_its_own(make_project, receiver):
    source = {"kind": "http", "url": "http://127.0.0.1:9/down", "records": "data", "retries": 0}
    pipeline = {"steps": [{"collect": "items"}], "retries": 2, "backoff": 0}
    lh = make_project({"items": source}, pipelines={"p": pipeline}, lineage={"url": receiver.url})
    report = run_pipeline(lh, "p")
    assert not report.ok and report.lineage_warnings == []
    attempts = [e for e in receiver.events if e["job"]["name"] == "p.collect.items"]
    assert [e["eventType"] for e in attempts] == ["START", "FAIL"] * 3
    assert len({e["run"]["runId"] for e in attempts}) == 3
    tags = [{t["key"]: t["value"] for t in e["run"]["facets"]["tags"]["tags"]} for e in attempts]
    assert [t["lakebox.attempt"] for t in tags] == ["1", "1", "2", "2", "3", "3"]
    assert "land:items" in attempts[-1]["run"]["facets"]["errorMessage"]["message"]
    assert _by_job(receiver.events)["p"] == ["START", "FAIL"]
    assert [error for event in receiver.events for error in schema_errors(event)] == []


def test_a_step_past_its_timeout_sends_fail(make_project, receiver):
    models = {"slow": "SELECT sum(i) AS s FROM range(1e11::BIGINT) t(i)"}
    pipeline = {"steps": ["collect", {"build": "slow", "timeout": 1}]}
    lh = _project(make_project, {"url": receiver.url}, models, pipelines={"p": pipeline})
    report = run_pipeline(lh, "p")
    assert report.error == "build: timed out after 1s"
    build = _last(receiver.events, "p.build")
    assert build["eventType"] == "FAIL"
    assert build["run"]["facets"]["errorMessage"]["message"] == "timed out after 1s"
    assert _by_job(receiver.events)["p"] == ["START", "FAIL"]


def test_without_the_section_a_run_does_not_load_openlineage(make_project):
    lh = make_project(sources=SOURCES)
    write_file(lh.project_dir / "data", "sales.csv", SALES)
    script = (
        "import sys, lakebox\n"
        "from lakebox.orchestration.runner import run\n"
        f"with lakebox.open({str(lh.project_dir)!r}) as lh:\n"
        "    assert run(lh).ok\n"
        "print(sorted(name for name in sys.modules if name.startswith('openlineage')))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
