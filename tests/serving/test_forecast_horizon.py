"""The horizon of a forecast is said in words on the API and the Forecasts pages."""

from __future__ import annotations

import httpx

from lakebox.serving.app import create_app
from tests.conftest import ProjectFactory
from tests.serving.ui.conftest import served

MATERIALS = {
    "table": "exploitation.materials_monthly",
    "ids": ["material"],
    "time": "month",
    "value": "quantity_kg",
    "freq": "MS",
    "horizon": 12,
}


def test_the_horizon_shows_as_months_not_as_a_pandas_code(make_project: ProjectFactory) -> None:
    weekly = {**MATERIALS, "freq": "W", "horizon": 8}
    lh = make_project(forecasts={"materials": MATERIALS, "weekly": weekly})

    with served(create_app(lh)) as url:
        listed = httpx.get(f"{url}/api/forecasts", timeout=60).json()
        page = httpx.get(f"{url}/forecasts", timeout=60).text
        detail = httpx.get(f"{url}/forecasts/materials", timeout=60).text

    labels = {forecast["name"]: forecast["horizon_label"] for forecast in listed}
    assert labels == {"materials": "12 months", "weekly": "8 weeks"}
    assert "12 months" in page and "8 weeks" in page and "12 months" in detail
    assert "× MS" not in page + detail and "× W" not in page
