"""`lakebox backfill`: pull a window of an incremental source again and format it, leaving the
source's saved state where it is."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from lakebox.cli.options import JsonOption, ProjectOption, QuietOption, WaitOption
from lakebox.cli.render import Output, plain

if TYPE_CHECKING:
    from lakebox.formatted.formatter import FormatResult
    from lakebox.ground.reporter import Reporter
    from lakebox.lakehouse import Lakehouse
    from lakebox.landing.loader import LandingReport

COLUMNS = ["batch", "status", "read", "formatted", "quarantined", "duplicate", "error"]


@dataclass
class BackfillResult:
    """What one backfill landed and formatted."""

    landing: LandingReport
    formatting: list[FormatResult]

    @property
    def ok(self) -> bool:
        """Return whether every object formatted (none failed)."""
        from lakebox.catalog.manifest import Status

        return all(result.status != Status.FAILED for result in self.formatting)


def register(app: typer.Typer) -> None:
    """Add `lakebox backfill` to `app`."""
    app.command()(backfill)


def backfill(
    source: Annotated[
        str, typer.Argument(metavar="SOURCE", help="The incremental source to backfill.")
    ],
    start: Annotated[
        str,
        typer.Option("--from", metavar="START", help="The window's first cursor value (included)."),
    ],
    end: Annotated[str, typer.Option("--to", metavar="END", help="The window's end (excluded).")],
    wait: WaitOption = 0.0,
    project_dir: ProjectOption = Path(),
    quiet: QuietOption = False,
    as_json: JsonOption = False,
) -> None:
    """Pull the rows of an incremental source whose cursor is in [START, END) again and
    format them, without moving its saved state (exit 1 if an object failed to format)."""
    from lakebox.lakehouse import open_project

    output = Output(quiet, as_json)
    with open_project(project_dir) as lh, output.progress() as reporter:
        result = run_backfill(lh, source, start, end, wait, reporter)
    _show(output, source, start, end, result)
    raise typer.Exit(0 if result.ok else 1)


def run_backfill(
    lh: Lakehouse, source: str, start: str, end: str, wait: float, reporter: Reporter
) -> BackfillResult:
    """Return what backfilling `[start, end)` of `source` and formatting it did (a run of
    the default pipeline, under its lock, recorded in the run history)."""
    from lakebox.orchestration.runner import backfill as backfill_run

    report = backfill_run(lh, source, start, end, reporter, wait)
    return BackfillResult(report.landing[0], report.formatting)


def _show(output: Output, source: str, start: str, end: str, result: BackfillResult) -> None:
    from lakebox.catalog.manifest import Status

    output.data(_document(source, start, end, result))
    landed, formatted = result.landing.landed, result.formatting
    rows = sum(r.counts.rows_formatted for r in formatted)
    output.say(
        f"backfill of {source} from {start} to {end} (excluded): landed {len(landed)} "
        f"object(s), {len(result.landing.duplicates)} repeated, {rows} row(s) formatted"
    )
    if not landed and not result.landing.duplicates:
        output.say("nothing in the window")
    output.table("formatted", COLUMNS, [_row(r) for r in formatted])
    for failed in (r for r in formatted if r.status == Status.FAILED):
        output.warn(f"{source}: batch {failed.batch_id} failed: {failed.error}")


def _row(result: FormatResult) -> list[Any]:
    counts = result.counts
    return [
        result.batch_id,
        result.status,
        counts.rows_read,
        counts.rows_formatted,
        counts.rows_quarantined,
        counts.rows_duplicate,
        result.error or "",
    ]


def _document(source: str, start: str, end: str, result: BackfillResult) -> dict[str, Any]:
    return {
        "source": source,
        "from": start,
        "to": end,
        "ok": result.ok,
        "landed": [plain(entry) for entry in result.landing.landed],
        "repeated": [plain(entry) for entry in result.landing.duplicates],
        "formatted": [plain(r) for r in result.formatting],
        "rows_formatted": sum(r.counts.rows_formatted for r in result.formatting),
    }
