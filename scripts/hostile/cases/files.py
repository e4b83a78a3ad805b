"""Hostile files: poison workbooks, deep NDJSON, awkward names, huge records (points 1, 3, 13)."""

from __future__ import annotations

import os

from scripts.hostile import workbooks
from scripts.hostile.cases.common import HANDLED, files_case, run_source
from scripts.hostile.judge import Verdict, check_good_went_on, counts, source_outcome
from scripts.hostile.runner import Case, CaseRun

MB = 1024 * 1024
# Formatting a deep or padded file within the caps is as good as refusing it with a reason.
ANY_HANDLED = HANDLED | {"formatted"}


def nested(depth: int) -> str:
    """Return one NDJSON line nested `depth` objects deep, and a flat line after it."""
    return '{"a":' * depth + "1" + "}" * depth + '\n{"a": 2}\n'


def padded_xlsx(run: CaseRun) -> Verdict:
    folder = run.project.root / "exports/bad"
    folder.mkdir(parents=True)
    workbooks.padded_workbook(folder / "padded.xlsx", run.settings.xlsx_padding)
    run.project.source("bad", kind="files", path="exports/bad")
    run.project.save()
    return run_source(run, "bad", ANY_HANDLED)


def awkward_name(name: bytes) -> Case:
    """Return a case landing a file called `name`, then running again without it."""

    def run_it(run: CaseRun) -> Verdict:
        path = run.project.write(b"exports/bad/" + name, "id,name\n1,x\n")
        run.project.source("bad", kind="files", path="exports/bad")
        run.project.save()
        verdict = run_source(run, "bad", {"formatted"})
        os.unlink(path)
        run.project.write("exports/good/later.csv", "id,name\n4,delta\n")
        later = run.lakebox("run", "--json")
        again = Verdict("")
        check_good_went_on(again, later)
        verdict.problems += [f"next run, file gone: {problem}" for problem in again.problems]
        return verdict

    label = "0xFF" if b"\xff" in name else f"{len(name)}-char"
    return Case(
        "1",
        "file name with byte 0xFF, rerun" if b"\xff" in name else f"{label} file name, rerun",
        run_it,
    )


def huge_record(kind: str) -> Case:
    """Return a case whose one record is past the reader's cap, between two small ones."""

    def run_it(run: CaseRun) -> Verdict:
        size = run.settings.csv_record_bytes if kind == "csv" else run.settings.ndjson_line_bytes
        if kind == "csv":
            text = "id,name\n1,a\n2," + "x" * size + "\n3,c\n"
        else:
            text = '{"id": 1}\n{"id": 2, "name": "' + "x" * size + '"}\n{"id": 3}\n'
        run.project.write(f"exports/bad/huge.{kind}", text)
        run.project.source("bad", kind="files", path="exports/bad")
        run.project.save()
        verdict = run_source(run, "bad", {"quarantined", "failed"})
        rows = counts(run.steps[0].report or {}, "bad")
        accounted = rows.get("rows_formatted", 0) + rows.get("rows_quarantined", 0)
        verdict.require(
            verdict.outcome == "failed" or accounted >= 3,
            f"rows lost: 3 records, {accounted} formatted or quarantined",
        )
        return verdict

    limit = "32 MiB" if kind == "csv" else "16 MiB"
    return Case("13", f"{kind.upper()} record over {limit}", run_it)


def still_written(run: CaseRun) -> Verdict:
    """A file appended to while the run lands it, then finished: every line counted once."""
    import threading
    import time

    lines, stop = [0], threading.Event()
    path = run.project.root / "exports/bad/growing.csv"
    path.parent.mkdir(parents=True)
    path.write_text("id,name\n")

    def append() -> None:
        with path.open("a") as stream:
            while not stop.is_set():
                stream.write("".join(f"{lines[0] + i},n\n" for i in range(200)))
                stream.flush()
                lines[0] += 200
                time.sleep(0.05)

    run.project.source("bad", kind="files", path="exports/bad", settle="2s")
    run.project.save()
    writer = threading.Thread(target=append, daemon=True)
    writer.start()
    first = run.lakebox("run", "--json")
    stop.set()
    writer.join()
    time.sleep(run.settings.settle_wait)
    second = run.lakebox("run", "--json")
    verdict = source_outcome(second, "bad")
    check_good_went_on(verdict, first)
    total = sum(counts(step.report or {}, "bad").get("rows_formatted", 0) for step in run.steps)
    verdict.detail = f"{lines[0]} lines written, {total} rows formatted over two runs"
    verdict.require(total == lines[0], f"{total} rows for {lines[0]} lines")
    return verdict


CASES: list[Case] = [
    *(
        files_case("1", f"xlsx: {label}", {"poison.xlsx": data})
        for label, data in workbooks.poison_variants().items()
    ),
    files_case(
        "1", "xlsx: one cell at XFD1048576", {"far.xlsx": workbooks.one_cell_at("XFD1048576")}
    ),
    files_case("1", "xlsx: one cell at ZZ200000", {"far.xlsx": workbooks.one_cell_at("ZZ200000")}),
    Case("3", "xlsx: sheet part padded (zip bomb)", padded_xlsx),
    files_case("1", "NDJSON nested 2,000 deep", {"deep.ndjson": nested(2_000)}, ANY_HANDLED),
    files_case("1", "NDJSON nested 100,000 deep", {"deep.ndjson": nested(100_000)}, ANY_HANDLED),
    awkward_name(b"caf\xff.csv"),
    awkward_name(b"n" * 236 + b".csv"),
    huge_record("csv"),
    huge_record("ndjson"),
    Case("15", "file still being written", still_written),
]
