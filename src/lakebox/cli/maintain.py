"""`lakebox maintain`: compact small files, rewrite manifests, expire old snapshots and
delete orphaned files of the Iceberg tables, as the `maintenance:` section says."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from lakebox.cli.options import JsonOption, ProjectOption, QuietOption
from lakebox.cli.render import Output, plain

if TYPE_CHECKING:
    from lakebox.maintenance.run import TableMaintenance

COLUMNS = ["table", "files", "compacted", "manifests", "expired", "orphans", "kept", "status"]


def register(app: typer.Typer) -> None:
    """Add `lakebox maintain` to `app`."""
    app.command()(maintain)


def maintain(
    table: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="[TABLE]...", help="zone.name patterns (ops.*); default: maintenance.tables."
        ),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Say what would be done; change nothing.")
    ] = False,
    project_dir: ProjectOption = Path(),
    quiet: QuietOption = False,
    as_json: JsonOption = False,
) -> None:
    """Compact small data files, rewrite manifests, expire snapshots past the retention and
    delete orphaned files older than the safety age, in every chosen table (exit 1 if one
    failed). Waits for running pipelines; recorded in the run history as `maintain`."""
    from lakebox.lakehouse import open_project
    from lakebox.orchestration.maintenance import maintain_locked, run_maintenance

    output = Output(quiet, as_json)
    with open_project(project_dir) as lh, output.progress() as reporter:
        if dry_run:
            results = maintain_locked(lh, table or None, dry_run=True, reporter=reporter)
        else:
            results = run_maintenance(lh, table or None, reporter).of("maintained")
    _show(output, results, dry_run)
    raise typer.Exit(1 if any(result.error for result in results) else 0)


def _show(output: Output, results: list[TableMaintenance], dry_run: bool) -> None:
    output.data({"dry_run": dry_run, "tables": [_document(result) for result in results]})
    output.say(("dry run: nothing changed; " if dry_run else "") + f"{len(results)} table(s)")
    output.table("maintenance", COLUMNS, [_row(result) for result in results])
    for result in results:
        if result.error:
            output.warn(result.describe())


def _row(result: TableMaintenance) -> list[Any]:
    return [
        result.table,
        f"{result.files_before} → {result.files_after}",
        result.compacted,
        f"{result.manifests_before} → {result.manifests_after}",
        result.expired,
        f"{len(result.orphans)} ({result.orphan_bytes} B)",
        result.kept_orphans,
        result.error or ("skipped: " + result.skipped if result.skipped else result.status),
    ]


def _document(result: TableMaintenance) -> dict[str, Any]:
    document = plain(result)
    document["orphans"] = [orphan.path for orphan in result.orphans]
    return document
