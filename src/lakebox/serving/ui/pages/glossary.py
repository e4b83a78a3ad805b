"""The glossary pages: every business term with its definition and how many of the user's
readable columns carry it, and a page per term listing those columns with their tables and
their lineage (the upstream chain of columns each comes from)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from lakebox.errors import DictionaryError
from lakebox.governance.glossary import term, terms, upstream_of
from lakebox.serving.dependencies import LakehouseDep, PrincipalDep
from lakebox.serving.dictionary import readable_dictionary
from lakebox.serving.lineage import cached_graph
from lakebox.serving.ui.templating import project, render

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)


@router.get("/glossary")
def listing(request: Request, lh: LakehouseDep, who: PrincipalDep) -> HTMLResponse:
    found = terms(lh.config.glossary, readable_dictionary(lh, who))
    return render(request, "glossary.html", "glossary", terms=found, **project(lh))


@router.get("/glossary/{name}")
def term_page(request: Request, name: str, lh: LakehouseDep, who: PrincipalDep) -> HTMLResponse:
    graph = cached_graph(lh)
    try:
        shown = term(lh.config.glossary, readable_dictionary(lh, who), name)
    except DictionaryError as error:
        return render(
            request, "missing.html", "glossary", error=error, status_code=404, **project(lh)
        )
    carriers: list[dict[str, Any]] = [
        {"carrier": carrier, "upstream": upstream_of(graph, carrier, who)}
        for carrier in shown.carriers
        if carrier.column
    ]
    tables = [carrier.table for carrier in shown.carriers if not carrier.column]
    return render(
        request, "term.html", "glossary", term=shown, columns=carriers, tables=tables, **project(lh)
    )
