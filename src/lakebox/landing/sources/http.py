"""The `http` source kind: a JSON API, walked page by page into one landed NDJSON object.

Each pull lands one line per page: `{"page": n, "status": 200, "url": "<request URL without
secrets>", "body": <the response body as received>}`. A body that is not JSON, or past a
size cap, is kept as text with the reason (`"error"`, `"text"`), so the formatter
quarantines that page alone. Pages follow a page number, an offset, a cursor token in the
body or the `Link` header, and stop at a loop; failed requests (timeouts, 429, 5xx) are
retried with backoff or after `Retry-After`, all within the pull's deadline. Bodies stream
into the temporal landing area (`http_body`); credentials go to the source's origin only
(`http_origin`). A pull that fails part way lands the pages before the failure when its
cursor lets the next pull resume after them.
"""

from __future__ import annotations

import email.utils
import json
import logging
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

import httpx

from lakebox.errors import LakeboxError, LandingError, PullTimedOut
from lakebox.landing.retry import RetryPolicy, Transient, call_with_retries
from lakebox.landing.sources.base import Candidate, Fetched, SourceContext, register
from lakebox.landing.sources.http_body import (
    ACCEPTED_ENCODINGS,
    KEPT,
    Body,
    BodyLimits,
    peek_text,
    read_body,
)
from lakebox.landing.sources.http_deadline import PullDeadline
from lakebox.landing.sources.http_origin import MAX_REDIRECTS, RedirectPolicy
from lakebox.landing.sources.http_pager import LoopGuard, Pager, Request, at_path
from lakebox.landing.state import Cursor, later, parse_value
from lakebox.redaction import is_secret_name, redact_url, scrub, url_secrets

logger = logging.getLogger(__name__)
_RETRIED_STATUS = (408, 425, 429, 500, 502, 503, 504)
_USER_AGENT = "lakebox"


@dataclass
class Answer:
    """A response read: its status, final URL (after redirects), links and body."""

    status: int
    url: httpx.URL
    links: Mapping[str | None, Mapping[str, str]]
    body: Body


@dataclass
class Page:
    """A fetched page: its body parsed (or why it could not be), and its records."""

    status: int
    text: str
    body: object = None
    error: str | None = None
    records: list[object] | None = None

    @classmethod
    def of(cls, answer: Answer, records_path: str | None) -> Page:
        """Return the page of an answer; records are found at `records_path`."""
        if answer.body.refused is not None:
            return cls(answer.status, answer.body.text(KEPT), error=answer.body.refused)
        page = cls(answer.status, answer.body.text())
        try:
            page.body = json.loads(page.text)
        except RecursionError:
            page.error = "response body is JSON nested too deeply to read"
            page.text = page.text[:KEPT]
            return page
        except ValueError as error:
            page.error = f"response body is not valid JSON ({error})"
            if len(page.text) > KEPT:  # its quarantined page keeps the start of it
                page.error += f"; the first {KEPT} of its {len(page.text)} characters are kept"
                page.text = page.text[:KEPT]
            return page
        found = at_path(page.body, records_path)
        page.records = found if isinstance(found, list) else None
        return page

    def line(self, number: int, url: str, final_url: str | None = None) -> str:
        """Return the page as its landed line (the body kept as received, on one line)."""
        head: dict[str, object] = {"page": number, "status": self.status, "url": url}
        if final_url is not None and final_url != url:
            head["redirected_to"] = final_url
        if self.error is not None:
            return json.dumps({**head, "error": self.error, "text": self.text}) + "\n"
        flat = self.text.replace("\r", " ").replace("\n", " ")
        return json.dumps(head)[:-1] + f', "body": {flat}}}\n'


