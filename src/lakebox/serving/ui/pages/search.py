"""The search page: what the header's search box finds among the tables, columns and glossary
terms the user may read, ranked (see `lakebox.governance.search`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from lakebox.governance.search import MAX_TEXT, RULES, search
from lakebox.serving.dependencies import LakehouseDep, PrincipalDep
from lakebox.serving.dictionary import readable_dictionary
from lakebox.serving.ui.templating import project, render

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)


@router.get("/search")
def results(
    request: Request,
    lh: LakehouseDep,
    who: PrincipalDep,
    q: Annotated[str, Query(max_length=MAX_TEXT)] = "",
) -> HTMLResponse:
    hits = search(q, readable_dictionary(lh, who), lh.config.glossary) if q.strip() else []
    return render(
        request, "search.html", "search", search_text=q, hits=hits, rules=RULES, **project(lh)
    )
