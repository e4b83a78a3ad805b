"""What the routes get from the app they serve: its Lakehouse, its QueryService (bound to the
request's user) and the other objects made once per app (kept on `app.state` by
`create_app`), and the user check every route passes."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, HTTPException, Request

from lakebox.access.principal import Principal
from lakebox.errors import AccessDenied, AuthError
from lakebox.lakehouse import Lakehouse
from lakebox.serving.identity import Identifier, Identity
from lakebox.serving.queries import QueryService

if TYPE_CHECKING:
    from lakebox.serving.routes.models import ModelCache


def lakehouse(request: Request) -> Lakehouse:
    """Return the Lakehouse the app serves."""
    served: Lakehouse = request.app.state.lakehouse
    return served


def query_service(request: Request) -> QueryService:
    """Return the app's QueryService running queries as the request's user (users' SQL, and
    lakebox's own under the engine lock)."""
    service: QueryService = request.app.state.queries
    return service.as_user(principal(request), door(request), client(request))


def model_cache(request: Request) -> ModelCache:
    """Return the app's registry of models and the artifacts loaded from it."""
    cache: ModelCache = request.app.state.models
    return cache


def require_user(request: Request) -> None:
    """Establish the request's user (see `identity.Identifier`) on `request.state.identity`:
    401 when there is none where users are required or the credential is not valid, 403
    for a state-changing request made with the session cookie but without its CSRF token."""
    identifier: Identifier = request.app.state.identifier
    try:
        identity = identifier.identify(request.headers)
    except AuthError as error:
        raise HTTPException(
            401, detail=error.message, headers={"WWW-Authenticate": "Bearer"}
        ) from None
    if identity is None:
        raise HTTPException(
            401,
            detail="log in, or send a bearer token (make one with 'lakebox tokens create')",
            headers={"WWW-Authenticate": "Bearer"},
        )
    identifier.check_csrf(identity, request.method, request.headers)
    request.state.identity = identity


def identity(request: Request) -> Identity:
    """Return the request's Identity (set by `require_user`)."""
    found: Identity = request.state.identity
    return found


def principal(request: Request) -> Principal:
    """Return the request's user with their grants."""
    return identity(request).principal


def door(request: Request) -> str:
    """Return the door a request came through: `ui` for the web UI (its pages, and what
    its scripts ask with the session cookie), else `http` (the API)."""
    if identity(request).via == "session" or not request.url.path.startswith("/api"):
        return "ui"
    return "http"


def client(request: Request) -> str | None:
    return request.client.host if request.client is not None else None


def require_ability(ability: str) -> Callable[[Request], None]:
    """Return a dependency refusing (403) a user whose roles do not give them `ability`."""

    def required(request: Request) -> None:
        check_ability(principal(request), ability)

    return required


def check_ability(who: Principal, ability: str) -> None:
    """Refuse (AccessDenied, 403) `who` unless their roles give them `ability`."""
    if not who.can(ability):
        raise AccessDenied(
            f"{who.name} may not use this: no grant of {ability!r} in their roles "
            f"({', '.join(who.roles)})",
            hint="an admin can grant it under access.roles (can: [...]) in lakebox.yaml",
        )


LakehouseDep = Annotated[Lakehouse, Depends(lakehouse)]
QueriesDep = Annotated[QueryService, Depends(query_service)]
PrincipalDep = Annotated[Principal, Depends(principal)]
IdentityDep = Annotated[Identity, Depends(identity)]
