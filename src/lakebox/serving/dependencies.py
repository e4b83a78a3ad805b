"""What the routes get from the app they serve: its Lakehouse, its QueryService and the other
objects made once per app (kept on `app.state` by `create_app`), and the token check."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, HTTPException, Request

from lakebox.lakehouse import Lakehouse
from lakebox.serving.queries import QueryService
from lakebox.serving.security import carries_token

if TYPE_CHECKING:
    from lakebox.serving.routes.models import ModelCache


def lakehouse(request: Request) -> Lakehouse:
    """Return the Lakehouse the app serves."""
    served: Lakehouse = request.app.state.lakehouse
    return served


def query_service(request: Request) -> QueryService:
    """Return the app's QueryService (users' SQL, and lakebox's own under the engine lock)."""
    service: QueryService = request.app.state.queries
    return service


def model_cache(request: Request) -> ModelCache:
    """Return the app's registry of models and the artifacts loaded from it."""
    cache: ModelCache = request.app.state.models
    return cache


def require_token(request: Request) -> None:
    """Require the app's token as a bearer header, or (for browsers) as the `lakebox_token`
    cookie set by opening any page once with `?token=...` (see `security.Guard`)."""
    if not carries_token(request.headers, request.app.state.token):
        raise HTTPException(
            401, detail="a bearer token is required", headers={"WWW-Authenticate": "Bearer"}
        )


LakehouseDep = Annotated[Lakehouse, Depends(lakehouse)]
QueriesDep = Annotated[QueryService, Depends(query_service)]
