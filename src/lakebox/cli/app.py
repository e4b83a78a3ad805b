"""The `lakebox` command line: the Typer app with every command module registered on it, in
the order `lakebox --help` lists them, and `main`, which shows errors instead of tracebacks."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from lakebox.cli import (
    access,
    alerts,
    anomalies,
    audit,
    backfill,
    checks,
    dashboards,
    demo,
    describe,
    forecast,
    glossary,
    impact,
    lineage,
    maintain,
    models,
    pg,
    pipelines,
    profile,
    project,
    query,
    reformat,
    render,
    run,
    runs,
    sandbox,
    search,
    serve,
    stream,
    tokens,
    users,
)
from lakebox.cli.options import TERMINATED_EXIT_CODE
from lakebox.errors import LakeboxError, RunTerminated

# Each module adds its commands with `register(app)`. Typer lists the commands in the order
# they were added, then the groups (source, models, sandbox, users …) in theirs.
COMMAND_MODULES = (
    project,
    run,
    query,
    demo,
    alerts,
    anomalies,
    backfill,
    checks,
    dashboards,
    describe,
    forecast,
    impact,
    lineage,
    maintain,
    models,
    pg,
    pipelines,
    profile,
    reformat,
    runs,
    sandbox,
    serve,
    stream,
    audit,
    users,
    tokens,
    access,
    glossary,
    search,
)


def main() -> None:
    """Run the CLI; a LakeboxError ends it with its message and exit code 1, a terminated
    run with 143."""
    try:
        app()
    except LakeboxError as error:
        render.show_error(error)
        sys.exit(1)
    except RunTerminated as error:  # recorded as failed; exit as a process ended by SIGTERM
        render.show_error(f"the run was {error}")
        sys.exit(TERMINATED_EXIT_CODE)


def _version(shown: bool) -> None:
    """Print `lakebox <version>` (from the installed package's metadata) and exit."""
    if not shown:
        return
    from importlib.metadata import PackageNotFoundError, version

    from lakebox.ground.version import __version__

    try:
        installed = version("lakebox")
    except PackageNotFoundError:  # run from a source tree that was never installed
        installed = __version__
    print(f"lakebox {installed}")
    raise typer.Exit()


def options(
    show_version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """lakebox: a local-first lakehouse on DuckDB over Apache Iceberg."""


def assemble() -> typer.Typer:
    """Return the `lakebox` app with its options and every command module's commands."""
    assembled = typer.Typer(
        help="lakebox: a local-first lakehouse on DuckDB over Apache Iceberg.",
        no_args_is_help=True,
        pretty_exceptions_enable=False,
    )
    assembled.callback()(options)
    for module in COMMAND_MODULES:
        module.register(assembled)
    return assembled


app = assemble()
