"""`lakebox dashboards`: lists and validates the project's dashboards."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from lakebox.cli.app import app


def lakebox(*args: str, cwd: Path):
    """Run the CLI in-process (a subprocess costs seconds of imports)."""
    return CliRunner().invoke(app, [*args, "--project", str(cwd)])


def test_valid_dashboards_are_listed_and_run(shop, boards):
    listed = lakebox("dashboards", "--json", "--run", cwd=shop.project_dir)
    assert listed.exit_code == 0, listed.output
    (board,) = json.loads(listed.stdout)
    assert board == {
        "name": "visits",
        "file": "dashboards/visits.yaml",
        "title": "Visits",
        "filters": 5,
        "charts": 3,
        "error": None,
        "failed_charts": {},
    }
    shown = lakebox("dashboards", cwd=shop.project_dir)
    assert shown.exit_code == 0 and "visits" in shown.stdout and "ok" in shown.stdout


def test_an_invalid_dashboard_or_failing_chart_exits_1(shop, boards):
    (boards / "broken.yaml").write_text("title: Broken\ncharts:\n  a: {kind: pie, sql: SELECT 1}\n")
    (boards / "wrong.yaml").write_text(
        "title: Wrong\ncharts:\n  a: {kind: line, x: day, y: visits, sql: SELECT 1 AS day}\n"
    )
    listed = lakebox("dashboards", "--json", "--run", cwd=shop.project_dir)
    assert listed.exit_code == 1
    found = {board["name"]: board for board in json.loads(listed.stdout)}
    assert "broken.yaml:3: charts.a.kind: unknown chart kind 'pie'" in found["broken"]["error"]
    assert found["wrong"]["error"] is None
    assert "no column 'visits'" in found["wrong"]["failed_charts"]["a"]
    assert found["visits"]["failed_charts"] == {}
    shown = lakebox("dashboards", cwd=shop.project_dir)
    assert shown.exit_code == 1 and "invalid" in shown.stdout


def test_no_dashboards_is_fine(tmp_path):
    (tmp_path / "lakebox.yaml").write_text("name: empty\n")
    shown = lakebox("dashboards", cwd=tmp_path)
    assert shown.exit_code == 0 and "no dashboards" in shown.stdout
