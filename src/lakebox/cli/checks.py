"""`lakebox checks`: the latest check results per table, or the checks run now."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from lakebox.cli.options import JsonOption, ProjectOption
from lakebox.cli.render import Output, plain

if TYPE_CHECKING:
    from lakebox.quality.checks import CheckResult


def register(app: typer.Typer) -> None:
    """Add `lakebox checks` to `app`."""
    app.command()(checks)


def checks(
    table: Annotated[
        str | None, typer.Argument(help="Only this table, e.g. exploitation.stores.")
    ] = None,
    run_now: Annotated[
        bool,
        typer.Option("--run", help="Run the declared checks now on the current tables."),
    ] = False,
    project_dir: ProjectOption = Path(),
    as_json: JsonOption = False,
) -> None:
    """Show each table's latest check results (exit 1 if a blocking check fails)."""
    from lakebox.exploitation.declared import check_now
    from lakebox.ground.clock import new_batch_id, now
    from lakebox.lakehouse import open_project
    from lakebox.quality import results

    output = Output(as_json=as_json)
    with open_project(project_dir) as lh:
        found = check_now(lh, new_batch_id(now()), table) if run_now else results.latest(lh, table)
    show_checks(output, found)
    if not found and not as_json:
        output.say("no check results yet: declare checks (docs/checks.md) and run 'lakebox run'")
    raise typer.Exit(1 if any(result.blocks for result in found) else 0)


def show_checks(output: Output, found: list[CheckResult]) -> None:
    """Show check results: failures and warnings first, with a sample of failing rows."""
    output.data([plain(result) for result in found])
    order = {"error": 0, "fail": 1, "warn": 2, "pass": 3}
    output.table(
        "checks",
        ["table", "check", "severity", "status", "failing rows", "message", "sample"],
        [
            [
                r.table,
                r.check,
                r.severity,
                r.status,
                r.failing_rows,
                r.message,
                str(r.sample[0]) if r.sample else "",
            ]
            for r in sorted(found, key=lambda r: (order.get(r.status, 9), r.table, r.check))
        ],
    )
