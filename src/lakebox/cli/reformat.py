"""`lakebox reformat`: format landed batches again after a config change, their rows
replacing the ones they had."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from lakebox.cli.options import JsonOption, ProjectOption, QuietOption, WaitOption
from lakebox.cli.render import Output

if TYPE_CHECKING:
    from lakebox.ground.reporter import Reporter
    from lakebox.lakehouse import Lakehouse
    from lakebox.orchestration.report import RunReport


def register(app: typer.Typer) -> None:
    """Add `lakebox reformat` to `app`."""
    app.command()(reformat)


def reformat(
    source: Annotated[
        list[str] | None,
        typer.Option(help="Only the batches of this source (repeatable). Default: every source."),
    ] = None,
    batch: Annotated[
        list[str] | None,
        typer.Option(
            help="Only this landed batch (repeatable; its id as in landing.manifest). "
            "Default: every batch of the sources."
        ),
    ] = None,
    wait: WaitOption = 0.0,
    project_dir: ProjectOption = Path(),
    quiet: QuietOption = False,
    as_json: JsonOption = False,
) -> None:
    """Format landed batches again with lakebox.yaml as it is now: each batch's rows replace
    the ones it had in the formatted and quarantine tables, and its manifest row gets the new
    counts. Models are not rebuilt ('lakebox run' does). Exits 1 if a batch failed to format,
    75 if a run of the pipeline is under way."""
    from lakebox.cli.run import run_and_report
    from lakebox.cli.summary import show_reformat
    from lakebox.orchestration.runner import reformat as reformat_batches

    models: list[bool] = []

    def work(lh: Lakehouse, reporter: Reporter) -> RunReport:
        models.append(any((lh.project_dir / lh.config.models.path).glob("*.sql")))
        return reformat_batches(lh, source, batch, reporter, wait)

    run_and_report(
        project_dir,
        Output(quiet, as_json),
        work,
        lambda output, report: show_reformat(output, report, has_models=any(models)),
        audited=f"reformat: sources {', '.join(source) if source else 'all'}"
        + (f"; batches {', '.join(batch)}" if batch else ""),
    )
