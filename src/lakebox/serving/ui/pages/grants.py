"""What a page may show its user: the tables their grants cover, the page refusing what they
lack (403, naming the missing grant), and whether a table may be shown to them through
lakebox's own trusted reads — only when they read it whole, without masks or row filters
(anything else is read through `QueryService.run`, where masks and filters apply)."""

from __future__ import annotations

from collections.abc import Iterable

from fastapi import Request
from fastapi.responses import HTMLResponse

from lakebox.access.principal import Principal
from lakebox.access.secure import table_refusal as refusal_of
from lakebox.catalog import TableRef
from lakebox.errors import AccessDenied
from lakebox.lakehouse import Lakehouse
from lakebox.serving.ui.templating import project, render

GRANT_HINT = "an admin can grant it under access.roles in lakebox.yaml"
ABILITY_HINT = "an admin can grant it under access.roles (can: [...]) in lakebox.yaml"


def refused(request: Request, lh: Lakehouse, error: AccessDenied, section: str) -> HTMLResponse:
    """Return the 403 page saying what the user lacks."""
    return render(request, "refused.html", section, error=error, status_code=403, **project(lh))


def table_refusal(principal: Principal, ref: TableRef) -> AccessDenied | None:
    """Return why `principal` may not read `ref` (naming the grant), or None if they may."""
    if principal.may_read_table(ref.zone, ref.name):
        return None
    return refusal_of(principal, ref.zone, ref.name)


def ability_refusal(principal: Principal, ability: str, what: str) -> AccessDenied | None:
    """Return why `principal` may not `what` (lacking `ability`), or None if they may."""
    if principal.can(ability):
        return None
    return AccessDenied(
        f"{principal.name} may not {what}: no grant of {ability!r} in their roles "
        f"({', '.join(principal.roles) or 'none'})",
        hint=ABILITY_HINT,
    )


def columns_of(lh: Lakehouse, ref: TableRef) -> list[str]:
    """Return the names of `ref`'s columns (from the catalog; none for an unknown table)."""
    table = lh.catalog.load(ref)
    return [] if table is None else [field.name for field in table.schema().fields]


def hidden_parts(principal: Principal, ref: TableRef, columns: list[str]) -> list[str]:
    """Return what of `ref` is hidden from `principal`: its row filters, masked columns and
    columns not granted (empty when they read it whole and in the clear)."""
    if principal.access is None:
        return []
    hidden = [f"rows filtered ({where})" for where in principal.row_filters(ref.zone, ref.name)]
    granted = set(principal.readable_columns(ref.zone, ref.name, columns))
    for column in columns:
        mask = principal.mask_of(ref.zone, ref.name, column)
        if column not in granted:
            hidden.append(f"column {column} not granted")
        elif mask is not None:
            hidden.append(f"column {column} masked ({mask.kind}, by {mask.rule})")
    return hidden


def plain_refusal(lh: Lakehouse, principal: Principal, ref: TableRef) -> AccessDenied | None:
    """Return why a page showing `ref` whole (read by lakebox's trusted SQL) may not be shown
    to `principal` — the table is not granted, or parts of it are hidden from them — or None."""
    refusal = table_refusal(principal, ref)
    if refusal is not None or not principal.restricted:
        return refusal
    hidden = hidden_parts(principal, ref, columns_of(lh, ref))
    if not hidden:
        return None
    return AccessDenied(
        f"this page shows {ref.identifier} whole, and parts of it are hidden from "
        f"{principal.name}: {'; '.join(hidden)}",
        hint="query it in the SQL console, where the masks and row filters apply",
        table=ref.identifier,
    )


def first_refusal(
    lh: Lakehouse, principal: Principal, refs: Iterable[TableRef]
) -> AccessDenied | None:
    """Return the first of `refs` that may not be shown whole to `principal`, or None."""
    for ref in refs:
        refusal = plain_refusal(lh, principal, ref)
        if refusal is not None:
            return refusal
    return None
