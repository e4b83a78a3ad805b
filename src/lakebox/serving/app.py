"""The app of `lakebox serve`: the HTTP API (zones, tables, columns, history, sample rows,
read-only SQL, check results, runs, models, forecasts, anomalies, pipelines, metrics), its
documentation pages and the web UI, behind the guard of `lakebox.serving.security`."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse

from lakebox.errors import CatalogError, LakeboxError
from lakebox.lakehouse import Lakehouse
from lakebox.monitoring.metrics import registry
from lakebox.serving.dependencies import require_token
from lakebox.serving.docs import mount_docs
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
    **limits: Any,
) -> FastAPI:
    """Return the API app serving `lh`; with `token`, every request needs it as a bearer.

    It answers only requests whose Host is one of `allowed_hosts` (see
    `lakebox.serving.security.allowed_hosts`), and refuses state-changing requests that a
    browser may send from another site."""
    lh.engine.confine(lh.project_places())
    app = FastAPI(
        title="lakebox",
        summary="Zones, tables and read-only SQL over a lakebox lakehouse.",
        dependencies=[Depends(require_token)] if token else [],
        docs_url=None,  # served by mount_docs, from local files
        redoc_url=None,
    )
    app.state.lakehouse = lh
    app.state.token = token
    app.state.queries = QueryService(lh, **limits)
    app.state.models = ModelCache(lh)
    app.state.metrics = registry(lh)
    app.state.metrics.register(StreamCollector(lh))
    app.state.intakes = {}  # stream name -> its HTTP intake, opened on the first events
    app.state.live_answers = set()  # the followers of the live answers being sent now
    app.add_exception_handler(LakeboxError, _lakebox_error)  # type: ignore[arg-type]
    app.add_middleware(Guard, hosts=allowed_hosts, token=token)  # type: ignore[arg-type]
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
