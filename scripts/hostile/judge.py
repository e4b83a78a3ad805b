"""Read what a watched lakebox command did: its outcome for the hostile input, and the checks
that must hold after it (the run went on, nothing leaked, no row lost without a trace)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scripts.hostile.project import Project
from scripts.hostile.watchdog import Watched

TRACEBACK = "Traceback (most recent call last)"
DETAIL_CHARS = 160


@dataclass
class Verdict:
    """A case's outcome (formatted, quarantined, refused, failed, CRASH, TIMEOUT, OOM, DISK),
    what it said, and the checks that did not hold (none: the row is accounted)."""

    outcome: str
    detail: str = ""
    problems: list[str] = field(default_factory=list)

    def require(self, holds: bool, problem: str) -> None:
        if not holds:
            self.problems.append(problem)


@dataclass(frozen=True)
class Step:
    """One watched command and the run report it printed (None when it printed none)."""

    watched: Watched
    report: dict[str, Any] | None

    @classmethod
    def of(cls, watched: Watched) -> Step:
        return cls(watched, _report(watched.stdout))


def _report(stdout: str) -> dict[str, Any] | None:
    start = stdout.find("{")
    if start < 0:
        return None
    try:
        document = json.loads(stdout[start:])
    except ValueError:
        return None
    return document if isinstance(document, dict) else None


def short(text: str | None) -> str:
    """Return `text` on one line, cut to what a table cell holds."""
    line = " ".join((text or "").split())
    return line if len(line) <= DETAIL_CHARS else line[: DETAIL_CHARS - 1] + "…"


def error_line(stderr: str) -> str:
    """Return the line of stderr that says what went wrong: lakebox's `error:` or the last."""
    lines = [line for line in stderr.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("error:")]
    return (errors or lines or [""])[-1 if not errors else 0]


def abnormal(watched: Watched) -> Verdict | None:
    """Return the verdict of a command the watchdog killed or that crashed, else None."""
    if watched.breach is not None:
        detail = f"killed after {watched.seconds:.0f} s, {watched.cpu_seconds:.0f} s of CPU"
        return Verdict(watched.breach, detail, [watched.breach])
    if watched.signal_name is not None:
        return Verdict(
            "CRASH",
            f"{watched.signal_name}: {short(error_line(watched.stderr))}",
            [f"crashed ({watched.signal_name})"],
        )
    if TRACEBACK in watched.stderr:
        return Verdict("CRASH", short(error_line(watched.stderr)), ["uncaught exception"])
    return None


def entries(report: dict[str, Any], source: str) -> list[dict[str, Any]]:
    return [entry for entry in report.get("formatted", []) if entry.get("source") == source]


def counts(report: dict[str, Any], source: str) -> dict[str, int]:
    """Return the summed row counts of the source's formatted objects in this run."""
    total: dict[str, int] = {}
    for entry in entries(report, source):
        for name, value in (entry.get("counts") or {}).items():
            total[name] = total.get(name, 0) + int(value or 0)
    return total


def source_outcome(step: Step, source: str) -> Verdict:
    """Return what the run did with `source`: refused, failed, quarantined or formatted."""
    if (verdict := abnormal(step.watched)) is not None:
        return verdict
    report = step.report
    if report is None:
        return Verdict(
            "failed",
            short(error_line(step.watched.stderr)),
            [f"the run stopped (rc {step.watched.returncode}) without a report"],
        )
    refused = (report.get("not_collected") or {}).get(source)
    found = entries(report, source)
    failed = [entry for entry in found if entry.get("status") == "failed"]
    if failed:
        return Verdict("failed", short(failed[0].get("error")))
    if refused:
        return Verdict("refused", short(str(refused)))
    if not found:
        return Verdict("nothing", "no object collected or formatted")
    rows = counts(report, source)
    read, kept = rows.get("rows_read", 0), rows.get("rows_quarantined", 0)
    word = "quarantined" if kept else "formatted"
    return Verdict(
        word, f"{read} rows read, {rows.get('rows_formatted', 0)} formatted, {kept} quarantined"
    )


def check_good_went_on(verdict: Verdict, step: Step, source: str = "good") -> None:
    """Require the good source beside the hostile one to have formatted in the same run."""
    if step.report is None or abnormal(step.watched) is not None:
        verdict.problems.append(f"'{source}' not formatted: the run did not go on")
        return
    statuses = {entry.get("status") for entry in entries(step.report, source)}
    verdict.require(
        "formatted" in statuses,
        f"'{source}' not formatted in the same run ({sorted(map(str, statuses))})",
    )


def model_statuses(step: Step) -> dict[str, tuple[str, str]]:
    """Return model → (status, error) from the run report."""
    models = (step.report or {}).get("models") or []
    return {model["model"]: (model.get("status", ""), model.get("error") or "") for model in models}


def tables_holding(project: Project, needle: str) -> list[str]:
    """Return the data files whose Parquet values or names, or whose raw bytes, hold `needle`."""
    import duckdb

    found = {str(path.relative_to(project.root)) for path in project.files_holding(needle.encode())}
    warehouse = project.root / "data"
    for path in sorted(warehouse.rglob("*.parquet")) if warehouse.exists() else []:
        if _parquet_holds(duckdb, path, needle):
            found.add(str(path.relative_to(project.root)))
    return sorted(found)


def _parquet_holds(duckdb: Any, path: Path, needle: str) -> bool:
    if path.stat().st_size > 64 * 1024 * 1024:
        return False
    with duckdb.connect() as connection:
        relation = connection.read_parquet(str(path))
        if any(needle in column for column in relation.columns):
            return True
        return any(needle in str(value) for row in relation.fetchall() for value in row)
