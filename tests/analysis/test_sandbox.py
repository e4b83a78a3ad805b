"""Sandboxes: frozen at the snapshots they read, unchanged by new rows, reproducible."""

from __future__ import annotations

import json

import pyarrow as pa
import pytest
from typer.testing import CliRunner

from lakebox.analysis.sandbox import (
    create_sandbox,
    drop_sandbox,
    input_tables,
    list_sandboxes,
    reproduce,
    show_sandbox,
)
from lakebox.cli.app import app
from lakebox.errors import ModelLifecycleError, QueryError
from tests.analysis.conftest import READINGS, SQL, add_rows, project_with_readings, readings


def sorted_rows(table: pa.Table) -> list[dict[str, object]]:
    return table.sort_by([("ts", "ascending"), ("sensor", "ascending")]).to_pylist()


@pytest.fixture
def lh(make_project):
    return project_with_readings(make_project, 48)


def test_a_sandbox_records_its_snapshots_and_ignores_later_rows(lh):
    pinned = lh.catalog.summary(READINGS)["snapshot_id"]
    frozen = create_sandbox(lh, "sensor_a", SQL)
    assert frozen.table == "analytics.sandbox_sensor_a" and frozen.rows == 48
    assert frozen.inputs == {"exploitation.readings": pinned} and frozen.sql == SQL
    before = sorted_rows(lh.query("SELECT * FROM analytics.sandbox_sensor_a"))

    assert add_rows(lh, readings(range(48, 60))) != pinned
    assert sorted_rows(lh.query("SELECT * FROM analytics.sandbox_sensor_a")) == before
    assert sorted_rows(reproduce(lh, "sensor_a")) == before
    again = create_sandbox(lh, "again", SQL, inputs=frozen.inputs)
    assert again.inputs == frozen.inputs
    assert sorted_rows(lh.query("SELECT * FROM analytics.sandbox_again")) == before
    assert create_sandbox(lh, "now", SQL).rows == 60


def test_recreating_while_the_inputs_are_unchanged_gives_the_same_rows(lh):
    first = create_sandbox(lh, "a", SQL)
    rows = sorted_rows(lh.query("SELECT * FROM analytics.sandbox_a"))
    second = create_sandbox(lh, "a", SQL)
    assert second.inputs == first.inputs and second.snapshot_id != first.snapshot_id
    assert sorted_rows(lh.query("SELECT * FROM analytics.sandbox_a")) == rows


def test_a_sandbox_recreated_with_other_columns_has_only_those(lh):
    create_sandbox(lh, "a", SQL)
    create_sandbox(lh, "a", "SELECT sensor, count(*) AS n FROM exploitation.readings GROUP BY 1")
    shown = lh.query("SELECT * FROM analytics.sandbox_a ORDER BY sensor")
    assert shown.column_names == ["sensor", "n"] and shown.num_rows == 2


def test_inputs_are_found_through_ctes_and_unqualified_names(lh):
    sql = "WITH r AS (SELECT * FROM readings) SELECT * FROM r JOIN exploitation.readings USING (ts)"
    assert input_tables(lh, sql) == [READINGS]
    assert input_tables(lh, "SELECT * FROM range(3)") == []
    assert create_sandbox(lh, "numbers", "SELECT * FROM range(3)").inputs == {}


def test_only_reading_sql_and_valid_names_are_accepted(lh):
    with pytest.raises(QueryError, match="only reading statements"):
        create_sandbox(lh, "bad", "DELETE FROM exploitation.readings")
    with pytest.raises(ModelLifecycleError, match="not valid"):
        create_sandbox(lh, "Bad-Name", SQL)
    with pytest.raises(ModelLifecycleError, match="no sandbox named 'missing'"):
        show_sandbox(lh, "missing")


def test_sandboxes_are_listed_shown_and_dropped(lh):
    create_sandbox(lh, "b", SQL)
    create_sandbox(lh, "a", SQL)
    assert [one.name for one in list_sandboxes(lh)] == ["a", "b"]
    drop_sandbox(lh, "a")
    assert [one.name for one in list_sandboxes(lh)] == ["b"]


def test_the_cli_creates_lists_shows_and_drops(lh):
    project = str(lh.project_dir)

    def cli(*args: str) -> str:
        result = CliRunner().invoke(app, ["sandbox", *args, "-p", project])
        assert result.exit_code == 0, result.output
        return result.output

    created = json.loads(cli("create", "a", "--from", SQL, "--json"))
    assert created["rows"] == 48 and list(created["inputs"]) == ["exploitation.readings"]
    assert [one["name"] for one in json.loads(cli("list", "--json"))] == ["a"]
    assert "exploitation.readings" in cli("show", "a")
    assert "dropped sandbox a" in cli("drop", "a")
    missing = CliRunner().invoke(app, ["sandbox", "show", "a", "-p", project])
    assert isinstance(missing.exception, ModelLifecycleError)
