"""`lakebox query` (read-only SQL over every zone, now or as of a snapshot), `lakebox history`
(a table's snapshots) and `lakebox tables` (every table with its row count)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from lakebox.cli.options import JsonOption, ProjectOption
from lakebox.cli.render import Output

if TYPE_CHECKING:
    import pyarrow as pa

    from lakebox.errors import LakeboxError
    from lakebox.lakehouse import Lakehouse


def register(app: typer.Typer) -> None:
    """Add `lakebox query`, `lakebox history` and `lakebox tables` to `app`."""
    app.command()(query)
    app.command()(history)
    app.command()(tables)


def query(
    sql: Annotated[str, typer.Argument(help="The SQL to run (DuckDB dialect).")],
    output_format: Annotated[
        str, typer.Option("--format", help="table, csv, json or parquet.")
    ] = "table",
    as_of: Annotated[
        str | None,
        typer.Option(help="A snapshot id, or an ISO time: read the tables as they were then."),
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to this file instead of stdout.")
    ] = None,
    project_dir: ProjectOption = Path(),
) -> None:
    """Run one read-only statement over every zone and print the result (the same guard as
    the UI's: reading statements and the functions listed in docs/pg.md only). The query is
    written to the audit log as the login's, through door cli."""
    from lakebox.cli.results import write_result
    from lakebox.errors import LakeboxError
    from lakebox.lakehouse import open_project

    with open_project(project_dir) as lh:
        started = time.monotonic()
        try:
            result = _run(lh, sql, as_of)
        except LakeboxError as error:
            _audit(lh, sql, None, started, error)
            raise
        _audit(lh, sql, result.num_rows, started)
    write_result(result, output_format, out)


def _run(lh: Lakehouse, sql: str, as_of: str | None) -> pa.Table:
    from lakebox.errors import QueryError
    from lakebox.ground.readonly import ensure_read_only

    checked = ensure_read_only(sql, lh.readable_places())
    try:
        return lh.query(checked, as_of=as_of)
    except QueryError as error:
        from lakebox.serving.queries import explain_missing_table

        raise explain_missing_table(error, lh.metadata_locations()) from None


def _audit(
    lh: Lakehouse, sql: str, rows: int | None, started: float, error: LakeboxError | None = None
) -> None:
    """Write the query's audit entry: the tables it read and the rows it gave, or its error."""
    from lakebox.access.local import append, query_entry

    elapsed = (time.monotonic() - started) * 1000
    append(lh, [query_entry(lh, sql, rows, elapsed, error)])


def history(
    table: Annotated[
        str, typer.Argument(help="zone.table, e.g. formatted.sales, or a name only one has")
    ],
    project_dir: ProjectOption = Path(),
    as_json: JsonOption = False,
) -> None:
    """List a table's snapshots (ids to use with 'query --as-of')."""
    from lakebox.cli.summary import show_history
    from lakebox.lakehouse import open_project

    with open_project(project_dir) as lh:
        show_history(Output(as_json=as_json), lh, table)


def tables(project_dir: ProjectOption = Path(), as_json: JsonOption = False) -> None:
    """List every table of every zone with its row count."""
    from lakebox.cli.summary import show_tables
    from lakebox.lakehouse import open_project

    with open_project(project_dir) as lh:
        show_tables(Output(as_json=as_json), lh)
