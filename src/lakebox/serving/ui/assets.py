"""Static files of the UI: our CSS and JavaScript, and Plotly's bundle from the `plotly` package
(no CDN, so the UI works without internet)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

STATIC = Path(__file__).with_name("static")
CACHE = {"Cache-Control": "public, max-age=86400"}


def mount(app: FastAPI) -> None:
    """Serve /static/* and /static/plotly.min.js."""

    @app.get("/static/plotly.min.js", include_in_schema=False)
    def plotly_js() -> FileResponse:
        return FileResponse(plotly_bundle(), media_type="text/javascript", headers=CACHE)

    app.mount("/static", StaticFiles(directory=STATIC), name="static")


def plotly_bundle() -> Path:
    """Return the path of the minified Plotly bundle shipped inside the `plotly` package."""
    return Path(str(resources.files("plotly") / "package_data" / "plotly.min.js"))
