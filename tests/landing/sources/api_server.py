"""A real HTTP JSON API for the `http` source's tests, served on 127.0.0.1 from a thread.

It pages four ways (page number, offset, cursor token, Link header), filters by `since`,
checks a bearer token, limits the request rate (429 + Retry-After), fails chosen requests
with 503 once, and can serve one page as broken JSON. Every request is logged.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

TOKEN = "s3cret-token-123"
START = datetime(2026, 3, 1, tzinfo=UTC)


@dataclass
class Logged:
    path: str
    params: dict[str, str]
    status: int
    at: float


@dataclass
class Behaviour:
    """What the server does; tests change it between pulls."""

    token: str | None = TOKEN
    min_interval: float = 0.0  # a request sooner than this after the last one gets 429
    retry_after: str = "1"
    fail_once: set[int] = field(default_factory=set)  # request numbers answered 503 once
    broken_page: int | None = None  # this page number's body is not valid JSON


class Api:
    """The records and the behaviour; `url` once started."""

    def __init__(self, count: int = 45) -> None:
        self.records = [_record(number) for number in range(1, count + 1)]
        self.behaviour = Behaviour()
        self.log: list[Logged] = []
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Api:
        self.thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def add(self, count: int) -> None:
        """Append new records after the last one."""
        first = len(self.records) + 1
        self.records += [_record(number) for number in range(first, first + count)]

    def update(self, number: int, value: int) -> None:
        """Change a record's value; it becomes the newest."""
        newest = max(record["updated_at"] for record in self.records)
        moment = datetime.fromisoformat(newest.replace("Z", "+00:00")) + timedelta(minutes=1)
        record = self.records[number - 1]
        record["value"] = value
        record["updated_at"] = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
        self.records.sort(key=lambda item: item["updated_at"])

    def statuses(self) -> list[int]:
        return [entry.status for entry in self.log]


def _record(number: int) -> dict[str, object]:
    moment = START + timedelta(minutes=number)
    return {
        "id": number,
        "updated_at": moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "value": number * 10,
        "tags": {"group": f"g{number % 3}"},
    }


def _handler(api: Api) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            params = {key: values[-1] for key, values in parse_qs(parts.query).items()}
            status, body, headers = self._answer(parts.path, params)
            with api.lock:
                api.log.append(Logged(parts.path, params, status, time.monotonic()))
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            data = body.encode()
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _answer(self, path: str, params: dict[str, str]) -> tuple[int, str, dict[str, str]]:
            behaviour = api.behaviour
            with api.lock:
                number = len(api.log) + 1
                last = api.log[-1].at if api.log else None
            if behaviour.token and self.headers.get("Authorization") != f"Bearer {behaviour.token}":
                return 401, json.dumps({"detail": "bad token"}), {}
            if last is not None and time.monotonic() - last < behaviour.min_interval:
                return (
                    429,
                    json.dumps({"detail": "slow down"}),
                    {"Retry-After": behaviour.retry_after},
                )
            if number in behaviour.fail_once:
                behaviour.fail_once.discard(number)
                return 503, "upstream hiccup", {}
            records = [r for r in api.records if r["updated_at"] > params.get("since", "")]
            return _page(path, params, records, behaviour)

    return Handler


def _page(
    path: str, params: dict[str, str], records: list[dict], behaviour: Behaviour
) -> tuple[int, str, dict[str, str]]:
    headers: dict[str, str] = {}
    if path == "/page":
        size = int(params.get("per_page", "10"))
        page = int(params.get("page", "1"))
        chunk = records[(page - 1) * size : page * size]
        pages = max(1, -(-len(records) // size))
        body = {"data": chunk, "page": page, "pages": pages}
    elif path == "/offset":
        offset, limit = int(params.get("offset", "0")), int(params.get("limit", "10"))
        page = offset // max(limit, 1) + 1
        body = {"items": records[offset : offset + limit]}
    elif path == "/cursor":
        start = int(params.get("cursor", "0"))
        page = start // 10 + 1
        chunk = records[start : start + 10]
        more = start + 10 < len(records)
        body = {"results": chunk, "next": str(start + 10) if more else None}
    elif path == "/link":
        page = int(params.get("p", "1"))
        chunk = records[(page - 1) * 10 : page * 10]
        if page * 10 < len(records):
            query = urlencode({**params, "p": page + 1})
            headers["Link"] = f'</link?{query}>; rel="next"'
        body = chunk
    else:
        return 404, json.dumps({"detail": "no such endpoint"}), {}
    if behaviour.broken_page == page:
        return 200, json.dumps(body)[:-15] + "<html>oops", headers
    return 200, json.dumps(body), headers
