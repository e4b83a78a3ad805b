"""The admin page (ability `admin`): the project's users with their roles and attributes, their
API tokens (never a secret), every role with what it reads and may do (built-in and custom,
with what they extend resolved), the column tags and masks, and the row filters."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from lakebox.access.control import access_control
from lakebox.access.principal import BUILTIN, Principal
from lakebox.config.access import AccessConfig
from lakebox.serving.dependencies import LakehouseDep, PrincipalDep
from lakebox.serving.ui.pages.grants import ability_refusal, refused
from lakebox.serving.ui.templating import project, render

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)


@router.get("/admin")
def admin(request: Request, lh: LakehouseDep, who: PrincipalDep) -> HTMLResponse:
    refusal = ability_refusal(who, "admin", "administer the project")
    if refusal is not None:
        return refused(request, lh, refusal, "admin")
    control = access_control(lh)
    now = datetime.now(UTC)
    tokens = [{**vars(token), "usable": token.usable(now)} for token in control.tokens.list()]
    return render(
        request,
        "admin.html",
        "admin",
        configured=control.configured,
        users=control.users.list(),
        tokens=tokens,
        roles=roles(control.config),
        config=control.config,
        **project(lh),
    )


def roles(config: AccessConfig) -> list[dict[str, Any]]:
    """Return every role, built-in then custom, with its reads and abilities resolved (what
    it extends included)."""
    names = [*BUILTIN, *(name for name in config.roles if name not in BUILTIN)]
    return [_role(config, name) for name in names]


def _role(config: AccessConfig, name: str) -> dict[str, Any]:
    custom = config.roles.get(name)
    resolved = Principal(f"role {name}", (name,), {}, config)
    chosen = custom or BUILTIN[name]
    kind = "custom" if name not in BUILTIN else "built-in, redefined" if custom else "built-in"
    return {
        "name": name,
        "kind": kind,
        "description": chosen.description,
        "extends": chosen.extends,
        "reads": list(resolved.reads),
        "abilities": sorted(resolved.abilities),
    }
