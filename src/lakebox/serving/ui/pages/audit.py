"""The audit page (ability `admin`): the latest entries of the audit log — who read what,
through which door, when, how many rows; logins, failed logins and logouts — filtered by user,
table, action and a start time given in the address (`/audit?user=ana&since=2026-12-01`)."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from lakebox.access.audit import ACTIONS
from lakebox.access.control import access_control
from lakebox.errors import ConfigError
from lakebox.serving.dependencies import LakehouseDep, PrincipalDep
from lakebox.serving.ui.pages.grants import ability_refusal, refused
from lakebox.serving.ui.templating import project, render

LATEST = 500

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)


@router.get("/audit")
def audit(
    request: Request,
    lh: LakehouseDep,
    who: PrincipalDep,
    user: str = "",
    table: str = "",
    action: str = "",
    since: str = "",
) -> HTMLResponse:
    refusal = ability_refusal(who, "admin", "read the audit log")
    if refusal is not None:
        return refused(request, lh, refusal, "audit")
    problem = None
    try:
        start = moment(since)
    except ConfigError as error:
        start, problem = None, error
    entries = access_control(lh).audit.entries(
        user=user.strip() or None,
        table=table.strip() or None,
        since=start,
        action=action or None,
        limit=LATEST,
    )
    return render(
        request,
        "audit.html",
        "audit",
        entries=entries,
        chosen={"user": user, "table": table, "action": action, "since": since},
        actions=ACTIONS,
        latest=LATEST,
        problem=problem,
        **project(lh),
    )


def moment(text: str) -> datetime | None:
    """Return the ISO date or time `text` as a UTC time (None for no text); ConfigError when
    it is not one."""
    if not text.strip():
        return None
    try:
        found = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ConfigError(
            f"{text!r} is not a date or time",
            hint="give an ISO date or time, e.g. 2026-12-01 or 2026-12-01T09:30",
        ) from None
    return found if found.tzinfo is not None else found.replace(tzinfo=UTC)
