"""`lakebox init` (a starter project) and `lakebox source` (add and list the sources in
lakebox.yaml)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from lakebox import config as config_module
from lakebox import project
from lakebox.cli.options import JsonOption, ProjectOption, QuietOption
from lakebox.cli.render import Output
from lakebox.config import FORMATS

source_app = typer.Typer(help="Manage the project's sources.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add `lakebox init` and the `lakebox source` commands to `app`."""
    app.command()(init)
    app.add_typer(source_app, name="source")


def init(
    directory: Annotated[Path, typer.Argument(help="Where to create the project.")] = Path(),
    name: Annotated[str | None, typer.Option(help="The project's name.")] = None,
    quiet: QuietOption = False,
) -> None:
    """Create a commented starter project (lakebox.yaml and models/)."""
    path = project.init(directory, name)
    Output(quiet).say(f"created {path}; add a source with 'lakebox source add'")


@source_app.command("add")
def source_add(
    name: Annotated[str, typer.Argument(help="The source's name (lower-case, digits, _).")],
    kind: Annotated[
        str, typer.Option(help="files, postgres, mysql, sqlite, sql or http.")
    ] = "files",
    path: Annotated[
        str | None, typer.Option(help="files: a folder or glob, relative to the project.")
    ] = None,
    url: Annotated[
        str | None,
        typer.Option(help="Databases and http: the URL; write secrets as ${ENV_VAR}."),
    ] = None,
    table: Annotated[str | None, typer.Option(help="Databases: the table to pull.")] = None,
    query: Annotated[str | None, typer.Option(help="Databases: a query to pull.")] = None,
    cursor: Annotated[
        str | None, typer.Option(help="Pull incrementally by this column or record field.")
    ] = None,
    cursor_param: Annotated[
        str | None, typer.Option(help="http: the query parameter that sends the cursor.")
    ] = None,
    records: Annotated[
        str | None, typer.Option(help="http: the dotted path of each page's records.")
    ] = None,
    file_format: Annotated[
        str | None,
        typer.Option("--format", help=f"One of {', '.join(FORMATS)}; default: by file extension."),
    ] = None,
    key: Annotated[str | None, typer.Option(help="Key columns, comma-separated.")] = None,
    timezone: Annotated[str, typer.Option(help="Time zone of local times in the data.")] = "UTC",
    project_dir: ProjectOption = Path(),
    quiet: QuietOption = False,
) -> None:
    """Add a source to lakebox.yaml."""
    options = {
        "kind": kind,
        "path": path,
        "url": url,
        "table": table,
        "query": query,
        "records": records,
        "format": file_format,
        "key": key or [],
        "timezone": timezone,
    }
    if cursor:
        options["incremental"] = {"cursor": cursor, "param": cursor_param}
    source = config_module.source_from_options(
        {option: value for option, value in options.items() if value is not None}
    )
    project.add_source(project_dir, name, source)
    Output(quiet).say(
        f"added source {name!r}; collect it (and build the models) with 'lakebox run'"
    )


@source_app.command("list")
def source_list(project_dir: ProjectOption = Path(), as_json: JsonOption = False) -> None:
    """List the project's sources."""
    sources = config_module.load(project_dir).sources
    output = Output(as_json=as_json)
    output.data({name: source.model_dump(mode="json") for name, source in sources.items()})
    output.table(
        "sources",
        ["name", "kind", "from", "format", "key", "incremental by", "timezone"],
        [
            [
                name,
                s.kind,
                s.path or _shown_url(s.url or "", s.table),
                s.format or ("(by extension)" if s.kind == "files" else ""),
                ",".join(s.key),
                s.incremental.cursor if s.incremental else "",
                s.timezone,
            ]
            for name, s in sources.items()
        ],
    )


def _shown_url(url: str, table: str | None) -> str:
    from lakebox.redaction import redact_url

    return redact_url(url) + (f" ({table})" if table else "")
