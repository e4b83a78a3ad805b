"""What guards `lakebox serve` from browsers and networks it does not trust: the Host allow-list
(DNS rebinding), the cross-site check on state-changing requests (CSRF), the token taken from
`?token=` only to start a cookie session, the token of a state-changing request (checked
before its body is read), the size of every request body, and the security headers of every
answer.

One ASGI middleware, `Guard`, wraps the whole app (API, pages, static files and /docs)."""

from __future__ import annotations

import hmac
import socket
from collections.abc import Awaitable, Callable, Collection, Iterable, MutableMapping
from typing import Any
from urllib.parse import urlencode, urlsplit

from starlette.datastructures import Headers, QueryParams
from starlette.exceptions import HTTPException
from starlette.requests import cookie_parser
from starlette.responses import JSONResponse, RedirectResponse, Response

from lakebox.errors import ConfigError

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
ANY_HOST = "*"
MIN_TOKEN_LENGTH = 32
TOKEN_RECIPE = 'python -c "import secrets; print(secrets.token_urlsafe(32))"'
TOKEN_COOKIE = "lakebox_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Forms the UI posts as forms (not JSON); the cross-site check still applies to them.
FORM_PATHS = frozenset({"/login", "/logout"})
OPEN_PATHS = frozenset({"/login", "/logout"})  # reached without a (live) user
# the longest request body read: the API's bodies are a statement or a few options (a few kB)
MAX_BODY_BYTES = 1 << 20
NDJSON_TYPES = ("application/x-ndjson", "application/ndjson")
SECURITY_HEADERS = {
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": (
        "frame-ancestors 'none'; base-uri 'none'; object-src 'none'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def is_loopback(host: str) -> bool:
    """Return whether binding `host` serves this machine only."""
    return host in LOOPBACK_HOSTS


def check_token(
    host: str, token: str | None, token_env: str = "LAKEBOX_TOKEN", needs: str = "a token"
) -> None:
    """Raise ConfigError when the shared token given for binding `host` is too short.

    On a loopback address any token (or none) will do. On another address every request
    needs a user (`lakebox users add`), and the shared token, if one is given, stands for an
    admin: it must be long enough not to guess."""
    if is_loopback(host) or not token:
        return
    if len(token) < MIN_TOKEN_LENGTH:
        raise ConfigError(
            f"the token in {token_env} has {len(token)} characters; binding {host} needs "
            f"{needs} of at least {MIN_TOKEN_LENGTH}",
            hint=f"generate one with: {TOKEN_RECIPE}, or unset it: users log in as themselves",
        )


def allowed_hosts(bind: str, names: Iterable[str] = ()) -> frozenset[str]:
    """Return the Host names a server bound to `bind` answers: the loopback names, the bound
    address, this machine's names and addresses when bound to every address, and the
    configured `names` (`*` accepts any Host)."""
    found = {*LOOPBACK_HOSTS, _host_name(bind)}
    if bind in ("0.0.0.0", "::", ""):
        found |= {_host_name(socket.gethostname()), _host_name(socket.getfqdn())}
        found |= _interface_addresses()
    found |= {name.strip() if name.strip() == ANY_HOST else _host_name(name) for name in names}
    return frozenset(found - {""})


def _interface_addresses() -> set[str]:
    """Return this machine's IP addresses (what a wildcard bind serves)."""
    import psutil

    return {
        address.address.partition("%")[0].lower()
        for addresses in psutil.net_if_addrs().values()
        for address in addresses
        if address.family in (socket.AF_INET, socket.AF_INET6)
    }


def _host_name(host: str) -> str:
    """Return the name part of a Host header or address, lower case: no port, no brackets,
    no trailing dot."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1 : host.find("]")] if "]" in host else host[1:]
    if host.count(":") == 1:
        host = host.partition(":")[0]
    return host.rstrip(".")


class Guard:
    """The ASGI middleware in front of the app: refuses a Host it was not bound for (421), a
    state-changing request without the token (401, before any of its body is read), a body
    longer than `max_body` bytes (413: at once from its Content-Length, or as soon as a body
    sent without one grows past it) and a state-changing request a browser may have been
    tricked into (403, 415), trades a right `?token=` for a cookie and a redirect to the same
    address without it, and adds the security headers to every answer."""

    def __init__(
        self,
        app: ASGIApp,
        hosts: Collection[str],
        token: str | None = None,
        max_body: int = MAX_BODY_BYTES,
        admits: Callable[[Headers], bool] | None = None,
        tls: bool = False,
    ) -> None:
        self.app = app
        self.hosts = frozenset(hosts)
        self.token = token
        self.max_body = max_body
        self.admits = admits
        self.tls = tls  # cookies it sets are Secure

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        send = _with_security_headers(send)
        headers = Headers(scope=scope)
        answer = (
            self._refusal(scope, headers)
            or self._too_large(headers)
            or self._token_redirect(scope, headers)
        )
        if answer is not None:
            await answer(scope, receive, send)
            return
        await self._capped(scope, receive, send)

    async def _capped(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the app, cutting a body sent without Content-Length at `max_body` bytes."""
        started = False

        async def sending(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, _counted(receive, self.max_body), sending)
        except HTTPException as error:
            if error.status_code != 413 or started:
                raise
            await _body_refusal(self.max_body)(scope, receive, send)

    def _too_large(self, headers: Headers) -> Response | None:
        """Return a 413 for a request announcing a body longer than `max_body` bytes."""
        length = headers.get("content-length", "")
        if length.strip().isdigit() and int(length) > self.max_body:
            return _body_refusal(self.max_body)
        return None

    def _unauthorized(self, scope: Scope, headers: Headers) -> Response | None:
        """Return a 401 for a state-changing request without a user (as the app's own
        check would, but before the body is read)."""
        if scope["method"] in SAFE_METHODS or scope["path"] in OPEN_PATHS:
            return None
        if self.admits is not None:
            if self.admits(headers):
                return None
        elif self.token is None or carries_token(headers, self.token):
            return None
        return JSONResponse(
            {"detail": "a user is required: log in, or send a bearer token"},
            status_code=401,
            headers={"WWW-Authenticate": "Bearer"},
        )

    def _refusal(self, scope: Scope, headers: Headers) -> Response | None:
        """Return the answer refusing this request, or None if it may go on."""
        host = headers.get("host", "")
        if ANY_HOST not in self.hosts and _host_name(host) not in self.hosts:
            return _refused(
                421,
                f"this server does not answer for the host {host!r}",
                "open it by the address it was started on (e.g. http://127.0.0.1:<port>), "
                "or start it with --allowed-host <name> for a name you trust",
            )
        if scope["method"] in SAFE_METHODS:
            return None
        unauthorized = self._unauthorized(scope, headers)
        if unauthorized is not None:
            return unauthorized
        if _cross_site(headers, host):
            return _refused(
                403,
                "a cross-site request may not change anything here",
                "send the request from the lakebox UI itself, or without an Origin header "
                "(as curl and scripts do)",
            )
        if not _is_json(headers.get("content-type", "")) and scope["path"] not in FORM_PATHS:
            return _refused(
                415,
                f"{scope['method']} requests must have the content type application/json "
                "(or application/x-ndjson for stream events)",
                "send -H 'Content-Type: application/json' (with a JSON body, or none)",
            )
        return None

    def _token_redirect(self, scope: Scope, headers: Headers) -> Response | None:
        """Return a redirect to this address without `?token=`, setting the session cookie
        when the token is right; None if there is no token in the address."""
        if self.token is None or scope["method"] not in ("GET", "HEAD"):
            return None
        query = QueryParams(scope.get("query_string", b"").decode("latin-1"))
        given = query.get("token")
        if given is None:
            return None
        kept = [(key, value) for key, value in query.multi_items() if key != "token"]
        path = (scope.get("raw_path") or scope["path"].encode()).decode("latin-1")
        target = "/" + path.lstrip("/") + (f"?{urlencode(kept)}" if kept else "")
        redirect = RedirectResponse(target, status_code=303)
        if hmac.compare_digest(given.encode(), self.token.encode()):
            redirect.set_cookie(
                TOKEN_COOKIE, given, httponly=True, samesite="strict", secure=self.tls
            )
        return redirect


def carries_token(headers: Headers, token: str) -> bool:
    """Whether a request carries `token`, as a bearer header or (for browsers) as the
    session cookie that a `?token=` address starts."""
    given = headers.get("authorization", "").removeprefix("Bearer ")
    given = given or _cookie(headers, TOKEN_COOKIE)
    return hmac.compare_digest(given.encode(), token.encode())


def _cookie(headers: Headers, name: str) -> str:
    """Return the value of cookie `name` in the request's Cookie header ('' when absent)."""
    return cookie_parser(headers.get("cookie", "")).get(name, "")


def _counted(receive: Receive, limit: int) -> Receive:
    """Return `receive` raising a 413 HTTPException once the body passes `limit` bytes."""
    seen = 0

    async def receiving() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise HTTPException(413, detail=_body_error(limit))
        return message

    return receiving


def _body_error(limit: int) -> str:
    return f"the request body is longer than this server reads ({limit:,} bytes)"


def _body_refusal(limit: int) -> Response:
    hint = "send a shorter statement; the API's bodies are a statement and a few options"
    return _refused(413, _body_error(limit), hint)


def _cross_site(headers: Headers, host: str) -> bool:
    """Return whether a browser says this request comes from another site or origin."""
    fetched_from = headers.get("sec-fetch-site", "").lower()
    if fetched_from in ("cross-site", "same-site"):
        return True
    if fetched_from == "same-origin":  # a browser's own word (a form may send Origin: null)
        return False
    origin = headers.get("origin")
    if origin is None:
        return False  # not a browser (curl, scripts), or one that sends Sec-Fetch-Site
    return urlsplit(origin).netloc.lower() != host.lower() or origin == "null"


def _is_json(content_type: str) -> bool:
    media = content_type.partition(";")[0].strip().lower()
    if media in NDJSON_TYPES:  # not a type a browser sends across sites without asking
        return True
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )


def _refused(status: int, error: str, hint: str) -> Response:
    return JSONResponse({"error": error, "hint": hint}, status_code=status)


def _with_security_headers(send: Send) -> Send:
    """Return `send` adding the security headers to the start of the answer."""

    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = list(message.get("headers", []))
            present = {name.lower() for name, _ in headers}
            for name, value in SECURITY_HEADERS.items():
                if name.lower().encode() not in present:
                    headers.append((name.lower().encode(), value.encode()))
            message["headers"] = headers
        await send(message)

    return sending
