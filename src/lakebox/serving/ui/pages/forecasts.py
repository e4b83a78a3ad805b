"""The forecasts: every declared or made forecast, and a page per forecast (series picker,
history with the forecast and its interval bands, every candidate's backtest, run now) — those
whose tables the user reads whole and in the clear; run now for users given `runs`."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from lakebox.analysis.forecast import reader
from lakebox.analysis.forecast.tables import table_refs
from lakebox.errors import CatalogError
from lakebox.serving.dependencies import LakehouseDep, PrincipalDep, QueriesDep
from lakebox.serving.ui.pages.grants import first_refusal, refused
from lakebox.serving.ui.templating import project, render

EXAMPLE = (
    "lakebox forecast materials --table exploitation.materials_monthly --id material "
    "--time month --value quantity_kg --freq MS --horizon 12"
)


router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)


@router.get("/forecasts")
def listing(
    request: Request, lh: LakehouseDep, queries: QueriesDep, who: PrincipalDep
) -> HTMLResponse:
    names = [
        name
        for name in reader.forecast_names(lh)
        if first_refusal(lh, who, table_refs(name)) is None
    ]
    found = [reader.summary(lh, queries.catalog, name) for name in names]
    return render(
        request, "forecasts.html", "forecasts", forecasts=found, example=EXAMPLE, **project(lh)
    )


@router.get("/forecasts/{name}")
def forecast(
    request: Request,
    name: str,
    lh: LakehouseDep,
    queries: QueriesDep,
    who: PrincipalDep,
    series: str | None = None,
) -> HTMLResponse:
    try:
        reader.known_forecast(lh, name)
    except CatalogError as error:
        return render(
            request, "missing.html", "forecasts", error=error, status_code=404, **project(lh)
        )
    refusal = first_refusal(lh, who, table_refs(name))
    if refusal is not None:
        return refused(request, lh, refusal, "forecasts")
    about = reader.summary(lh, queries.catalog, name)
    ref = table_refs(name)[0]
    entries = reader.series_models(queries.catalog, ref, about.ids) if about.exists else []
    keys = [entry.series for entry in entries]
    chosen = series if series in keys else (keys[0] if keys else None)
    return render(
        request,
        "forecast.html",
        "forecasts",
        summary=about,
        series=entries,
        chosen=chosen,
        may_run=who.can("runs"),
        **project(lh),
    )
