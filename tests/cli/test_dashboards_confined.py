"""`lakebox dashboards --run` runs the charts' and filters' SQL as serve does: read-only, on the
reader that reads files only in the project's warehouse and landing folders, with the
functions users' SQL may call. A dashboard reading a secret file, outside the project or in
its folder beside lakebox.yaml, fails and never shows the secret."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lakebox.cli.app import app
from tests.conftest import write_file

SECRET = "hunter2-secret"


def _board(chart_sql: str, filters: str = "") -> str:
    return f"title: Hostile\n{filters}charts:\n  a: {{kind: table, sql: {json.dumps(chart_sql)}}}\n"


def _cases(outside: Path, beside: Path) -> dict[str, str]:
    read_outside = f"read_csv('{outside}')"
    options_sql = json.dumps(f"SELECT content FROM read_text('{outside}')")
    return {
        "outside": _board(f"SELECT * FROM {read_outside}"),
        "beside": _board(f"SELECT * FROM read_text('{beside}')"),
        "replaced": _board(f"SELECT * FROM '{outside}'"),
        "options": _board(
            "SELECT 1 AS x WHERE $pick IS NOT NULL",
            f"filters:\n  pick: {{kind: select, options_sql: {options_sql}}}\n",
        ),
        "fragment": _board(
            "SELECT * FROM {{ source.table }}",
            "filters:\n  source:\n    kind: resolution\n    options:\n"
            f"      - value: leak\n        fragments: {{table: {json.dumps(read_outside)}}}\n",
        ),
        "settings": _board("SELECT value FROM duckdb_settings() WHERE name = 'temp_directory'"),
    }


@pytest.mark.parametrize(
    "case", ["outside", "beside", "replaced", "options", "fragment", "settings"]
)
def test_dashboard_sql_reads_nothing_outside_the_lakehouse(tmp_path, case):
    project = tmp_path / "project"
    write_file(
        project, "lakebox.yaml", "name: hostile\nengine: {memory_limit: 256MB, threads: 1}\n"
    )
    outside = write_file(tmp_path / "elsewhere", "secret.csv", f"token\n{SECRET}\n")
    beside = write_file(project, "secret.txt", SECRET)
    write_file(project / "dashboards", f"{case}.yaml", _cases(outside, beside)[case])

    shown = CliRunner().invoke(app, ["dashboards", "--json", "--run", "--project", str(project)])

    assert shown.exit_code == 1, shown.output
    (board,) = json.loads(shown.stdout)
    why = board["error"] or json.dumps(board["failed_charts"])
    assert "outside the project's lakehouse folders" in why or "is not allowed" in why, why
    assert SECRET not in shown.output
