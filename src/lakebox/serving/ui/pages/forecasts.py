"""The forecasts: every declared or made forecast, and a page per forecast (series picker,
history with the forecast and its interval bands, every candidate's backtest, run now)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from lakebox.errors import CatalogError
from lakebox.lakehouse import Lakehouse
from lakebox.serving import forecasts
from lakebox.serving.queries import QueryService
from lakebox.serving.ui.templating import project, render

EXAMPLE = (
    "lakebox forecast materials --table exploitation.materials_monthly --id material "
    "--time month --value quantity_kg --freq MS --horizon 12"
)


def router(lh: Lakehouse, queries: QueryService) -> APIRouter:
    """Return the routes of the forecast list and the forecast pages."""
    routes = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)

    @routes.get("/forecasts")
    def listing(request: Request) -> HTMLResponse:
        found = [forecasts.summary(lh, queries, name) for name in forecasts.forecast_names(lh)]
        return render(
            request, "forecasts.html", "forecasts", forecasts=found, example=EXAMPLE, **project(lh)
        )

    @routes.get("/forecasts/{name}")
    def forecast(request: Request, name: str, series: str | None = None) -> HTMLResponse:
        try:
            forecasts.known_forecast(lh, name)
        except CatalogError as error:
            return render(
                request, "missing.html", "forecasts", error=error, status_code=404, **project(lh)
            )
        about = forecasts.summary(lh, queries, name)
        ref = forecasts.table_refs(name)[0]
        entries = forecasts.series_entries(queries, ref, about.ids) if about.exists else []
        keys = [entry.series for entry in entries]
        chosen = series if series in keys else (keys[0] if keys else None)
        return render(
            request,
            "forecast.html",
            "forecasts",
            summary=about,
            series=entries,
            chosen=chosen,
            **project(lh),
        )

    return routes
