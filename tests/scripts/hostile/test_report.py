"""The harness's table: one row per input with its outcome, peak RSS and seconds; a row is not
accounted when it crashed, ran out of a cap or broke a check, and then the exit status is 1."""

from __future__ import annotations

from scripts.hostile.report import HEADINGS, MB, Row, exit_code, markdown, table

FORMATTED = Row("2", "wide CSV: 200 columns", "formatted", "3 rows read", 300 * MB, 4.25)
REFUSED = Row("7", "YAML bomb", "refused", "aliases expand past 10,000 nodes", 40 * MB, 0.8)
CRASHED = Row(
    "1", "xlsx: undefined entity", "CRASH", "XmlError", 280 * MB, 12.0, ["uncaught exception"]
)
LEAKED = Row(
    "9",
    "link to /proc/self/environ",
    "formatted",
    "1 row",
    280 * MB,
    9.0,
    ["'hostile-secret' landed in data/x.parquet"],
)


def test_every_row_shows_its_outcome_cost_and_verdict() -> None:
    text = table([FORMATTED, REFUSED, CRASHED])
    lines = text.splitlines()
    assert [cell.strip() for cell in lines[0].split(" | ")] == list(HEADINGS)
    row = next(line for line in lines if "wide CSV" in line)
    assert "formatted: 3 rows read" in row and "300 MB" in row and "4.2" in row
    assert row.rstrip().endswith("ok")
    crash = next(line for line in lines if "xlsx" in line)
    assert "CRASH: XmlError" in crash and "FAIL: uncaught exception" in crash
    assert lines[-1] == "3 inputs: 2 bounded and accounted, 1 not"


def test_the_columns_line_up_and_long_cells_are_cut() -> None:
    long = Row("3", "x" * 80, "refused", "y" * 300, MB, 1.0)
    lines = table([long, FORMATTED]).splitlines()
    separators = {
        tuple(i for i, ch in enumerate(line) if ch == "|") for line in lines[:1] + lines[2:4]
    }
    assert len(separators) == 1
    assert "…" in lines[2]


def test_the_exit_status_is_1_when_any_row_is_unaccounted() -> None:
    assert exit_code([FORMATTED, REFUSED]) == 0
    assert exit_code([FORMATTED, CRASHED]) == 1
    assert exit_code([FORMATTED, LEAKED]) == 1  # formatted, but a check failed: the secret
    assert exit_code([Row("4", "slow API", "TIMEOUT", "killed after 60 s")]) == 1
    assert exit_code([]) == 1  # nothing run is nothing shown


def test_markdown_keeps_every_cell_whole_and_escapes_pipes() -> None:
    text = markdown([Row("10", "path: '/**'", "refused", "a|b " + "z" * 200, 0, 0.1)])
    assert text.splitlines()[0] == "| # | input | outcome | peak RSS | seconds | verdict |"
    assert "a\\|b " + "z" * 200 in text
