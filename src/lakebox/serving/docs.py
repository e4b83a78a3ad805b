"""The API's interactive documentation, /docs (Swagger UI) and /redoc (ReDoc), with their
scripts and styles served from the installed `fastapi-offline` package instead of a CDN, so
both pages work without internet."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from fastapi import FastAPI, HTTPException
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse

ASSETS_URL = "/docs/assets"
ASSETS = {
    "swagger-ui-bundle.js": "text/javascript",
    "swagger-ui.css": "text/css",
    "redoc.standalone.js": "text/javascript",
    "favicon.png": "image/png",
}
CACHE = {"Cache-Control": "public, max-age=86400"}


def mount_docs(app: FastAPI) -> None:
    """Serve /openapi.json, /docs, /redoc and their assets (the app is made with
    openapi_url, docs_url and redoc_url None, so FastAPI's own routes — outside the app's
    user check, with CDN pages — are not served)."""
    openapi_url = app.openapi_url or "/openapi.json"

    @app.get(openapi_url, include_in_schema=False)
    def description() -> JSONResponse:
        return JSONResponse(app.openapi())

    redirect_url = app.swagger_ui_oauth2_redirect_url or "/docs/oauth2-redirect"

    @app.get("/docs", include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title=f"{app.title} · API",
            oauth2_redirect_url=redirect_url,
            swagger_js_url=f"{ASSETS_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS_URL}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS_URL}/favicon.png",
        )

    @app.get(redirect_url, include_in_schema=False)
    def swagger_ui_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> HTMLResponse:
        return get_redoc_html(
            openapi_url=openapi_url,
            title=f"{app.title} · API",
            redoc_js_url=f"{ASSETS_URL}/redoc.standalone.js",
            redoc_favicon_url=f"{ASSETS_URL}/favicon.png",
            with_google_fonts=False,
        )

    @app.get(ASSETS_URL + "/{name}", include_in_schema=False)
    def asset(name: str) -> FileResponse:
        if name not in ASSETS:
            raise HTTPException(404, detail=f"no documentation asset {name!r}")
        return FileResponse(asset_path(name), media_type=ASSETS[name], headers=CACHE)


def asset_path(name: str) -> Path:
    """Return the path of a Swagger UI or ReDoc file shipped inside `fastapi-offline`."""
    return Path(str(resources.files("fastapi_offline") / "static" / name))
