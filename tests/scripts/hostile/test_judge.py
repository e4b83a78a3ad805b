"""Reading a watched run: a crash, a cap, an object failed with a reason, a refusal, rows
quarantined, and whether the good source beside the hostile one went on."""

from __future__ import annotations

import io
import json

import pytest
import python_calamine
from scripts.hostile.judge import Step, Verdict, check_good_went_on, source_outcome
from scripts.hostile.watchdog import Watched

from scripts.hostile import workbooks


def step(
    report: dict | None = None, returncode: int = 0, stderr: str = "", breach: str | None = None
) -> Step:
    stdout = json.dumps(report) if report is not None else ""
    return Step.of(Watched(("lakebox",), returncode, stdout, stderr, 1, 0, 1.0, breach))


def formatted(
    source: str, status: str = "formatted", error: str | None = None, quarantined: int = 0
) -> dict:
    counts = {"rows_read": 3, "rows_formatted": 3 - quarantined, "rows_quarantined": quarantined}
    return {"source": source, "status": status, "error": error, "counts": counts}


def test_a_failed_object_with_the_good_source_formatted_is_accounted() -> None:
    run = step(
        {
            "formatted": [formatted("bad", "failed", "sheet XML is not valid"), formatted("good")],
            "not_collected": {},
        },
        returncode=1,
    )
    verdict = source_outcome(run, "bad")
    check_good_went_on(verdict, run)
    assert (verdict.outcome, verdict.detail, verdict.problems) == (
        "failed",
        "sheet XML is not valid",
        [],
    )


def test_a_traceback_is_a_crash_and_the_run_did_not_go_on() -> None:
    trace = "Traceback (most recent call last):\n  File x\nRecursionError: too deep\n"
    run = step(None, returncode=1, stderr=trace)
    verdict = source_outcome(run, "bad")
    check_good_went_on(verdict, run)
    assert verdict.outcome == "CRASH" and "RecursionError" in verdict.detail
    assert "'good' not formatted: the run did not go on" in verdict.problems


@pytest.mark.parametrize(
    ("returncode", "breach", "outcome"),
    [(-9, "OOM", "OOM"), (-9, "TIMEOUT", "TIMEOUT"), (-11, None, "CRASH"), (134, None, "CRASH")],
)
def test_a_cap_or_a_signal_is_named(returncode: int, breach: str | None, outcome: str) -> None:
    verdict = source_outcome(step(None, returncode, breach=breach), "bad")
    assert verdict.outcome == outcome and verdict.problems


def test_refused_and_quarantined_objects_say_so() -> None:
    refused = step({"formatted": [], "not_collected": {"bad": "body past 100 MB"}})
    assert source_outcome(refused, "bad").outcome == "refused"
    kept = source_outcome(step({"formatted": [formatted("bad", quarantined=1)]}), "bad")
    assert kept.outcome == "quarantined"
    assert kept.detail == "3 rows read, 2 formatted, 1 quarantined"


def test_the_good_source_must_be_formatted_in_the_same_run() -> None:
    verdict = Verdict("failed")
    check_good_went_on(verdict, step({"formatted": [formatted("good", "failed", "x")]}))
    assert verdict.problems == ["'good' not formatted in the same run (['failed'])"]


@pytest.mark.parametrize("name", sorted(workbooks.poison_variants()))
def test_each_poison_workbook_breaks_the_real_reader(name: str) -> None:
    data = workbooks.poison_variants()[name]
    with pytest.raises(Exception):  # noqa: B017 - any of python_calamine's errors
        python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(
            0
        ).to_python()


def test_the_sound_workbook_reads() -> None:
    book = python_calamine.CalamineWorkbook.from_filelike(
        io.BytesIO(workbooks.workbook(workbooks.sheet()))
    )
    assert book.get_sheet_by_index(0).to_python() == [["id", "name"], [1.0, "a"]]
