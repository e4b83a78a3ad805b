"""End to end: sandbox → train → register → promote → score → the predict endpoint, on data
with a known linear relation (y = 3x + 2), through the Python API, the CLI and HTTP."""

from __future__ import annotations

import json

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from typer.testing import CliRunner

from lakebox.analysis import registry
from lakebox.analysis.sandbox import create_sandbox
from lakebox.analysis.scoring import score
from lakebox.analysis.training import train
from lakebox.cli.app import app
from lakebox.serving.app import create_app
from tests.analysis.conftest import SQL, add_rows, project_with_readings, readings


@pytest.fixture
def lh(make_project):
    return project_with_readings(make_project, 60)


def test_sandbox_train_register_promote_score_and_predict(lh):
    frozen = create_sandbox(lh, "sensor_a", SQL)
    add_rows(lh, [{**row, "y": -1.0} for row in readings(range(60, 80))])  # later, and wrong

    trained = train(lh, "lift", "sensor_a", "y", ["x"], "linear", validation=0.25)
    assert trained.version == 1 and trained.status == "candidate"
    assert trained.training_snapshots == {
        "analytics.sandbox_sensor_a": frozen.snapshot_id,
        **frozen.inputs,
    }
    assert trained.metrics["mae"] == pytest.approx(0, abs=1e-9)
    assert trained.metrics["rows"] == 15 and trained.parameters["split.train_rows"] == 45

    client = TestClient(create_app(lh, timeout=5), base_url="http://127.0.0.1")
    unpromoted = client.post("/api/models/lift/predict", json={"rows": [{"x": 1}]})
    assert unpromoted.status_code == 404 and "no production version" in unpromoted.text

    registry.promote(lh, "lift", 1)
    report = score(lh, "lift", "SELECT ts, sensor, x FROM exploitation.readings WHERE x = 10")
    scored = lh.query("SELECT * FROM analytics.scores_lift").to_pylist()
    assert report.rows == len(scored) == 10 and report.version == 1
    assert {row["model_version"] for row in scored} == {1}
    assert [round(row["prediction"], 6) for row in scored] == [32.0] * 10
    assert set(scored[0]) == {"ts", "sensor", "prediction", "model_version", "scored_at"}

    answer = client.post("/api/models/lift/predict", json={"rows": [{"x": 10}, {"x": 0}]})
    assert answer.status_code == 200
    body = answer.json()
    assert (body["model"], body["version"]) == ("lift", 1)
    assert body["predictions"] == pytest.approx([32.0, 2.0])

    listed = client.get("/api/models").json()
    assert [(m["name"], m["version"], m["status"]) for m in listed] == [("lift", 1, "production")]


def test_the_endpoint_follows_promotions_and_rejects_bad_rows(lh):
    create_sandbox(lh, "sensor_a", SQL)
    train(lh, "lift", "sensor_a", "y", ["x"], "linear")
    add_rows(lh, [{**row, "y": 10 * row["x"]} for row in readings(range(60, 120), ("c",))])
    create_sandbox(lh, "sensor_c", "SELECT * FROM exploitation.readings WHERE sensor = 'c'")
    train(lh, "lift", "sensor_c", "y", ["x"], "ridge", parameters={"alpha": 0.0})
    registry.promote(lh, "lift", 1)
    client = TestClient(create_app(lh, timeout=5), base_url="http://127.0.0.1")

    def predict(rows: list[dict]) -> dict:
        return client.post("/api/models/lift/predict", json={"rows": rows}).json()

    assert predict([{"x": 10}])["predictions"] == pytest.approx([32.0])
    registry.promote(lh, "lift", 2)
    assert predict([{"x": 10}]) == {"model": "lift", "version": 2, "predictions": [100.0]}
    registry.rollback(lh, "lift")
    assert predict([{"x": 10}])["version"] == 1

    missing = client.post("/api/models/lift/predict", json={"rows": [{"x": 1}, {"z": 1}]})
    assert missing.status_code == 422
    assert missing.json()["detail"] == (
        "row 1: missing x; unknown z; model 'lift' v1 takes exactly: x"
    )
    extra = client.post("/api/models/lift/predict", json={"rows": [{"x": 1, "w": 2}]})
    assert extra.status_code == 422 and "unknown w" in extra.json()["detail"]
    empty = client.post("/api/models/lift/predict", json={"rows": [{"x": None}]})
    assert empty.status_code == 422 and "cannot predict" in empty.json()["detail"]
    text = client.post("/api/models/lift/predict", json={"rows": [{"x": "ten"}]})
    assert text.status_code == 422
    unknown = client.post("/api/models/nope/predict", json={"rows": [{"x": 1}]})
    assert unknown.status_code == 404 and "not registered" in unknown.text
    assert [m["version"] for m in client.get("/api/models", params={"name": "lift"}).json()] == [
        1,
        2,
    ]


def test_the_cli_runs_the_whole_lifecycle(lh):
    project = str(lh.project_dir)

    def cli(*args: str) -> str:
        result = CliRunner().invoke(app, [*args, "-p", project])
        assert result.exit_code == 0, result.output
        return result.output

    cli("sandbox", "create", "sensor_a", "--from", SQL, "-q")
    train_args = ["--from", "sensor_a", "--target", "y", "--feature", "x", "--time", "ts"]
    first = json.loads(cli("models", "train", "lift", *train_args, "--model", "linear", "--json"))
    assert first["version"] == 1 and first["metrics"]["mae"] == pytest.approx(0, abs=1e-9)
    second = cli(
        "models",
        "train",
        "lift",
        *train_args,
        "--cutoff",
        "2026-03-03T12:00:00",
        "--param",
        "alpha=0.5",
    )
    assert "model lift v2 (ridge) registered as a candidate" in second
    assert "v1 is in production" in cli("models", "promote", "lift", "1")
    cli("models", "promote", "lift", "2")
    assert "rolled back to v1" in cli("models", "rollback", "lift")
    listed = json.loads(cli("models", "list", "lift", "--json"))
    assert [(v["version"], v["status"]) for v in listed] == [(1, "production"), (2, "archived")]
    assert listed[1]["parameters"]["alpha"] == 0.5
    assert listed[1]["parameters"]["split.cutoff"] == "2026-03-03T12:00:00"
    scored = cli("models", "score", "lift", "--from", "sensor_a", "--key", "ts")
    assert "60 predictions in analytics.scores_lift" in scored
    assert lh.query("SELECT * FROM analytics.scores_lift").column_names == [
        "ts",
        "prediction",
        "model_version",
        "scored_at",
    ]


def test_generated_requests_to_a_served_model_never_make_a_server_error(lh):
    create_sandbox(lh, "sensor_a", SQL)
    train(lh, "lift", "sensor_a", "y", ["x"], "linear")
    registry.promote(lh, "lift", 1)
    schema = schemathesis.openapi.from_asgi(
        "/openapi.json", create_app(lh, timeout=2, allowed_hosts=["testserver"])
    )
    operations = [
        operation.ok()
        for operation in schema.get_all_operations()
        if operation.ok().path.startswith("/api/models")
    ]
    assert len(operations) == 2
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
        def no_server_error(case: schemathesis.Case) -> None:
            if "name" in (case.path_parameters or {}):
                case.path_parameters["name"] = "lift"  # the served model, not a random name
            case.call_and_validate(checks=[not_a_server_error])

        no_server_error()
