"""`lakebox lineage` and `lakebox impact` on the demo project as written (no run needed: the
lineage is what the project declares): a column's upstream tree, JSON rows for scripts, a
consumer as the start, what lies downstream grouped by kind, and an unknown name refused
with the closest ones."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from lakebox.cli.app import app
from lakebox.errors import LineageError
from tests.cli.conftest import lakebox


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from lakebox.demo import write_project

    directory = tmp_path_factory.mktemp("demo")
    write_project(directory, seed=7, api_url="http://127.0.0.1:9")
    return directory


def run(*args: str, cwd: Path) -> Result:
    """Run `lakebox args` on project `cwd` in this process."""
    return CliRunner().invoke(app, [*args, "--project", str(cwd)])


def test_a_columns_lineage_is_a_tree_with_depth_and_how(demo: Path) -> None:
    done = run("lineage", "exploitation.door_readings.ts", cwd=demo)
    assert done.exit_code == 0, done.output
    lines = done.stdout.splitlines()
    assert lines[0] == "exploitation.door_readings.ts (column, upstream)"
    assert any("formatted.door_counts.ts  1 · passed" in line for line in lines)
    # the landing column sits under the formatted one it was cleaned into
    landing = next(n for n, line in enumerate(lines) if "landing.door_counts.ts" in line)
    assert "2 · cast to TIMESTAMP" in lines[landing]
    assert lines[landing].index("landing") > lines[landing - 1].index("formatted")


def test_json_is_a_list_of_rows_with_table_column_and_depth(demo: Path) -> None:
    done = run(
        "lineage", "exploitation.traffic_store_daily.visitors", "--depth", "2", "--json", cwd=demo
    )
    assert done.exit_code == 0, done.output
    rows = json.loads(done.stdout)
    assert rows[0] == {
        "id": "exploitation.traffic_sensor_daily.visitors",
        "kind": "column",
        "table": "exploitation.traffic_sensor_daily",
        "column": "visitors",
        "depth": 1,
        "how": "aggregated",
        "via": "exploitation.traffic_store_daily.visitors",
    }
    assert {row["depth"] for row in rows} == {1, 2}


def test_a_dashboard_is_a_start_and_downstream_reaches_consumers(demo: Path) -> None:
    done = run("lineage", "dashboard:store-traffic", "--json", cwd=demo)
    upstream = {row["id"] for row in json.loads(done.stdout)}
    assert "landing.door_counts_live.count" in upstream  # back to the client API's objects
    done = run("lineage", "formatted.door_counts.count", "--downstream", "--json", cwd=demo)
    downstream = {row["id"]: row for row in json.loads(done.stdout)}
    assert downstream["chart:store-traffic/visitors"]["table"] == "chart:store-traffic/visitors"
    assert downstream["chart:store-traffic/visitors"]["column"] is None
    assert "anomaly:store_days" in downstream


def test_impact_lists_what_a_change_would_touch_by_kind(demo: Path) -> None:
    done = run("impact", "formatted.door_counts.count", "--json", cwd=demo)
    assert done.exit_code == 0, done.output
    found = json.loads(done.stdout)
    groups = {group["group"]: group for group in found["groups"]}
    assert list(groups) == ["columns", "checks", "dashboards", "charts", "anomalies"]
    charts = {item["id"] for item in groups["charts"]["items"]}
    assert "chart:store-traffic/visitors" in charts
    text = run("impact", "formatted.door_counts.count", cwd=demo).stdout
    assert f"{found['count']} downstream of formatted.door_counts.count" in text
    assert "Anomaly rules (3)" in text
    assert "exploitation.door_readings" in text
    alone = run("impact", "chart:store-traffic/visitors", cwd=demo)
    assert "nothing downstream of chart:store-traffic/visitors" in alone.stdout


def test_an_unknown_name_is_refused_with_the_closest(demo: Path) -> None:
    done = lakebox("lineage", "exploitation.traffic_store_daily.visitor", cwd=demo)
    assert done.returncode == 1
    assert "no table, column or consumer named" in done.stderr
    assert "exploitation.traffic_store_daily.visitors" in done.stderr
    assert "Traceback" not in done.stderr
    assert lakebox("impact", "nope", "--json", cwd=demo).returncode == 1
    assert isinstance(run("impact", "nope", cwd=demo).exception, LineageError)
