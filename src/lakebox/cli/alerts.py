"""`lakebox alerts`: evaluate the incidents, send the alerts due and show what changed."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from lakebox.cli.options import JsonOption, ProjectOption
from lakebox.cli.render import Output

if TYPE_CHECKING:
    from lakebox.monitoring.ledger import AlertRecord

COLUMNS = ["change", "severity", "kind", "subject", "incident"]


def register(app: typer.Typer) -> None:
    """Add `lakebox alerts` to `app`."""
    app.command()(alerts)


def alerts(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what would be sent; send and store nothing.")
    ] = False,
    project_dir: ProjectOption = Path(),
    as_json: JsonOption = False,
) -> None:
    """Gather incidents (anomalies, failed checks, stale tables, failed runs), send an alert
    for each new one and a resolved message for each one gone (exit 1 if a delivery failed)."""
    from lakebox.lakehouse import open_project
    from lakebox.monitoring.alerts import evaluate

    output = Output(as_json=as_json)
    with open_project(project_dir) as lh:
        report = evaluate(lh, dry_run=dry_run)
    changes = [("opened", r) for r in report.opened] + [("resolved", r) for r in report.resolved]
    output.data(
        {
            "dry_run": dry_run,
            "opened": [_plain(record) for record in report.opened],
            "resolved": [_plain(record) for record in report.resolved],
            "still_open": [_plain(record) for record in report.still_open],
            "failures": [{"incident_id": i, "error": e} for i, e in report.failures],
        }
    )
    output.table("alerts", COLUMNS, [_row(change, record) for change, record in changes])
    output.say(f"{len(report.still_open)} still open")
    for incident_id, error in report.failures:
        output.warn(f"{incident_id}: {error}")
    raise typer.Exit(0 if report.ok else 1)


def _row(change: str, record: AlertRecord) -> list[str]:
    return [change, record.severity, record.kind, record.subject, record.incident_id]


def _plain(record: AlertRecord) -> dict[str, object]:
    return {
        "incident_id": record.incident_id,
        "kind": record.kind,
        "source": record.source,
        "subject": record.subject,
        "severity": record.severity,
        "status": record.status,
        "opened_at": record.opened_at,
        "resolved_at": record.resolved_at,
        "last_error": record.last_error,
    }
