"""CSV downloads are safe to open in a spreadsheet: a text cell starting with = + - @, a tab
or a carriage return is led by a single quote and quoted (OWASP's CSV injection advice);
numbers stay numbers, and `csv_raw` gives every value as it is."""

from __future__ import annotations

import csv
import io

import pytest
from fastapi.testclient import TestClient

from lakebox.orchestration.runner import run
from lakebox.serving.app import create_app
from tests.conftest import write_file

# formulas a spreadsheet would run, a producer's neutralised one (a tab before it), and a
# negative number in a numeric column
FORMULAS = ["=1+1", "+SUM(A1)", "-2+3", "@SUM(A1)"]
NOTES = [*FORMULAS, "\t=1+1", "plain"]
DASHBOARD = """title: Notes
charts:
  rows:
    kind: table
    sql: SELECT id, note, amount FROM formatted.notes ORDER BY id
"""


def _notes_csv() -> str:
    lines = ["id,note,amount"]
    for number, note in enumerate(NOTES, start=1):
        quoted = '"' + note.replace('"', '""') + '"'
        lines.append(f"{number},{quoted},{-number}")
    return "\n".join(lines) + "\n"


@pytest.fixture
def lh(make_project):
    lh = make_project({"notes": {"path": "in/*.csv"}})
    write_file(lh.project_dir / "in", "notes.csv", _notes_csv())
    write_file(lh.project_dir / "dashboards", "notes.yaml", DASHBOARD)
    assert run(lh).ok
    return lh


@pytest.fixture
def client(lh):
    return TestClient(create_app(lh, timeout=5), base_url="http://127.0.0.1")


def _rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def test_the_formatted_zone_keeps_the_tab_that_neutralises_a_formula(lh):
    notes = lh.query("SELECT note FROM formatted.notes ORDER BY id").column("note").to_pylist()
    assert notes[NOTES.index("\t=1+1")] == "\t=1+1"
    assert notes[NOTES.index("plain")] == "plain"


@pytest.mark.parametrize("door", ["sql", "dashboard"])
def test_a_csv_download_neutralises_formulas_in_text_cells(client, door):
    text = _download(client, door, "csv")
    header, *rows = _rows(text)
    assert header == ["id", "note", "amount"]
    assert [row[1] for row in rows] == [
        *(f"'{formula}" for formula in FORMULAS),
        "'\t=1+1",
        "plain",
    ]
    assert [row[2] for row in rows] == [str(-number) for number in range(1, len(NOTES) + 1)]
    assert '"\'=1+1"' in text  # the neutralised cell is quoted
    assert '\n1,"\'=1+1",-1\n' in text.replace("\r\n", "\n")  # a number is not quoted


@pytest.mark.parametrize("door", ["sql", "dashboard"])
def test_csv_raw_gives_every_value_as_it_is(client, door):
    rows = _rows(_download(client, door, "csv_raw"))[1:]
    assert [row[1] for row in rows] == NOTES


def test_a_column_named_like_a_formula_and_control_starts_are_neutralised(client):
    sql = (
        "SELECT 1 AS \"=HYPERLINK(1)\", chr(13) || '=1' AS cr, chr(9) || '@x' AS tab, "
        "[1, 2] AS list, -1.5 AS number"
    )
    answer = client.post("/api/sql", json={"sql": sql, "format": "csv"})
    assert _rows(answer.text) == [
        ["'=HYPERLINK(1)", "cr", "tab", "list", "number"],
        ["1", "'\r=1", "'\t@x", "[1, 2]", "-1.5"],
    ]


def _download(client: TestClient, door: str, output: str) -> str:
    if door == "sql":
        sql = "SELECT id, note, amount FROM formatted.notes ORDER BY id"
        answer = client.post("/api/sql", json={"sql": sql, "format": output})
    else:
        answer = client.get("/api/dashboards/notes/charts/rows", params={"format": output})
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/csv")
    return answer.text
