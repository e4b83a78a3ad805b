"""`lakebox describe`: a table's physical metadata — how its source's files are read, its
schema versions, partitioning, data files, and its snapshots with the landing objects (or,
for a model, the input snapshots) behind each."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from lakebox.cli.options import JsonOption, ProjectOption
from lakebox.cli.render import Output, plain

if TYPE_CHECKING:
    from lakebox.governance.physical import Physical


def register(app: typer.Typer) -> None:
    """Add `lakebox describe` to `app`."""
    app.command("describe")(describe_command)


def describe_command(
    table: Annotated[str, typer.Argument(help="zone.table (or a table name), e.g. sales")],
    snapshots: Annotated[
        int, typer.Option(min=1, max=10_000, help="Show this many of the newest snapshots.")
    ] = 10,
    project_dir: ProjectOption = Path(),
    as_json: JsonOption = False,
) -> None:
    """Show a table's physical metadata: reader settings, schema versions, files, snapshots."""
    from lakebox.governance.physical import describe
    from lakebox.lakehouse import open_project

    with open_project(project_dir) as lh:
        found = describe(lh, lh.table_named(table), snapshots)
    show(Output(as_json=as_json), found)


def show(output: Output, found: Physical) -> None:
    """Show the physical metadata of one table, part by part."""
    output.data(plain(found))
    output.say(_headline(found))
    _settings(output, found)
    _model(output, found)
    _schemas(output, found)
    _files(output, found)
    _snapshots(output, found)
    _landing(output, found)


def _headline(found: Physical) -> str:
    kind = {"source": f"source {found.source}", "model": "model"}.get(found.kind, "table")
    parts = ", ".join(f"{p.transform}({p.column})" for p in found.partitioning)
    return (
        f"{found.table}: {kind}; {found.snapshot_count} snapshot(s); Iceberg format "
        f"v{found.format_version} at {found.location}; "
        + (f"partitioned by {parts}" if parts else "unpartitioned")
    )


def _settings(output: Output, found: Physical) -> None:
    from lakebox.governance.physical_text import setting_text

    if found.kind != "source":
        return
    rows = [[s.name, setting_text(s.value), s.origin, _seen(s.seen)] for s in found.settings]
    output.table("reader settings", ["setting", "value", "origin", "values seen"], rows)
    unrecorded = found.objects_read - found.objects_recorded
    if unrecorded:
        output.say(
            f"{unrecorded} of {found.objects_read} landing object(s) were formatted before "
            "lakebox recorded how it read them (`lakebox reformat` records it)"
        )


def _seen(seen: list[tuple[object, int]]) -> str:
    from lakebox.governance.physical_text import setting_text

    return "; ".join(f"{setting_text(value)} ({count} objects)" for value, count in seen)


def _model(output: Output, found: Physical) -> None:
    model = found.model
    if model is None:
        return
    changed = model.sql_hash != model.built_hash
    rows = [
        ["file", model.file or "(no file)"],
        ["SQL hash now", model.sql_hash or ""],
        ["built from SQL hash", (model.built_hash or "") + (" (edited since)" if changed else "")],
        *[[f"input {table}", snapshot] for table, snapshot in model.inputs.items()],
    ]
    output.table(f"model {model.name}", ["", "value"], rows)


def _schemas(output: Output, found: Physical) -> None:
    from lakebox.governance.physical_text import version_text

    rows = [
        [
            f"{version.schema_id}{' (current)' if version.current else ''}",
            version.since.strftime("%Y-%m-%d %H:%M:%S") if version.since else "",
            version.snapshot_id or "",
            version_text(version),
        ]
        for version in found.schemas
    ]
    output.table("schema versions", ["schema", "since (UTC)", "snapshot", "changes"], rows)


def _files(output: Output, found: Physical) -> None:
    from lakebox.governance.physical_text import size_text

    files = found.files
    sizes = (files.total_bytes, files.min_bytes, files.median_bytes, files.max_bytes)
    row = [files.count, *(size_text(size) for size in sizes), files.rows, files.delete_files]
    columns = ["files", "total", "min", "median", "max", "rows", "delete files"]
    output.table("data files of the current snapshot", columns, [row])


def _snapshots(output: Output, found: Physical) -> None:
    rows = [
        [
            snapshot.committed_at.strftime("%Y-%m-%d %H:%M:%S"),
            snapshot.snapshot_id,
            snapshot.operation,
            snapshot.schema_id,
            snapshot.rows,
            ", ".join(snapshot.batch_ids),
            ", ".join(f"{table}@{snap}" for table, snap in snapshot.inputs.items()),
        ]
        for snapshot in found.snapshots
    ]
    title = f"snapshots (the newest {len(found.snapshots)} of {found.snapshot_count})"
    columns = ["committed (UTC)", "snapshot", "operation", "schema", "rows", "batches", "inputs"]
    output.table(title, columns, rows)


def _landing(output: Output, found: Physical) -> None:
    from lakebox.governance.physical_text import read_text, size_text

    rows = [
        [
            snapshot.snapshot_id,
            landed.batch_id,
            landed.landed_path,
            size_text(landed.bytes),
            landed.sha256[:12],
            landed.received_at.strftime("%Y-%m-%d %H:%M:%S"),
            landed.status,
            read_text(landed.read_with),
        ]
        for snapshot in found.snapshots
        for landed in snapshot.landing
    ]
    if rows:
        columns = ["snapshot", "batch", "landed path", "size", "sha256", "landed (UTC)"]
        output.table("landing objects", [*columns, "status", "read with"], rows)
