"""A workbook that failed, its config fixed: `lakebox run` retries it and says so, and
`lakebox reformat` formats chosen batches again."""

from __future__ import annotations

import json

import xlsxwriter
import yaml

from tests.cli.conftest import lakebox


def _stock_project(tmp_path):
    assert lakebox("init", "shop", cwd=tmp_path).returncode == 0
    project = tmp_path / "shop"
    (project / "exports").mkdir()
    book = xlsxwriter.Workbook(str(project / "exports" / "stock.xlsx"))
    book.add_worksheet("Stock").write_row(0, 0, ["sku", "qty"])
    book.get_worksheet_by_name("Stock").write_row(1, 0, ["A-1", 12])
    book.add_worksheet("Remarks").write_column(0, 0, ["Remark", "counted twice"])
    book.close()
    added = lakebox("source", "add", "stock", "--path", "exports/*.xlsx", cwd=project)
    assert added.returncode == 0, added.stderr
    return project


def _set_sheets(project, sheets):
    path = project / "lakebox.yaml"
    document = yaml.safe_load(path.read_text())
    document["sources"]["stock"]["sheets"] = sheets
    path.write_text(yaml.safe_dump(document, sort_keys=False))


def test_a_fixed_config_retries_the_failed_file_and_reformat_replaces(tmp_path):
    project = _stock_project(tmp_path)
    failed = lakebox("run", cwd=project)
    assert failed.returncode == 1
    assert "sheet 'Remarks'" in failed.stdout + failed.stderr

    _set_sheets(project, ["Stock"])
    fixed = lakebox("run", cwd=project)

    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert "retried 1 failed object(s): 1 formatted" in fixed.stdout
    again = lakebox("reformat", "--source", "stock", "--json", cwd=project)
    assert again.returncode == 0, again.stderr
    [result] = json.loads(again.stdout)["formatted"]
    assert (result["status"], result["counts"]["rows_formatted"]) == ("formatted", 1)
    count = lakebox(
        "query", "SELECT count(*) AS n FROM formatted.stock", "--format", "json", cwd=project
    )
    assert json.loads(count.stdout) == [{"n": 1}]


def test_reformat_names_an_unknown_batch(tmp_path):
    project = _stock_project(tmp_path)

    result = lakebox("reformat", "--batch", "nope", cwd=project)

    assert result.returncode == 1
    assert "no landed batch 'nope'" in result.stderr and "Traceback" not in result.stderr
