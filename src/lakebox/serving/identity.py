"""Who is asking: the user of an HTTP request, from a user's API token (a bearer header), the
web UI's session cookie, or the server's shared token (`LAKEBOX_TOKEN`, an admin). Without
any, a request is the local single user — only where users are not required (a laptop: bound
to 127.0.0.1 with no `access:` section); elsewhere it is refused (401), and a page asks the
browser to log in. A state-changing request made with the session cookie must carry the
session's CSRF token."""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from starlette.datastructures import Headers
from starlette.requests import cookie_parser

from lakebox.access.control import AccessControl
from lakebox.access.principal import Principal
from lakebox.access.sessions import Session
from lakebox.access.tokens import looks_like_token
from lakebox.errors import AccessDenied, AuthError
from lakebox.serving.security import SAFE_METHODS, TOKEN_COOKIE

SESSION_COOKIE = "lakebox_session"
SHARED_COOKIE = TOKEN_COOKIE  # the shared token's cookie, started by ?token=
CSRF_HEADER = "x-csrf-token"
SHARED_USER = "token"  # who the shared token is in the audit log


@dataclass(frozen=True)
class Identity:
    """The user of a request, how they proved it, and their web session if any."""

    principal: Principal
    via: str  # local, token, session, shared
    session: Session | None = None


class Identifier:
    """Works out the Identity of requests to one app."""

    def __init__(self, control: AccessControl, shared: str | None, required: bool) -> None:
        self.control = control
        self.shared = shared
        self.required = required

    def identify(self, headers: Headers) -> Identity | None:
        """Return who sent a request with `headers`, or None (no credential where users
        are required); raise AuthError for a credential that is wrong or no longer valid."""
        bearer = _bearer(headers)
        if bearer:
            return self._by_bearer(bearer)
        cookies = cookie_parser(headers.get("cookie", ""))
        session_id = cookies.get(SESSION_COOKIE, "")
        if session_id:
            session = self.control.sessions.find(session_id)
            if session is not None:
                principal = self.control.principal(session.user)
                return Identity(principal, "session", session)
        if self._is_shared(cookies.get(SHARED_COOKIE, "")):
            return Identity(self._shared_principal(), "shared")
        if not self.required:
            return Identity(Principal.local(), "local")
        return None

    def admits(self, headers: Headers) -> bool:
        """Whether a request with `headers` has a user (checked before its body is read)."""
        try:
            return self.identify(headers) is not None
        except AuthError:
            return False

    def check_csrf(self, identity: Identity, method: str, headers: Headers) -> None:
        """Refuse (AccessDenied) a state-changing request made with the session cookie that
        does not carry the session's CSRF token."""
        if identity.session is None or method in SAFE_METHODS:
            return
        given = headers.get(CSRF_HEADER, "")
        if not hmac.compare_digest(given.encode(), identity.session.csrf.encode()):
            raise AccessDenied(
                "this request lacks the page's CSRF token",
                hint="reload the page and try again",
                status=403,
            )

    def _by_bearer(self, bearer: str) -> Identity:
        if self._is_shared(bearer):
            return Identity(self._shared_principal(), "shared")
        if not looks_like_token(bearer):
            raise AuthError(
                "the bearer token is not valid",
                hint="send a token from 'lakebox tokens create' (or the server's LAKEBOX_TOKEN)",
            )
        user = self.control.by_token(bearer)
        return Identity(self.control.principal(user), "token")

    def _is_shared(self, given: str) -> bool:
        return bool(self.shared and given) and hmac.compare_digest(
            given.encode(), str(self.shared).encode()
        )

    def _shared_principal(self) -> Principal:
        access = self.control.config if self.required else None
        return Principal(SHARED_USER, ("admin",), {}, access)


def _bearer(headers: Headers) -> str:
    given = headers.get("authorization", "")
    scheme, _, value = given.partition(" ")
    return value.strip() if scheme.lower() == "bearer" else ""
