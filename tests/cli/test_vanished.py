"""A run that makes a column disappear says so: a model whose SQL stops selecting a column
leaves its table without it (the column stays in the schema, empty), and the run summary
warns, naming the column and what downstream still uses it; JSON lists every column gone."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.conftest import lakebox
from tests.conftest import write_file

DASHBOARD = """title: Sales
charts:
  amounts:
    kind: bar
    x: region
    y: amount
    sql: SELECT region, sum(amount) AS amount FROM exploitation.totals GROUP BY region
"""


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("vanished")
    assert lakebox("init", "shop", cwd=folder).returncode == 0
    project = folder / "shop"
    write_file(project / "exports", "1.csv", "id,amount,region\n1,10,north\n2,20,south\n")
    added = lakebox("source", "add", "sales", "--path", "exports/*.csv", cwd=project)
    assert added.returncode == 0, added.stderr
    with (project / "lakebox.yaml").open("a") as config:
        config.write("checks:\n  exploitation.totals:\n    - {not_null: amount, severity: warn}\n")
    _totals(project, "id, amount, region, 'x' AS note")
    write_file(project / "models", "doubled.sql", "SELECT id, amount * 2 AS doubled FROM totals")
    write_file(project / "dashboards", "sales.yaml", DASHBOARD)
    first = lakebox("run", "--json", cwd=project)
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout)["vanished_columns"] == []
    return project


def _totals(project: Path, columns: str) -> None:
    write_file(project / "models", "totals.sql", f"SELECT {columns} FROM formatted.sales")


def test_a_column_a_model_stops_selecting_is_warned_of_with_its_users(shop: Path) -> None:
    _totals(shop, "id, region, 'x' AS note")
    done = lakebox("run", cwd=shop)
    assert (
        "build: column amount is gone from exploitation.totals, but 4 thing(s) downstream use "
        "it: chart:sales/amounts, check:exploitation.totals/not_null(amount), dashboard:sales, "
        "exploitation.doubled.doubled (see 'lakebox impact exploitation.totals.amount')"
    ) in " ".join(done.stderr.split())
    again = lakebox("run", "--json", "--full-refresh", cwd=shop)
    assert json.loads(again.stdout)["vanished_columns"] == []  # gone already: said once


def test_json_lists_every_column_gone_and_what_uses_it(shop: Path) -> None:
    _totals(shop, "id")
    done = lakebox("run", "--json", cwd=shop)
    gone = json.loads(done.stdout)["vanished_columns"]
    assert [entry for entry in gone if entry["column"] != "amount"] == [
        {
            "step": "build",
            "table": "exploitation.totals",
            "column": "region",
            "used_by": ["chart:sales/amounts", "dashboard:sales"],
        },
        {"step": "build", "table": "exploitation.totals", "column": "note", "used_by": []},
    ]


def test_a_column_the_source_files_stop_having_is_warned_of_with_its_users(
    tmp_path: Path,
) -> None:
    assert lakebox("init", "shop", cwd=tmp_path).returncode == 0
    project = tmp_path / "shop"
    write_file(project / "exports", "1.csv", "id,amount,region\n1,10,north\n")
    added = lakebox("source", "add", "sales", "--path", "exports/*.csv", cwd=project)
    assert added.returncode == 0, added.stderr
    write_file(project / "models", "totals.sql", "SELECT id, amount FROM formatted.sales")
    assert lakebox("run", cwd=project).returncode == 0
    write_file(project / "exports", "2.csv", "id,region\n2,south\n")  # amount no longer sent
    done = lakebox("run", "--json", cwd=project)
    gone = json.loads(done.stdout)["vanished_columns"]
    assert gone == [
        {
            "step": "collect:sales",
            "table": "formatted.sales",
            "column": "amount",
            "used_by": ["exploitation.totals.amount"],
        }
    ]
    write_file(project / "exports", "3.csv", "id,region\n3,east\n")  # still without it
    again = lakebox("run", "--json", cwd=project)
    assert json.loads(again.stdout)["vanished_columns"] == []  # said once, when it went
