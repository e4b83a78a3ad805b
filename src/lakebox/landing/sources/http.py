"""The `http` source kind: a JSON API, walked page by page into one landed NDJSON object.

Each pull lands one line per page: `{"page": n, "status": 200, "url": "<request URL without
secrets>", "body": <the response body as received>}`. A body that is not JSON is kept as
text with the reason (`"error"`, `"text"`), so the formatter quarantines that page alone.
Pages follow a page number, an offset, a cursor token in the body or the `Link` header;
failed requests (timeouts, 429, 5xx) are retried with backoff or after `Retry-After`.
"""

from __future__ import annotations

import email.utils
import json
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

import httpx

from lakebox.config import PaginationConfig
from lakebox.errors import LakeboxError, LandingError
from lakebox.landing.retry import RetryPolicy, Transient, call_with_retries
from lakebox.landing.sources.base import Candidate, Fetched, SourceContext, register
from lakebox.landing.state import Cursor, later, parse_value
from lakebox.redaction import is_secret_name, redact_url, scrub, url_secrets

logger = logging.getLogger(__name__)
_RETRIED_STATUS = (408, 425, 429, 500, 502, 503, 504)
_USER_AGENT = "lakebox"


@dataclass
class Request:
    """One page's request: a URL and its query parameters."""

    url: str
    params: dict[str, str] = field(default_factory=dict)
    number: int = 1

    def full_url(self) -> str:
        """Return the URL with its parameters, as sent."""
        return str(httpx.URL(self.url, params=self.params or None))


@dataclass
class Page:
    """A fetched page: its body parsed (or why it could not be), and its records."""

    status: int
    text: str
    body: object = None
    error: str | None = None
    records: list[object] | None = None

    @classmethod
    def of(cls, response: httpx.Response, records_path: str | None) -> Page:
        """Return the page of a response; records are found at `records_path`."""
        page = cls(response.status_code, response.text)
        try:
            page.body = json.loads(page.text)
        except ValueError as error:
            page.error = f"response body is not valid JSON ({error})"
            return page
        found = _at_path(page.body, records_path)
        page.records = found if isinstance(found, list) else None
        return page

    def line(self, number: int, url: str) -> str:
        """Return the page as its landed line (the body kept as received, on one line)."""
        head = {"page": number, "status": self.status, "url": url}
        if self.error is not None:
            return json.dumps({**head, "error": self.error, "text": self.text}) + "\n"
        flat = self.text.replace("\r", " ").replace("\n", " ")
        return json.dumps(head)[:-1] + f', "body": {flat}}}\n'


class HttpSource:
    """One pull of a JSON API per run: every page since the source's state (or, for a
    backfill, within the window the API is sent in `param` and `end_param`)."""

    def __init__(self, context: SourceContext) -> None:
        self.context = context
        self.source = context.source
        self.secrets = (
            *url_secrets(self.source.url or ""),
            *self.source.headers.values(),
            *(value for name, value in self.source.params.items() if is_secret_name(name)),
        )
        self._last_request = 0.0

    def candidates(self) -> Iterator[Candidate]:
        """Offer this run's pull, named by its first request."""
        first = self._first_request()
        yield Candidate(
            original_path=redact_url(first.full_url(), self.secrets),
            name=f"{self.context.name}.pages.ndjson",
            bytes=0,
            modified_at=None,
            pulled=True,
        )

    def fetch(self, candidate: Candidate, target: Path) -> Fetched:
        """Fetch every page into `target`, one line per page."""
        fetched = Fetched(rows=0, cursor=self.context.start, pages=0)
        headers = {"User-Agent": _USER_AGENT, "Accept": "application/json", **self.source.headers}
        timeout = httpx.Timeout(self.source.timeout)
        with (
            httpx.Client(headers=headers, timeout=timeout, follow_redirects=True) as client,
            target.open("w", encoding="utf-8") as out,
        ):
            self._walk(client, out, fetched)
        return fetched

    def _walk(self, client: httpx.Client, out: IO[str], fetched: Fetched) -> None:
        pager = _Pager(self.source.pagination)
        request: Request | None = self._first_request()
        while request is not None:
            response = self._get(client, request)
            page = Page.of(response, self.source.records)
            out.write(page.line(request.number, redact_url(request.full_url(), self.secrets)))
            fetched.pages = (fetched.pages or 0) + 1
            fetched.http_status = response.status_code
            # a page without a list of records counts as one row: it is quarantined whole
            found = len(page.records) if page.records is not None else 1
            fetched.rows = (fetched.rows or 0) + found
            fetched.cursor = later(fetched.cursor, self._cursor_of(page))
            if page.error:
                logger.warning("%s: page %d: %s", self.context.name, request.number, page.error)
            request = pager.next(request, response, page)
            if request is not None and request.number > pager.config.max_pages:
                logger.warning("%s: stopped at max_pages", self.context.name)
                request = None

    def _first_request(self) -> Request:
        params = {**self.source.params, **self._cursor_params()}
        return _Pager(self.source.pagination).first(Request(self.source.url or "", params))

    def _cursor_params(self) -> dict[str, str]:
        """Return the incremental parameters: the state in `param`, or a backfill's window
        in `param` and `end_param` (`landing.backfill` checks both exist beforehand)."""
        incremental = self.source.incremental
        window = self.context.window
        if window is not None:
            if incremental is None or not (incremental.param and incremental.end_param):
                # never fetch everything, or up to now, in place of the window
                raise LandingError(
                    f"source {self.context.name}: a backfill needs 'param' and 'end_param'",
                    source=self.context.name,
                )
            return {incremental.param: window.start.value, incremental.end_param: window.end.value}
        if incremental and incremental.param and self.context.start is not None:
            return {incremental.param: self.context.start.value}
        return {}

    def _get(self, client: httpx.Client, request: Request) -> httpx.Response:
        shown = redact_url(request.full_url(), self.secrets)
        what = f"source {self.context.name}"

        def attempt() -> httpx.Response:
            self._respect_rate_limit()
            try:
                response = client.get(request.url, params=request.params or None)
            except httpx.TimeoutException:
                raise Transient(
                    LandingError(f"GET {shown}: no answer within the timeout")
                ) from None
            except httpx.TransportError as error:
                message = scrub(str(error), self.secrets) or type(error).__name__
                raise Transient(LandingError(f"GET {shown}: {message}")) from None
            _check(response, shown, self.secrets)
            return response

        try:
            return call_with_retries(attempt, RetryPolicy.of(self.source), what)
        except LakeboxError as error:
            raise LandingError(
                f"{what}: {error.message}",
                hint=error.hint or "check the URL and that the API is up",
                source=self.context.name,
            ) from None

    def _respect_rate_limit(self) -> None:
        if not self.source.rate_limit:
            return
        wait = self._last_request + 1 / self.source.rate_limit - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        self._last_request = time.monotonic()

    def _cursor_of(self, page: Page) -> Cursor | None:
        incremental = self.source.incremental
        if incremental is None or not page.records:
            return None
        best: Cursor | None = None
        for record in page.records:
            value = _at_path(record, incremental.cursor)
            if value is not None and not isinstance(value, dict | list):
                text = value if isinstance(value, str) else json.dumps(value)
                kind = Cursor.of(incremental.cursor, parse_value(text)).type
                # kept as the API wrote it, so the next request sends it back the same way
                best = later(best, Cursor(incremental.cursor, text, kind))
        return best


