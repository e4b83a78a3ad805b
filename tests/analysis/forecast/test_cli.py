"""`lakebox forecast` run as a user would, in a subprocess, on a small real project."""

from __future__ import annotations

import json
import math
import subprocess
from pathlib import Path

import pytest

from tests.cli.conftest import lakebox
from tests.conftest import write_file

DECLARED = """
forecasts:
  shop_sales:
    table: formatted.sales
    ids: store
    time: month
    value: amount
    freq: MS
    horizon: 4
"""


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project whose `formatted.sales` holds 30 months of two stores' sales."""
    folder = tmp_path_factory.mktemp("forecast")
    assert lakebox("init", "shop", cwd=folder).returncode == 0
    project = folder / "shop"
    lines = ["store,month,amount"]
    for month in range(30):
        day = f"{2022 + month // 12}-{month % 12 + 1:02d}-01"
        lines.append(f"north,{day},{100 + 30 * math.sin(month * math.pi / 6):.2f}")
        lines.append(f"south,{day},{50 + 2 * month}")
    write_file(project / "exports", "sales.csv", "\n".join(lines) + "\n")
    added = lakebox("source", "add", "sales", "--path", "exports/*.csv", cwd=project)
    assert added.returncode == 0, added.stderr
    assert lakebox("run", "-q", cwd=project).returncode == 0
    with (project / "lakebox.yaml").open("a", encoding="utf-8") as file:
        file.write(DECLARED)
    return project


def forecast_sales(
    project: Path, name: str, id_column: str, *more: str
) -> subprocess.CompletedProcess[str]:
    """Run `lakebox forecast NAME` on formatted.sales by `id_column`, 6 months ahead."""
    options = ["--table", "formatted.sales", "--id", id_column, "--time", "month"]
    options += ["--value", "amount", "--freq", "MS", "--horizon", "6", *more]
    return lakebox("forecast", name, *options, cwd=project)


def test_forecast_a_table_from_options(project):
    result = forecast_sales(project, "sales", "store", "--level", "90", "--json")

    assert result.returncode == 0, result.stderr
    [report] = json.loads(result.stdout)
    assert (report["table"], report["rows"]) == ("analytics.forecast_sales", 12)
    assert report["horizon_label"] == "6 months"
    assert [series["ids"] for series in report["series"]] == [
        {"store": "north"},
        {"store": "south"},
    ]
    columns = lakebox(
        "query", "SELECT * FROM analytics.forecast_sales LIMIT 1", "--format", "json", cwd=project
    )
    assert {"lo_90", "hi_90"} <= set(json.loads(columns.stdout)[0])


def test_forecast_a_declared_one_shows_a_summary(project):
    result = lakebox("forecast", "shop_sales", cwd=project)

    assert result.returncode == 0, result.stderr
    assert (
        "forecast shop_sales: 2 series, 4 months ahead, 8 rows into analytics.forecast_shop_sales"
        in result.stdout
    )
    assert "× MS" not in result.stdout
    assert "north" in result.stdout and "sMAPE" in result.stdout


def test_an_unknown_column_is_a_clear_error(project):
    result = forecast_sales(project, "bad", "shop")

    assert result.returncode == 1
    assert result.stderr.startswith("error: formatted.sales has no column 'shop'")
    assert "Traceback" not in result.stderr
