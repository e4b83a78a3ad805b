"""Wide files and awkward values: 200 to 5,000 columns, JSON numbers out of range, cells a
spreadsheet would run as formulas (points 2, 12, 16)."""

from __future__ import annotations

import csv
import io
import json

from scripts.hostile.cases.common import run_source
from scripts.hostile.judge import Verdict, abnormal, counts, short
from scripts.hostile.runner import Case, CaseRun

# A cell a spreadsheet would run, by what it starts with (OWASP's list).
FORMULAS = ["=1+1", "+1+2", "-2+3", "@SUM(A1)", "\t=1+1", "\r=1+1"]


def wide_csv(columns: int, rows: int = 3) -> str:
    header = ",".join(f"c{index}" for index in range(columns))
    body = "\n".join(",".join(str(row * index) for index in range(columns)) for row in range(rows))
    return header + "\n" + body + "\n"


def wide_ndjson(keys: int, rows: int = 3) -> str:
    return "".join(
        json.dumps({f"k{index}": f"v{row}-{index}" for index in range(keys)}) + "\n"
        for row in range(rows)
    )


def wide(kind: str, width: int) -> Case:
    """Return a case formatting 3 rows of `width` columns (or keys): all must be formatted."""

    def run_it(run: CaseRun) -> Verdict:
        text = wide_csv(width) if kind == "csv" else wide_ndjson(width)
        run.project.write(f"exports/bad/wide.{kind}", text)
        run.project.source("bad", kind="files", path="exports/bad")
        run.project.save()
        verdict = run_source(run, "bad", {"formatted"})
        formatted = counts(run.steps[0].report or {}, "bad").get("rows_formatted", 0)
        verdict.require(
            verdict.outcome != "formatted" or formatted == 3, f"{formatted} of 3 rows formatted"
        )
        return verdict

    unit = "columns" if kind == "csv" else "keys"
    return Case("2", f"wide {kind.upper()}: {width:,} {unit}", run_it)


NUMBERS = (
    '{"id": 1, "v": 1.5}\n{"id": 2, "v": 1e309}\n{"id": 3, "v": 1e-400}\n'
    '{"id": 4, "v": NaN}\n{"id": 5, "v": Infinity}\n'
)


def json_numbers(run: CaseRun) -> Verdict:
    """1e309, 1e-400, NaN and Infinity must go to quarantine, not become inf, 0.0 or NaN."""
    run.project.write("exports/bad/numbers.ndjson", NUMBERS)
    run.project.source("bad", kind="files", path="exports/bad")
    run.project.save()
    verdict = run_source(run, "bad", {"quarantined"})
    kept = counts(run.steps[0].report or {}, "bad").get("rows_quarantined", 0)
    verdict.require(kept >= 4, f"{kept} of the 4 out-of-range numbers quarantined")
    return verdict


def formula_csv() -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n", quoting=csv.QUOTE_ALL)
    writer.writerow(["id", "cell"])
    writer.writerows([index, cell] for index, cell in enumerate(FORMULAS))
    return buffer.getvalue()


def csv_injection(run: CaseRun) -> Verdict:
    """Formula cells land as written; the CSV export neutralises them; a leading tab stays."""
    run.project.write("exports/bad/formulas.csv", formula_csv())
    run.project.source("bad", kind="files", path="exports/bad")
    run.project.save()
    verdict = run_source(run, "bad", {"formatted"})
    if abnormal(run.steps[0].watched) is not None or run.steps[0].report is None:
        return verdict
    export = run.python(
        "-m",
        "scripts.hostile.export",
        str(run.project.root),
        "SELECT cell FROM formatted.bad ORDER BY id",
    )
    if (broken := abnormal(export.watched)) is not None:
        return broken
    lines = list(csv.reader(io.StringIO(export.watched.stdout.partition("\n")[2])))[1:]
    cells = [line[0] for line in lines if line]
    live = [cell for cell in cells if cell[:1] in ("=", "+", "-", "@", "\t", "\r")]
    verdict.detail = f"CSV export: {short(repr(cells))}"
    verdict.require(not live, f"{len(live)} of {len(FORMULAS)} cells exported as live formulas")
    verdict.require(
        "\t=1+1" in cells or "'\t=1+1" in cells, "the neutralising tab of '\\t=1+1' was trimmed"
    )
    return verdict


CASES: list[Case] = [
    wide("csv", 200),
    wide("csv", 2_000),
    wide("csv", 5_000),
    wide("ndjson", 300),
    Case("16", "JSON 1e309, 1e-400, NaN, Infinity", json_numbers),
    Case("12", "CSV injection cells, CSV export", csv_injection),
]
