"""`lakebox sandbox`: named, reproducible extracts."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from lakebox.cli.options import JsonOption, ProjectOption, QuietOption
from lakebox.cli.render import Output, plain

if TYPE_CHECKING:
    from lakebox.analysis.sandbox import Extract

sandbox_app = typer.Typer(
    help="Freeze reproducible extracts (analytics.sandbox_NAME).", no_args_is_help=True
)

NameArgument = Annotated[str, typer.Argument(help="The sandbox's name (lower-case, digits, _).")]


def register(app: typer.Typer) -> None:
    """Add the `lakebox sandbox` commands to `app`."""
    app.add_typer(sandbox_app, name="sandbox")


@sandbox_app.command("create")
def create(
    name: NameArgument,
    sql: Annotated[str, typer.Option("--from", help="The read-only SQL to freeze.")],
    project_dir: ProjectOption = Path(),
    quiet: QuietOption = False,
    as_json: JsonOption = False,
) -> None:
    """Freeze the rows of a query, with its tables pinned to their current snapshots."""
    from lakebox.analysis.sandbox import create_sandbox
    from lakebox.lakehouse import open_project

    output = Output(quiet, as_json)
    with open_project(project_dir) as lh:
        frozen = create_sandbox(lh, name, sql)
    output.data(_document(frozen))
    output.say(
        f"sandbox {name}: {frozen.rows} rows in {frozen.table} (snapshot {frozen.snapshot_id}), "
        f"read from {_inputs(frozen)}"
    )


@sandbox_app.command("list")
def list_command(project_dir: ProjectOption = Path(), as_json: JsonOption = False) -> None:
    """List the sandboxes with their rows and the snapshots they were read from."""
    from lakebox.analysis.sandbox import list_sandboxes
    from lakebox.lakehouse import open_project

    output = Output(as_json=as_json)
    with open_project(project_dir) as lh:
        found = list_sandboxes(lh)
    output.data([_document(one) for one in found])
    output.table(
        "sandboxes",
        ["name", "rows", "created", "read from", "sql"],
        [[one.name, one.rows, one.created_at, _inputs(one), one.sql] for one in found],
    )


@sandbox_app.command("show")
def show(
    name: NameArgument, project_dir: ProjectOption = Path(), as_json: JsonOption = False
) -> None:
    """Show a sandbox's SQL and the snapshot id of every table it read."""
    from lakebox.analysis.sandbox import show_sandbox
    from lakebox.lakehouse import open_project

    output = Output(as_json=as_json)
    with open_project(project_dir) as lh:
        frozen = show_sandbox(lh, name)
    output.data(_document(frozen))
    output.say(f"{frozen.table}: {frozen.rows} rows, created {frozen.created_at}\n{frozen.sql}")
    output.table("read from", ["table", "snapshot id"], [[t, s] for t, s in frozen.inputs.items()])


@sandbox_app.command("drop")
def drop(
    name: NameArgument, project_dir: ProjectOption = Path(), quiet: QuietOption = False
) -> None:
    """Drop a sandbox's table."""
    from lakebox.analysis.sandbox import drop_sandbox
    from lakebox.lakehouse import open_project

    with open_project(project_dir) as lh:
        drop_sandbox(lh, name)
    Output(quiet).say(f"dropped sandbox {name}")


def _document(frozen: Extract) -> dict[str, Any]:
    return {"name": frozen.name, **plain(frozen)}


def _inputs(frozen: Extract) -> str:
    return ", ".join(f"{table}@{snapshot}" for table, snapshot in frozen.inputs.items()) or "-"