class HttpSource:
    """One pull of a JSON API per run: every page since the source's state (or, for a
    backfill, within the window the API is sent in `param` and `end_param`)."""

    def __init__(self, context: SourceContext) -> None:
        self.context = context
        self.name = context.name
        self.source = context.source
        self.secrets = (
            *url_secrets(self.source.url or ""),
            *self.source.headers.values(),
            *(value for name, value in self.source.params.items() if is_secret_name(name)),
        )
        self.redirects = RedirectPolicy(self.name, self.source, self.secrets)
        self.limits = BodyLimits(
            self.source.max_raw_body_bytes,
            self.source.max_body_bytes,
            f"sources.{self.name}.max_raw_body_bytes",
            f"sources.{self.name}.max_body_bytes",
        )
        self._last_request = 0.0
        self._previous: Cursor | None = None  # the last record's cursor seen in this pull
        self._ordered = True  # whether the records came in cursor order so far

    def candidates(self) -> Iterator[Candidate]:
        """Offer this run's pull, named by its first request."""
        first = self._first_request()
        yield Candidate(
            original_path=redact_url(first.full_url(), self.secrets),
            name=f"{self.name}.pages.ndjson",
            bytes=0,
            modified_at=None,
            pulled=True,
        )

    def fetch(self, candidate: Candidate, target: Path) -> Fetched:
        """Fetch every page into `target`, one line per page, each body streamed through a
        file beside it; a pull that fails part way keeps what it may (`_keep_partial`)."""
        fetched = Fetched(rows=0, cursor=self.context.start, pages=0)
        headers = {
            "User-Agent": _USER_AGENT,
            "Accept": "application/json",
            "Accept-Encoding": ACCEPTED_ENCODINGS,
        }
        deadline = PullDeadline(self.name, self.source)
        spool = target.with_name(f"{target.name}.body")
        try:
            with (
                httpx.Client(headers=headers, follow_redirects=False) as client,
                target.open("w", encoding="utf-8") as out,
                deadline.watchdog(),
            ):
                stopped = self._walk(client, out, fetched, deadline, spool)
        finally:
            spool.unlink(missing_ok=True)
        if stopped is not None:
            self._keep_partial(fetched, *stopped)
        return fetched

    def _walk(
        self,
        client: httpx.Client,
        out: IO[str],
        fetched: Fetched,
        deadline: PullDeadline,
        spool: Path,
    ) -> tuple[int, LandingError] | None:
        """Fetch page after page; return the page that failed after others were fetched,
        and its error (None: the pull ended)."""
        pager = Pager(self.source.pagination)
        guard = LoopGuard()
        request: Request | None = self._first_request()
        while request is not None:
            if guard.repeated_request(request):
                self._loop(request.number, "asks for a page it fetched before")
                return None
            try:
                answer = self._get(client, request, deadline, spool)
            except LandingError as error:
                if not fetched.pages:
                    raise
                return request.number, error
            earlier = guard.repeated_body(request.number, spool)
            if earlier is not None:
                self._loop(request.number, f"has the same body as page {earlier}")
                return None
            page = Page.of(answer, self.source.records)
            numbered = pager.config.type in ("page", "offset")
            if numbered and guard.repeated_records(request.number, page.records):
                self._loop(request.number, f"has the same records as page {request.number - 1}")
                return None
            self._write(out, fetched, request, answer, page)
            failed = page.error is not None
            request = pager.next(request, answer.url, answer.links, page.body, page.records, failed)
            if request is not None and request.number > pager.config.max_pages:
                logger.warning(
                    "%s: stopped at sources.%s.pagination.max_pages (%d)",
                    self.name,
                    self.name,
                    pager.config.max_pages,
                )
                request = None
        return None

    def _loop(self, number: int, what: str) -> None:
        logger.warning(
            "%s: page %d %s: a pagination loop; the pull stops here, with the pages before it",
            self.name,
            number,
            what,
        )

    def _write(
        self, out: IO[str], fetched: Fetched, request: Request, answer: Answer, page: Page
    ) -> None:
        shown = redact_url(request.full_url(), self.secrets)
        final = redact_url(str(answer.url), self.secrets)
        out.write(page.line(request.number, shown, final))
        fetched.pages = (fetched.pages or 0) + 1
        fetched.http_status = answer.status
        fetched.final_url = final
        # a page without a list of records counts as one row: it is quarantined whole
        found = len(page.records) if page.records is not None else 1
        fetched.rows = (fetched.rows or 0) + found
        fetched.cursor = later(fetched.cursor, self._cursor_of(page))
        if page.error:
            logger.warning("%s: page %d: %s", self.name, request.number, page.error)

    def _keep_partial(self, fetched: Fetched, number: int, error: LandingError) -> None:
        """Keep the pages fetched before page `number` failed, when the next pull can
        resume after them (or read them again, merged by key); else raise."""
        failure = error.message.removeprefix(f"source {self.name}: ")
        landed = f"pages 1-{number - 1}" if number > 2 else "page 1"
        why = self._not_resumable()
        if why is not None:
            raise type(error)(
                f"source {self.name}: page {number}: {failure}; the {landed} fetched before it "
                f"are not landed: {why}",
                hint=error.hint,
                source=self.name,
            ) from None
        if self._ordered:
            resume = "the next pull resumes after them"
        else:
            fetched.cursor = self.context.start
            resume = "the next pull reads them again (their records are not in cursor order)"
        fetched.partial = f"source {self.name}: page {number}: {failure}; {landed} landed, {resume}"
        logger.warning("%s", fetched.partial)

    def _not_resumable(self) -> str | None:
        if self.context.window is not None:
            return "a backfill's window lands whole or not at all"
        if self.source.incremental is None:
            return "a full pull replaces the table, so half of one must not"
        if not self._ordered and not self.source.key:
            return "their records are not in cursor order and the source has no key"
        return None

    def _first_request(self) -> Request:
        params = {**self.source.params, **self._cursor_params()}
        return Pager(self.source.pagination).first(Request(self.source.url or "", params))

    def _cursor_params(self) -> dict[str, str]:
        """Return the incremental parameters: the state in `param`, or a backfill's window
        in `param` and `end_param` (`landing.backfill` checks both exist beforehand)."""
        incremental = self.source.incremental
        window = self.context.window
        if window is not None:
            if incremental is None or not (incremental.param and incremental.end_param):
                # never fetch everything, or up to now, in place of the window
                raise LandingError(
                    f"source {self.name}: a backfill needs 'param' and 'end_param'",
                    source=self.name,
                )
            return {incremental.param: window.start.value, incremental.end_param: window.end.value}
        if incremental and incremental.param and self.context.start is not None:
            return {incremental.param: self.context.start.value}
        return {}

    def _get(
        self, client: httpx.Client, request: Request, deadline: PullDeadline, spool: Path
    ) -> Answer:
        shown = redact_url(request.full_url(), self.secrets)
        what = f"source {self.name}"

        def attempt() -> Answer:
            self._respect_rate_limit()
            return self._follow(client, request, shown, deadline, spool)

        def sleep(seconds: float) -> None:
            deadline.sleep(f"GET {shown}", seconds)

        try:
            return call_with_retries(attempt, RetryPolicy.of(self.source), what, sleep)
        except LakeboxError as error:
            kind = PullTimedOut if isinstance(error, PullTimedOut) else LandingError
            raise kind(
                f"{what}: {error.message}",
                hint=error.hint or "check the URL and that the API is up",
                source=self.name,
            ) from None

    def _follow(
        self,
        client: httpx.Client,
        request: Request,
        shown: str,
        deadline: PullDeadline,
        spool: Path,
    ) -> Answer:
        """GET the request, following redirects the source's origin policy allows; the
        source's headers go along only while every hop stays on its origin."""
        url, params, trusted = httpx.URL(request.url), request.params or None, True
        self.redirects.check_page(url, shown)  # a next link, as a redirect, stays at home
        for _ in range(MAX_REDIRECTS + 1):
            deadline.check(f"GET {shown}")
            trusted = trusted and self.redirects.trusted(url)
            headers = self.source.headers if trusted else {}
            try:
                with client.stream(
                    "GET",
                    url,
                    params=params,
                    headers=headers,
                    timeout=deadline.timeout(),
                    extensions=deadline.extensions,
                ) as response:
                    if response.is_redirect:
                        url, params = self.redirects.next_hop(response, shown), None
                        continue
                    _check(response, shown, self.secrets, deadline)
                    body = read_body(response, spool, self.limits, deadline, f"GET {shown}")
                    return Answer(response.status_code, response.url, response.links, body)
            except httpx.TimeoutException:
                deadline.check(f"GET {shown}")
                raise Transient(
                    LandingError(f"GET {shown}: no answer within the timeout")
                ) from None
            except httpx.TransportError as error:
                deadline.check(f"GET {shown}")  # the watchdog shut the connection down
                message = scrub(str(error), self.secrets) or type(error).__name__
                raise Transient(LandingError(f"GET {shown}: {message}")) from None
        raise LandingError(f"GET {shown}: more than {MAX_REDIRECTS} redirects")

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
            value = at_path(record, incremental.cursor)
            if value is not None and not isinstance(value, dict | list):
                text = value if isinstance(value, str) else json.dumps(value)
                kind = Cursor.of(incremental.cursor, parse_value(text)).type
                # kept as the API wrote it, so the next request sends it back the same way
                cursor = Cursor(incremental.cursor, text, kind)
                self._note_order(cursor)
                best = later(best, cursor)
        return best

    def _note_order(self, cursor: Cursor) -> None:
        """Note whether the records come in cursor order (a partial pull may then resume
        after the last one)."""
        previous, self._previous = self._previous, cursor
        if previous is None:
            return
        try:
            if cursor.typed() < previous.typed():  # type: ignore[operator]
                self._ordered = False
        except TypeError:
            self._ordered = False


def _check(
    response: httpx.Response, shown: str, secrets: tuple[str, ...], deadline: PullDeadline
) -> None:
    """Raise for a failed response: Transient when trying again may help."""
    if response.status_code < 400:
        return
    detail = scrub(" ".join(peek_text(response)[:200].split()), secrets)
    deadline.check(f"GET {shown}")  # the error page may have dripped in until the deadline
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


register("http")(HttpSource)
