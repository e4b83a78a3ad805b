"""`lakebox anomalies`: runs the declared rules, shows the stored ones, filters by severity."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from lakebox.cli.app import app
from lakebox.errors import ConfigError
from tests.analysis.anomalies.conftest import store_days
from tests.analysis.conftest import write_table

RULE = {
    "table": "exploitation.store_daily",
    "ids": ["store_id"],
    "time": "local_date",
    "value": "visitors",
    "weekday_deviation": {"warn_pct": 30, "critical_pct": 60},
}


@pytest.fixture
def project(make_project):
    lh = make_project(anomalies={"days": RULE})
    rows = store_days({"S1": 1000, "S2": 500}, 70, {("S1", 50): 2.0, ("S2", 45): 0.6})
    write_table(lh, "exploitation.store_daily", rows)
    return lh.project_dir


def anomalies(project, *args: str) -> dict:
    result = CliRunner().invoke(app, ["anomalies", "-p", str(project), "--json", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_runs_the_rules_then_shows_what_is_stored(project):
    ran = anomalies(project)
    assert [rule["status"] for rule in ran["rules"]] == ["ok"]
    assert [(row["entity"], row["severity"]) for row in ran["anomalies"]] == [
        ("store_id=S1", "critical"),
        ("store_id=S2", "warn"),
    ]
    shown = anomalies(project, "days", "--show", "--severity", "critical")
    assert [row["entity"] for row in shown["anomalies"]] == ["store_id=S1"]
    assert anomalies(project, "--show", "--since", "2025-02-21")["anomalies"][0]["ts"] == (
        "2025-02-25T00:00:00"
    )


def test_prints_a_table(project):
    result = CliRunner().invoke(app, ["anomalies", "-p", str(project)])
    assert result.exit_code == 0
    assert "anomaly rules" in result.output and "over the last 4 Tuesdays (+" in result.output


def test_a_bad_option_is_a_config_error(project):
    result = CliRunner().invoke(app, ["anomalies", "-p", str(project), "--severity", "loud"])
    assert isinstance(result.exception, ConfigError)
    assert "--severity 'loud' is not a severity" in str(result.exception)
