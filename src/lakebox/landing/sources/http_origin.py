"""Where an HTTP source's requests may go: its credentials (configured headers, query
parameters, the URL's user and password) only to the origin of its `url`; a redirect to
another origin only if `redirect_origins` allows it, and then without any credentials."""

from __future__ import annotations

import httpx

from lakebox.config import SourceConfig
from lakebox.errors import LandingError

MAX_REDIRECTS = 10
_DEFAULT_PORTS = {"http": 80, "https": 443}
Origin = tuple[str, str, int]


def origin_of(url: httpx.URL) -> Origin:
    """Return the origin of `url`: scheme, host and port (the scheme's default if none)."""
    return (url.scheme, url.host.lower(), url.port or _DEFAULT_PORTS.get(url.scheme, 0))


def written(origin: Origin) -> str:
    """Return an origin as a URL prefix: `https://host` or `http://host:8080`."""
    scheme, host, port = origin
    return f"{scheme}://{host}" + ("" if _DEFAULT_PORTS.get(scheme) == port else f":{port}")


class RedirectPolicy:
    """Decides whether a redirect is followed, and whether credentials go along."""

    def __init__(self, name: str, source: SourceConfig, secrets: tuple[str, ...] = ()) -> None:
        self.home = origin_of(httpx.URL(source.url or ""))
        self.secrets = {secret for secret in secrets if secret}
        self.allowed = {origin_of(httpx.URL(origin)) for origin in source.redirect_origins}
        self.key = f"sources.{name}.redirect_origins"

    def trusted(self, url: httpx.URL) -> bool:
        """Return whether `url` is on the source's own origin (credentials may go there)."""
        return origin_of(url) == self.home

    def next_hop(self, response: httpx.Response, shown: str) -> httpx.URL:
        """Return where a redirect response leads, or raise LandingError if it may not be
        followed (another origin not allowed, a scheme other than http and https)."""
        location = response.headers.get("Location")
        if not location:
            raise LandingError(f"GET {shown}: {response.status_code} redirect without a Location")
        target = response.url.join(location)
        if target.scheme not in _DEFAULT_PORTS:
            raise LandingError(
                f"GET {shown}: redirected to a {target.scheme!r} URL; only http and https are "
                "followed"
            )
        origin = origin_of(target)
        self._check_origin(target, f"GET {shown}: redirected to another origin")
        carried = self._credentials_in(target) if origin != self.home else None
        if carried is not None:
            raise LandingError(
                f"GET {shown}: redirected to {written(origin)} with the source's credentials "
                f"in its {carried}; refused: they go to {written(self.home)} only",
                hint="ask the API's owners why its redirect repeats the credentials",
            )
        return target

    def check_page(self, url: httpx.URL, shown: str) -> None:
        """Raise LandingError if a page's URL (a next link) is on an origin not allowed."""
        self._check_origin(url, f"GET {shown}: the next page is on another origin")

    def _check_origin(self, target: httpx.URL, what: str) -> None:
        origin = origin_of(target)
        if origin != self.home and origin not in self.allowed:
            raise LandingError(
                f"{what}, {written(origin)}; refused: the source's credentials go to "
                f"{written(self.home)} only",
                hint=f"to follow it (without credentials), add {written(origin)} to {self.key}",
            )

    def _credentials_in(self, target: httpx.URL) -> str | None:
        """Return where `target` carries one of the source's credentials (a redirect
        repeating the query it was sent), if it does."""
        for name, value in target.params.multi_items():
            if value in self.secrets:
                return f"query parameter {name!r}"
        if target.password and target.password in self.secrets:
            return "password"
        return None