class _Pager:
    """Turns one page's request and response into the next page's request."""

    def __init__(self, config: PaginationConfig) -> None:
        self.config = config

    def first(self, request: Request) -> Request:
        config = self.config
        params = dict(request.params)
        if config.type == "page":
            params[config.page_param] = str(config.start_page)
            if config.size_param and config.size:
                params[config.size_param] = str(config.size)
        elif config.type == "offset":
            params[config.offset_param] = "0"
            params[config.limit_param] = str(config.size or 100)
        return Request(request.url, params, 1)

    def next(self, request: Request, response: httpx.Response, page: Page) -> Request | None:
        kind = self.config.type
        if kind == "link":
            target = response.links.get("next", {}).get("url")
            return (
                Request(str(response.url.join(target)), {}, request.number + 1) if target else None
            )
        if kind == "cursor":
            token = _at_path(page.body, self.config.cursor_path) if not page.error else None
            if token in (None, "", []):
                return None
            params = {**request.params, self.config.cursor_param: str(token)}
            return Request(request.url, params, request.number + 1)
        if kind in ("page", "offset") and self._more(request, page):
            return Request(request.url, self._advance(request.params), request.number + 1)
        return None

    def _more(self, request: Request, page: Page) -> bool:
        if page.error:
            return True  # the page is quarantined; the ones after it are still fetched
        found = len(page.records or [])
        if not found:
            return False
        full = self.config.size or (100 if self.config.type == "offset" else None)
        if full and found < full:
            return False
        total = _at_path(page.body, self.config.total_pages_path)
        return not (
            self.config.total_pages_path and isinstance(total, int) and request.number >= total
        )

    def _advance(self, params: dict[str, str]) -> dict[str, str]:
        config = self.config
        if config.type == "page":
            return {**params, config.page_param: str(int(params[config.page_param]) + 1)}
        step = int(params[config.limit_param])
        return {**params, config.offset_param: str(int(params[config.offset_param]) + step)}


def _check(response: httpx.Response, shown: str, secrets: tuple[str, ...]) -> None:
    """Raise for a failed response: Transient when trying again may help."""
    if response.status_code < 400:
        return
    detail = scrub(" ".join(response.text[:200].split()), secrets)
    failure = LandingError(
        f"GET {shown}: {response.status_code} {response.reason_phrase}"
        + (f": {detail}" if detail else ""),
        hint=_hint(response.status_code),
    )
    if response.status_code in _RETRIED_STATUS:
        raise Transient(failure, wait=retry_after(response))
    raise failure


def retry_after(response: httpx.Response) -> float | None:
    """Return the seconds a `Retry-After` header asks to wait (a number or an HTTP date)."""
    value = response.headers.get("Retry-After")
    if not value:
        return None
    if value.strip().isdigit():
        return float(value.strip())
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (moment - datetime.now(UTC)).total_seconds())


def _hint(status: int) -> str | None:
    if status in (401, 403):
        return "check the token or header the source sends (an environment variable?)"
    if status == 404:
        return "check the source's url"
    return None


def _at_path(value: object, path: str | None) -> object:
    """Return the value at a dotted path inside parsed JSON (the value itself for none)."""
    for part in (path or "").split("."):
        if not part:
            continue
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


register("http")(HttpSource)
