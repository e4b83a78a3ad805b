"""The app of `lakebox serve`: the HTTP API (zones, tables, columns, history, sample rows,
read-only SQL, check results, runs, models, forecasts, anomalies, pipelines, metrics), its
documentation pages and the web UI, behind the guard of `lakebox.serving.security`."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any
from urllib.parse import urlencode

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import JSONResponse, RedirectResponse, Response

from lakebox.access.control import access_control
from lakebox.errors import CatalogError, LakeboxError
from lakebox.lakehouse import Lakehouse
from lakebox.monitoring.metrics import registry
from lakebox.serving.dependencies import require_user
from lakebox.serving.docs import mount_docs
from lakebox.serving.identity import Identifier
from lakebox.serving.queries import QueryService
from lakebox.serving.routes import ROUTERS
from lakebox.serving.routes.models import ModelCache
from lakebox.serving.security import LOOPBACK_HOSTS, Guard
from lakebox.serving.ui import mount_ui
from lakebox.stream.metrics import StreamCollector


def create_app(
    lh: Lakehouse,
    token: str | None = None,
    *,
    allowed_hosts: Collection[str] = LOOPBACK_HOSTS,
    require_users: bool | None = None,
    tls: bool = False,
    **limits: Any,
) -> FastAPI:
    """Return the API app serving `lh`. Every request needs a user when `require_users`
    (by default: when lakebox.yaml has an `access:` section; `lakebox serve` also asks for
    it on an address other than loopback); `token`, the shared token, stands for an admin.
    `tls` says the app is served over HTTPS (`app.state.tls`).

    It answers only requests whose Host is one of `allowed_hosts` (see
    `lakebox.serving.security.allowed_hosts`), and refuses state-changing requests that a
    browser may send from another site."""
    lh.engine.confine(lh.project_places())
    required = lh.config.access is not None if require_users is None else require_users
    required = required or lh.config.access is not None
    app = FastAPI(
        title="lakebox",
        summary="Zones, tables and read-only SQL over a lakebox lakehouse.",
        dependencies=[Depends(require_user)],
        openapi_url=None,  # served by mount_docs, behind the user check
        docs_url=None,  # served by mount_docs, from local files
        redoc_url=None,
    )
    app.state.lakehouse = lh
    app.state.token = token
    app.state.tls = tls
    app.state.identifier = Identifier(access_control(lh), token, required or token is not None)
    app.state.queries = QueryService(lh, **limits)
    app.state.models = ModelCache(lh)
    app.state.metrics = registry(lh)
    app.state.metrics.register(StreamCollector(lh))
    app.state.intakes = {}  # stream name -> its HTTP intake, opened on the first events
    app.state.live_answers = set()  # the followers of the live answers being sent now
    app.add_exception_handler(LakeboxError, _lakebox_error)  # type: ignore[arg-type]
    app.add_exception_handler(HTTPException, _http_error)  # type: ignore[arg-type]
    app.add_middleware(
        Guard,  # type: ignore[arg-type]
        hosts=allowed_hosts,
        token=token,
        admits=app.state.identifier.admits,
        tls=tls,
    )
    for router in ROUTERS:
        app.include_router(router)
    mount_docs(app)
    mount_ui(app)
    return app


async def _lakebox_error(request: Request, error: LakeboxError) -> JSONResponse:
    given = error.fields.get("status")  # e.g. 503 for a busy server
    status = given if isinstance(given, int) else 404 if isinstance(error, CatalogError) else 400
    retry = error.fields.get("retry_after")  # a busy server: 503, retry after a while
    headers = {"Retry-After": str(retry)} if retry is not None else None
    body = {"error": error.message, "hint": error.hint}
    return JSONResponse(body, status_code=status, headers=headers)


async def _http_error(request: Request, error: HTTPException) -> Response:
    """Answer an HTTP error; a page opened without a user goes to the login page."""
    wants_page = "text/html" in request.headers.get("accept", "")
    page = request.method == "GET" and wants_page and not request.url.path.startswith("/api")
    if error.status_code == 401 and page:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?{urlencode({'next': target})}", status_code=303)
    return await http_exception_handler(request, error)
