"""The models: the registry `analytics.models`, each model's versions with their metrics and
training snapshots, and a predict form for a model with a production version."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from lakebox.analysis import registry
from lakebox.analysis.registry import ModelVersion
from lakebox.serving.dependencies import LakehouseDep, PrincipalDep
from lakebox.serving.ui.pages.grants import first_refusal, refused
from lakebox.serving.ui.templating import project, render

METRICS = ("mae", "rmse", "mape", "r2", "rows")
EXAMPLE = (
    'lakebox sandbox create store_days --from "SELECT * FROM exploitation.store_daily"\n'
    "lakebox models train visitors --from store_days --target visitors --feature temperature\n"
    "lakebox models promote visitors 1"
)


router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)


@router.get("/models")
def models(request: Request, lh: LakehouseDep, who: PrincipalDep) -> HTMLResponse:
    refusal = first_refusal(lh, who, [registry.MODELS])
    if refusal is not None:
        return refused(request, lh, refusal, "models")
    return render(
        request,
        "models.html",
        "models",
        models=grouped(registry.list_versions(lh)),
        metric_names=METRICS,
        example=EXAMPLE,
        **project(lh),
    )


def grouped(versions: list[ModelVersion]) -> list[dict[str, Any]]:
    """Return one entry per model: its versions (newest first) and its production version."""
    names = sorted({version.name for version in versions})
    return [
        {
            "name": name,
            "versions": sorted((v for v in versions if v.name == name), key=lambda v: -v.version),
            "production": registry.find_production(versions, name),
        }
        for name in names
    ]
