"""The physical metadata section of a table page (its partial `table_physical.html`): how the
source's files are read, the schema versions, the data files and the snapshots with their
landing objects or model inputs, as the page's user may see them (the same view as
`GET /api/tables/{zone}/{name}/physical`)."""

from __future__ import annotations

from typing import Any

from lakebox.catalog import TableRef
from lakebox.errors import LakeboxError
from lakebox.governance.physical_text import (
    change_text,
    read_text,
    setting_text,
    size_text,
    version_text,
)
from lakebox.lakehouse import Lakehouse
from lakebox.serving.queries import QueryService
from lakebox.serving.routes.physical import physical_of
from lakebox.serving.ui.templating import TEMPLATES

PAGE_SNAPSHOTS = 10

TEMPLATES.env.filters.update(
    setting_text=setting_text,
    size_text=size_text,
    change_text=change_text,
    version_text=version_text,
    read_text=read_text,
)


def physical_context(lh: Lakehouse, queries: QueryService, ref: TableRef) -> dict[str, Any]:
    """Return the section's context: `physical`, or why it could not be read (the rest of
    the page shows all the same)."""
    try:
        return {"physical": physical_of(lh, queries, ref, PAGE_SNAPSHOTS), "physical_problem": None}
    except LakeboxError as error:
        return {"physical": None, "physical_problem": error.message}
