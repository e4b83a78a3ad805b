"""A hostile HTTP API for the `http` source's tests, served on 127.0.0.1 from a thread.

Each test gives it routes: a path → a function that answers one request through the
handler (status, headers, body, written as it likes: a gzip bomb, a slow drip, a redirect).
Every request is logged with its headers, so a test can see what reached the server.
"""

from __future__ import annotations

import gzip
import io
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

Route = Callable[["Reply", dict[str, str]], None]


@dataclass
class Seen:
    path: str
    params: dict[str, str]
    headers: dict[str, str]


class Reply:
    """What a route writes with: the request's handler, with short ways to answer."""

    def __init__(self, handler: BaseHTTPRequestHandler) -> None:
        self.handler = handler

    def send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.handler.send_response(status)
        for name, value in (headers or {}).items():
            self.handler.send_header(name, value)
        self.handler.send_header("Content-Length", str(len(body)))
        self.handler.end_headers()
        self.handler.wfile.write(body)

    def json(self, value: object, headers: dict[str, str] | None = None) -> None:
        self.send(
            200, json.dumps(value).encode(), {"Content-Type": "application/json", **(headers or {})}
        )

    def drip(self, head: bytes, every: float, most: float) -> None:
        """Send `head`, then one space every `every` seconds for at most `most` seconds,
        then close the JSON: a body that never stalls long enough for a read timeout."""
        self.handler.send_response(200)
        self.handler.send_header("Content-Type", "application/json")
        self.handler.end_headers()
        self.handler.wfile.write(head)
        self.handler.wfile.flush()
        ends = time.monotonic() + most
        try:
            while time.monotonic() < ends:
                time.sleep(every)
                self.handler.wfile.write(b" ")
                self.handler.wfile.flush()
            self.handler.wfile.write(b"]")
        except OSError:
            return  # the client gave up


def gzip_bomb(expanded: int) -> bytes:
    """Return a small gzip body that expands to `expanded` bytes of a JSON list of zeros."""
    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="wb", compresslevel=9) as out:
        out.write(b"[")
        chunk = b"0," * (1024 * 1024)
        written = 1
        while written + len(chunk) < expanded:
            out.write(chunk)
            written += len(chunk)
        out.write(b"0]")
    return buffer.getvalue()


class HostileApi:
    """A server with test-given routes; `url` once built, `seen` the requests."""

    def __init__(self, routes: dict[str, Route] | None = None) -> None:
        self.routes: dict[str, Route] = dict(routes or {})
        self.seen: list[Seen] = []
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> HostileApi:
        self.thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def paths(self) -> list[str]:
        return [seen.path for seen in self.seen]


def _handler(api: HostileApi) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            params = {key: values[-1] for key, values in parse_qs(parts.query).items()}
            with api.lock:
                api.seen.append(Seen(parts.path, params, dict(self.headers.items())))
            route = api.routes.get(parts.path)
            if route is None:
                Reply(self).send(404, b'{"detail": "no such endpoint"}')
                return
            route(Reply(self), params)

    return Handler
