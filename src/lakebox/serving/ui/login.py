"""Logging in to the web UI and out of it: `GET /login` (the form), `POST /login` (a user name
and password, or an API token as the password: a session cookie, then back to the page asked
for) and `POST /logout` (ends the session). Failed logins are counted per user name and client
address, with the PostgreSQL door (`access.login_attempts` a minute, then 429).

These routes are plain Starlette routes, outside the app's user check: the login page is
reached without a user, and the logout form carries the session's CSRF token as a field (not
the header the user check looks for). The Guard still refuses them from another site."""

from __future__ import annotations

import hmac
from urllib.parse import urlsplit

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from lakebox.access.audit import AuditEntry
from lakebox.access.control import AccessControl
from lakebox.errors import AuthError
from lakebox.serving.identity import SESSION_COOKIE, SHARED_COOKIE, Identifier, Identity
from lakebox.serving.ui.templating import project, render

MAX_FIELD = 4096  # the longest user name or password read
HOME = "/"


def mount(app: FastAPI) -> None:
    """Add /login and /logout to the app (made by `create_app`)."""
    app.router.add_route("/login", login_page, methods=["GET", "HEAD"], include_in_schema=False)
    app.router.add_route("/login", login, methods=["POST"], include_in_schema=False)
    app.router.add_route("/logout", logout, methods=["POST"], include_in_schema=False)


async def login_page(request: Request) -> Response:
    """The login form; a user already logged in goes on to the page they asked for."""
    target = safe_next(request.query_params.get("next"))
    identifier = _identifier(request)
    if identifier.required and _identity(request) is not None:
        return RedirectResponse(target, status_code=303)
    return _form(request, target)


async def login(request: Request) -> Response:
    """Check a user name and password; start a session and go on to `next`."""
    identifier = _identifier(request)
    form = await request.form()
    target = safe_next(_field(form.get("next")))
    if not identifier.required:
        return RedirectResponse(target, status_code=303)
    name, password = _field(form.get("user")).strip(), _field(form.get("password"))
    address = request.client.host if request.client is not None else None
    control = identifier.control
    limiter = control.limiter  # shared with pg-wire: one count per user and address
    try:
        limiter.check(name, address)
    except AuthError as error:
        control.record(AuditEntry(name or "?", "ui", "failed login", client=address,
                                  outcome="refused", detail=error.message))  # fmt: skip
        return _form(request, target, error, name, status_code=429)
    try:
        session_id = await run_in_threadpool(_start, control, name, password, address)
    except AuthError as error:
        limiter.failed(name, address)
        return _form(request, target, error, name, status_code=401)
    limiter.succeeded(name, address)
    answer = RedirectResponse(target, status_code=303)
    answer.set_cookie(
        SESSION_COOKIE,
        session_id,
        max_age=round(control.config.session_hours * 3600),
        path="/",
        secure=bool(getattr(request.app.state, "tls", False)),
        httponly=True,
        samesite="strict",
    )
    return answer


async def logout(request: Request) -> Response:
    """End the request's session (its CSRF token must come as the form's `csrf` field), clear
    the cookies and go to the login page."""
    form = await request.form()
    identity = _identity(request)
    session = identity.session if identity is not None else None
    if session is not None:
        given = _field(form.get("csrf"))
        if not hmac.compare_digest(given.encode(), session.csrf.encode()):
            error = AuthError(
                "this logout form lacks the page's CSRF token",
                hint="reload the page and press Log out again",
            )
            return render(request, "refused.html", "", error=error, status_code=403,
                          **project(request.app.state.lakehouse))  # fmt: skip
        session_id = request.cookies.get(SESSION_COOKIE, "")
        address = request.client.host if request.client is not None else None
        control = _identifier(request).control
        await run_in_threadpool(control.sessions.end, session_id)
        control.record(AuditEntry(session.user.name, "ui", "logout", client=address))
    answer = RedirectResponse("/login", status_code=303)
    secure = bool(getattr(request.app.state, "tls", False))
    for cookie in (SESSION_COOKIE, SHARED_COOKIE):
        answer.delete_cookie(cookie, path="/", secure=secure, httponly=True, samesite="strict")
    return answer


def safe_next(target: str | None) -> str:
    """Return `target` if it is a path of this site (not another site's address, nor the
    login or logout page), else the home page: a login never sends a browser elsewhere."""
    if not target or len(target) > 2000 or not target.startswith("/"):
        return HOME
    if target.startswith(("//", "/\\")) or any(ord(c) < 0x20 or c == "\\" for c in target):
        return HOME
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or parts.path in ("/login", "/logout"):
        return HOME
    return target


def _start(control: AccessControl, name: str, password: str, address: str | None) -> str:
    """Log `name` in (audited either way) and return their new session's id."""
    if not name or not password:
        raise AuthError("give a user name and a password")
    user = control.login(name, password, "ui", address)
    session_id, _ = control.sessions.start(user)
    return session_id


def _form(
    request: Request,
    target: str,
    error: AuthError | None = None,
    name: str = "",
    status_code: int = 200,
) -> Response:
    """Render the login page (no navigation: nobody is logged in yet)."""
    identifier = _identifier(request)
    headers = (
        {"Retry-After": str(error.fields["retry_after"])} if error and status_code == 429 else {}
    )
    answer = render(
        request,
        "login.html",
        "login",
        status_code=status_code,
        navigation=[],
        viewer=None,
        laptop=not identifier.required,
        error=error,
        user=name,
        next=target,
        **project(request.app.state.lakehouse),
    )
    answer.headers.update(headers)
    return answer


def _identifier(request: Request) -> Identifier:
    identifier: Identifier = request.app.state.identifier
    return identifier


def _identity(request: Request) -> Identity | None:
    """Return who the request's credentials name (None: nobody, or a credential not valid)."""
    try:
        identity = _identifier(request).identify(request.headers)
    except AuthError:
        return None
    return None if identity is None or identity.via == "local" else identity


def _field(value: object) -> str:
    """Return a form field's text (an upload or an overlong value counts as none)."""
    return value if isinstance(value, str) and len(value) <= MAX_FIELD else ""
