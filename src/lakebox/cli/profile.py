"""`lakebox profile`: profile a table's columns (nulls, distinct values, top values, a
histogram) and store the profile."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from lakebox.cli.options import JsonOption, ProjectOption
from lakebox.cli.render import Output, plain

if TYPE_CHECKING:
    from lakebox.quality.profile import Bin, ColumnProfile, TableProfile

BARS = "▁▂▃▄▅▆▇█"


def register(app: typer.Typer) -> None:
    """Add `lakebox profile` to `app`."""
    app.command("profile")(profile_command)


def profile_command(
    table: Annotated[str, typer.Argument(help="zone.table, e.g. formatted.sales")],
    top: Annotated[int, typer.Option(min=1, help="How many most frequent values to keep.")] = 10,
    bins: Annotated[int, typer.Option(min=1, help="At most this many histogram bins.")] = 20,
    project_dir: ProjectOption = Path(),
    as_json: JsonOption = False,
) -> None:
    """Profile a table's columns and store the profile in ops.profiles."""
    from lakebox.lakehouse import open_project
    from lakebox.quality.profile import profile

    with open_project(project_dir) as lh:
        result = profile(lh, table, top, bins)
    show_profile(Output(as_json=as_json), result)


def show_profile(output: Output, result: TableProfile) -> None:
    """Show a table profile: one row per column."""
    output.data(plain(result))
    output.say(
        f"{result.table}: {result.rows} rows at snapshot {result.snapshot_id}; "
        "stored in ops.profiles"
    )
    output.table(
        f"profile of {result.table}",
        ["column", "type", "null %", "distinct", "min", "max", "top values", "histogram"],
        [_row(column) for column in result.columns],
    )


def _row(column: ColumnProfile) -> list[object]:
    top_values = ", ".join(f"{value} ({count})" for value, count in column.top_values)
    return [
        column.name,
        column.type,
        f"{column.null_share:.1%}",
        column.distinct_count,
        column.min,
        column.max,
        top_values,
        sparkline(column.histogram),
    ]


def sparkline(histogram: list[Bin]) -> str:
    """Return the histogram's counts as a line of bars, tallest for the largest count."""
    largest = max((count for _, _, count in histogram), default=0)
    if not largest:
        return ""
    return "".join(
        BARS[round(count / largest * (len(BARS) - 1))] if count else " "
        for _, _, count in histogram
    )
