"""How an HTTP source walks its pages: turning one page's request and response into the
next page's request (page number, offset, cursor token or Link header), and stopping at a
loop: a request made before (a next link to itself, a cursor that comes back) or a body
the same as an earlier page's (an API ignoring the page parameter)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from lakebox.config import PaginationConfig


@dataclass
class Request:
    """One page's request: a URL and its query parameters."""

    url: str
    params: dict[str, str] = field(default_factory=dict)
    number: int = 1

    def full_url(self) -> str:
        """Return the URL with its parameters, as sent."""
        url = httpx.URL(self.url)  # a next link's own query is kept
        return str(url.copy_merge_params(self.params) if self.params else url)


class Pager:
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

    def next(
        self,
        request: Request,
        final_url: httpx.URL,
        links: Mapping[str | None, Mapping[str, str]],
        body: object,
        records: list[object] | None,
        failed: bool,
    ) -> Request | None:
        kind = self.config.type
        if kind == "link":
            target = links.get("next", {}).get("url")
            return Request(str(final_url.join(target)), {}, request.number + 1) if target else None
        if kind == "cursor":
            token = at_path(body, self.config.cursor_path) if not failed else None
            if token in (None, "", []):
                return None
            params = {**request.params, self.config.cursor_param: str(token)}
            return Request(request.url, params, request.number + 1)
        if kind in ("page", "offset") and self._more(request, body, records, failed):
            return Request(request.url, self._advance(request.params), request.number + 1)
        return None

    def _more(
        self, request: Request, body: object, records: list[object] | None, failed: bool
    ) -> bool:
        if failed:
            return True  # the page is quarantined; the ones after it are still fetched
        found = len(records or [])
        if not found:
            return False
        full = self.config.size or (100 if self.config.type == "offset" else None)
        if full and found < full:
            return False
        total = at_path(body, self.config.total_pages_path)
        return not (
            self.config.total_pages_path and isinstance(total, int) and request.number >= total
        )

    def _advance(self, params: dict[str, str]) -> dict[str, str]:
        config = self.config
        if config.type == "page":
            return {**params, config.page_param: str(int(params[config.page_param]) + 1)}
        step = int(params[config.limit_param])
        return {**params, config.offset_param: str(int(params[config.offset_param]) + step)}


class LoopGuard:
    """Remembers the requests made and the bodies received during one pull."""

    def __init__(self) -> None:
        self.requests: set[str] = set()
        self.bodies: dict[str, int] = {}
        self.last_records: tuple[int, str] | None = None

    def repeated_request(self, request: Request) -> bool:
        """Return whether `request` was made before in this pull (and remember it)."""
        url = request.full_url()
        if url in self.requests:
            return True
        self.requests.add(url)
        return False

    def repeated_body(self, number: int, body: Path) -> int | None:
        """Return the earlier page whose body is the same as page `number`'s, if any."""
        digest = hashlib.sha256()
        with body.open("rb") as handle:
            while chunk := handle.read(1024 * 1024):
                digest.update(chunk)
        earlier = self.bodies.get(digest.hexdigest())
        if earlier is None:
            self.bodies[digest.hexdigest()] = number
        return earlier

    def repeated_records(self, number: int, records: list[object] | None) -> bool:
        """Return whether page `number` has the same records as the page before it: an API
        ignoring the page or offset parameter, its bodies differing only by a timestamp
        (two pages apart may repeat records without a loop, so only neighbours count)."""
        if not records:
            return False
        text = json.dumps(records, sort_keys=True, separators=(",", ":"))
        digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
        previous, self.last_records = self.last_records, (number, digest)
        return previous == (number - 1, digest)


def at_path(value: object, path: str | None) -> object:
    """Return the value at a dotted path inside parsed JSON (the value itself for none)."""
    for part in (path or "").split("."):
        if not part:
            continue
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value
