"""`lakebox audit`: the audit log (`ops.audit`) newest first — who read which tables through
which door, logins, grant changes, runs — filtered by user, table, time and action."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer

from lakebox.cli.options import JsonOption, ProjectOption
from lakebox.cli.render import Output
from lakebox.errors import ConfigError

# a duration back from now: 30m, 1h, 2d, 1w
_AGO = re.compile(r"^\s*(\d+)\s*(m|min|h|d|w)\s*$", re.IGNORECASE)
_UNITS = {"m": "minutes", "min": "minutes", "h": "hours", "d": "days", "w": "weeks"}
COLUMNS = ["at", "user", "door", "action", "outcome", "tables", "rows", "ms", "client", "detail"]


def register(app: typer.Typer) -> None:
    """Add `lakebox audit` to `app`."""
    app.command()(audit)


def audit(
    user: Annotated[str | None, typer.Option(help="Only this user's entries.")] = None,
    table: Annotated[
        str | None, typer.Option(help="Only entries that read this table (zone.table).")
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(help="Only entries since a date or time (2026-12-01), or for 1h, 2d, 30m."),
    ] = None,
    action: Annotated[
        str | None,
        typer.Option(
            help="Only this action: query, read table, download, login, failed login, logout, "
            "grant change, run, erase, dictionary edit."
        ),
    ] = None,
    limit: Annotated[int, typer.Option(help="At most this many entries.")] = 100,
    project_dir: ProjectOption = Path(),
    as_json: JsonOption = False,
) -> None:
    """List the audit log's entries newest first: time, user, door, action, outcome, tables
    read, rows, duration, client and detail — never the data itself."""
    from lakebox.access.entry import ACTIONS
    from lakebox.cli.access import opened_control

    if action is not None and action not in ACTIONS:
        raise ConfigError(f"--action {action!r} is not an action", hint=f"use {', '.join(ACTIONS)}")
    if limit < 1:
        raise ConfigError(f"--limit {limit} must be 1 or more")
    if table is not None and table.count(".") != 1:
        raise ConfigError(f"--table {table!r} is not zone.table", hint="e.g. formatted.sales")
    start = since_moment(since, datetime.now(UTC)) if since is not None else None
    output = Output(as_json=as_json)
    with opened_control(project_dir) as control:
        found = control.audit.entries(user, table, start, action, limit)
    output.data(found)
    if not found:
        output.say("no audit entries match")
        return
    output.table("audit log (newest first)", COLUMNS, [_row(entry) for entry in found])


def since_moment(text: str, now: datetime) -> datetime:
    """Return the moment `--since` means: a date or ISO time (UTC unless it says), or a
    duration back from `now` (30m, 1h, 2d, 1w)."""
    from lakebox.ground.clock import moment_of

    match = _AGO.match(text)
    if match is not None:
        unit = _UNITS[match.group(2).lower()]
        return now - timedelta(**{unit: int(match.group(1))})
    try:
        return moment_of(text).astimezone(UTC)
    except ValueError:
        raise ConfigError(
            f"--since {text!r} is neither a date nor a duration",
            hint="e.g. 2026-12-01, 2026-12-01T09:30, 30m, 1h or 2d",
        ) from None


def _row(entry: dict[str, object]) -> list[object]:
    at = entry["at"]
    duration = entry["duration_ms"]
    return [
        f"{at:%Y-%m-%d %H:%M:%S}" if isinstance(at, datetime) else at,
        entry["user"],
        entry["door"],
        entry["action"],
        entry["outcome"],
        ", ".join(entry["tables"]),  # type: ignore[arg-type]
        entry["rows"],
        f"{duration:.0f}" if isinstance(duration, float) else "",
        entry["client"] or "",
        entry["detail"] or "",
    ]
