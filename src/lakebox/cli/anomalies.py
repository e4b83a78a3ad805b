"""`lakebox anomalies`: run the declared anomaly rules, or show what they stored."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from lakebox.cli.options import JsonOption, ProjectOption
from lakebox.cli.render import MAX_ROWS_SHOWN, Output, plain
from lakebox.errors import ConfigError

if TYPE_CHECKING:
    import pyarrow as pa

SEVERITIES = ("info", "warn", "critical")
SHOWN_COLUMNS = ("severity", "rule_name", "entity", "ts", "value", "expected", "deviation")


def register(app: typer.Typer) -> None:
    """Add `lakebox anomalies` to `app`."""
    app.command()(anomalies)


def anomalies(
    names: Annotated[
        list[str] | None, typer.Argument(help="Only these rules; default: every declared rule.")
    ] = None,
    severity: Annotated[
        str, typer.Option(help="Show this severity and above: info, warn or critical.")
    ] = "info",
    since: Annotated[
        str | None,
        typer.Option(help="Only incidents ending on or after this date (YYYY-MM-DD)."),
    ] = None,
    show: Annotated[
        bool, typer.Option("--show", help="Show the stored anomalies instead of detecting.")
    ] = False,
    project_dir: ProjectOption = Path(),
    as_json: JsonOption = False,
) -> None:
    """Run the anomaly rules declared in lakebox.yaml into analytics.anomalies and show what
    they found (exit 1 if a rule failed)."""
    from lakebox.analysis.anomalies import detect, stored
    from lakebox.lakehouse import open_project

    shown_from = _since(since)
    lowest = _severity(severity)
    output = Output(as_json=as_json)
    with open_project(project_dir) as lh:
        if show:
            rows = _stored_rows(stored(lh), names, shown_from)
            output.data({"anomalies": _visible(rows, lowest)})
            _show_anomalies(output, _visible(rows, lowest))
            return
        report = detect(lh, names, shown_from)
    found = _visible(report.anomalies.to_pylist(), lowest)
    output.data({"run_id": report.run_id, "rules": plain(report.outcomes), "anomalies": found})
    _show_outcomes(output, report.outcomes)
    _show_anomalies(output, found)
    raise typer.Exit(0 if report.ok else 1)


def _since(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value).replace(tzinfo=None)
    except ValueError:
        raise ConfigError(
            f"--since {value!r} is not a date", hint="write it as YYYY-MM-DD, e.g. 2025-06-01"
        ) from None


def _severity(value: str) -> int:
    if value not in SEVERITIES:
        raise ConfigError(
            f"--severity {value!r} is not a severity", hint=f"use one of {', '.join(SEVERITIES)}"
        )
    return SEVERITIES.index(value)


def _stored_rows(
    table: pa.Table, names: list[str] | None, since: datetime | None
) -> list[dict[str, Any]]:
    rows = table.to_pylist()
    return [
        row
        for row in rows
        if (not names or row["rule_name"] in names) and (since is None or row["ts_end"] >= since)
    ]


def _visible(rows: list[dict[str, Any]], lowest: int) -> list[dict[str, Any]]:
    rank = {level: position for position, level in enumerate(SEVERITIES)}
    kept = [row for row in rows if rank.get(row["severity"], 0) >= lowest]
    return sorted(kept, key=lambda row: (-rank.get(row["severity"], 0), row["ts"], row["entity"]))


def _show_outcomes(output: Output, outcomes: list[Any]) -> None:
    output.table(
        "anomaly rules",
        ["rule", "kind", "table", "status", "critical", "warn", "info", "message"],
        [
            [
                outcome.name,
                outcome.rule,
                outcome.table,
                outcome.status,
                outcome.counts.get("critical", 0),
                outcome.counts.get("warn", 0),
                outcome.counts.get("info", 0),
                outcome.message,
            ]
            for outcome in outcomes
        ],
    )


def _show_anomalies(output: Output, rows: list[dict[str, Any]]) -> None:
    if not rows:
        output.say("no anomalies")
        return
    output.table(
        "anomalies",
        [*SHOWN_COLUMNS, "detail"],
        [
            [*(_cell(column, row[column]) for column in SHOWN_COLUMNS), row["detail"]]
            for row in rows[:MAX_ROWS_SHOWN]
        ],
    )
    if len(rows) > MAX_ROWS_SHOWN:
        more = len(rows) - MAX_ROWS_SHOWN
        output.say(f"… {more} more (use --json, or query analytics.anomalies)")


def _cell(column: str, value: object) -> object:
    if column == "deviation" and isinstance(value, float):
        return f"{value:+.0%}"
    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) < 10 else f"{value:.0f}"
    return value
