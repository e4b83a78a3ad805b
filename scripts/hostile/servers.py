"""Local HTTP servers answering the hostile API cases, on 127.0.0.1 in threads of the harness.

One `Api` serves every endpoint; a second one, on another port (so another origin), is the target
of the cross-origin redirect and records the headers it received. Big bodies are streamed from
generators, so the harness itself stays small whatever size a case asks for.
"""

from __future__ import annotations

import contextlib
import json
import sys
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

MB = 1024 * 1024
CHUNK = MB
Route = Callable[["Handler", dict[str, str]], None]


def records(page: int, size: int = 3) -> list[dict[str, object]]:
    """Return the records of page `page`: `size` rows with ids unique across pages."""
    return [{"id": page * 1000 + index, "page": page, "name": f"r{index}"} for index in range(size)]


def gzip_bomb(expanded: int) -> bytes:
    """Return a gzip stream of `expanded` bytes of JSON-ish padding (compressed about 1000:1)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    parts = [compressor.compress(b'{"data": [{"x": "')]
    block = b" " * CHUNK
    for _ in range(max(1, expanded // CHUNK)):
        parts.append(compressor.compress(block))
    parts.append(compressor.compress(b'"}]}'))
    parts.append(compressor.flush())
    return b"".join(parts)


def big_body(size: int) -> Iterator[bytes]:
    """Yield a valid JSON body of about `size` bytes: one record list of padded rows."""
    row = json.dumps({"id": 0, "pad": "x" * 1000}).encode()
    batch = b",".join([row] * 1000)
    yield b'{"data": [' + row
    for _ in range(size // (len(batch) + 1)):
        yield b"," + batch
    yield b"]}"


class Handler(BaseHTTPRequestHandler):
    server: Api  # type: ignore[assignment]
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        """Keep the harness's output to its table."""

    def do_GET(self) -> None:
        url = urlparse(self.path)
        query = {name: values[-1] for name, values in parse_qs(url.query).items()}
        self.server.received.append((url.path, dict(self.headers.items())))
        route = self.server.routes.get(url.path)
        if route is None:
            self.send_json({"error": "no such path"}, 404)
            return
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            route(self, query)  # a client giving up past a cap ends the answer

    def send_json(self, body: object, status: int = 200) -> None:
        self.send_bytes(json.dumps(body).encode(), status)

    def send_bytes(
        self, data: bytes, status: int = 200, headers: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def send_stream(self, chunks: Iterator[bytes]) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        for chunk in chunks:
            self.wfile.write(chunk)


class Api(ThreadingHTTPServer):
    """A threaded HTTP server on a free loopback port with named routes."""

    daemon_threads = True

    def __init__(self, routes: dict[str, Route]) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.routes = routes
        self.settings: dict[str, float | int | str] = {}
        self.bomb = b""
        self.received: list[tuple[str, dict[str, str]]] = []
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)

    def handle_error(self, request: object, client_address: object) -> None:
        """Stay quiet about a client killed by the watchdog mid-request; report anything else."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)  # type: ignore[arg-type]

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def __enter__(self) -> Api:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()
        self.server_close()

    def headers_seen(self, path: str) -> list[dict[str, str]]:
        """Return the headers of every request received on `path`, names lower-cased."""
        return [
            {name.lower(): value for name, value in headers.items()}
            for seen, headers in self.received
            if seen == path
        ]


# -- the routes --------------------------------------------------------------------------------


def paged(handler: Handler, query: dict[str, str]) -> None:
    """Three full pages of records, then an empty one."""
    page = int(query.get("page", "1"))
    handler.send_json({"data": records(page) if page <= 3 else []})


def fails_on_page_4(handler: Handler, query: dict[str, str]) -> None:
    """Pages 1-3 answer records, page 4 answers 503 every time, later pages would be empty."""
    page = int(query.get("page", "1"))
    if page == 4:
        handler.send_json({"error": "unavailable"}, 503)
    else:
        handler.send_json({"data": records(page) if page < 4 else []})


def invalid_page_2(handler: Handler, query: dict[str, str]) -> None:
    """Page 2's body is not JSON; pages 1 and 3 are, then an empty page."""
    page = int(query.get("page", "1"))
    if page == 2:
        handler.send_bytes(b"<html>502 Bad Gateway</html>{", 200)
    else:
        handler.send_json({"data": records(page) if page <= 3 else []})


def cursor_loop(handler: Handler, query: dict[str, str]) -> None:
    """Every page names the same next cursor and holds full pages: a loop."""
    handler.send_json({"data": records(1), "next": "same-cursor"})


def slow(handler: Handler, query: dict[str, str]) -> None:
    """Answer a JSON body one byte every `gap` seconds (5 by default), for ever."""
    gap = float(handler.server.settings.get("slow_gap", 5.0))
    handler.send_response(200)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", "100000")
    handler.end_headers()
    for byte in b'{"data": [' + b" " * 99990:
        handler.wfile.write(bytes([byte]))
        handler.wfile.flush()
        time.sleep(gap)


def bomb(handler: Handler, query: dict[str, str]) -> None:
    """A gzip body that expands past the cap: Content-Encoding: gzip."""
    handler.send_bytes(handler.server.bomb, headers={"Content-Encoding": "gzip"})


def big(handler: Handler, query: dict[str, str]) -> None:
    """A plain valid JSON body of `body_bytes`, streamed."""
    handler.send_stream(big_body(int(handler.server.settings["body_bytes"])))


def redirect_away(handler: Handler, query: dict[str, str]) -> None:
    """Answer 302 to the other origin's /collect."""
    target = handler.server.settings["redirect_to"]
    handler.send_response(302)
    handler.send_header("Location", f"{target}/collect")
    handler.send_header("Content-Length", "0")
    handler.end_headers()


def collect(handler: Handler, query: dict[str, str]) -> None:
    """The other origin's endpoint: it answers records, and its server logs the headers."""
    handler.send_json({"data": records(1)})


ROUTES: dict[str, Route] = {
    "/paged": paged,
    "/partial": fails_on_page_4,
    "/invalid": invalid_page_2,
    "/loop": cursor_loop,
    "/slow": slow,
    "/bomb": bomb,
    "/big": big,
    "/redirect": redirect_away,
}


class Servers:
    """The main API and the other origin, started together for one harness run."""

    def __init__(self, settings: dict[str, float | int | str]) -> None:
        self.api = Api(ROUTES)
        self.other = Api({"/collect": collect})
        for server in (self.api, self.other):
            server.settings = {**settings, "redirect_to": self.other.origin}
        self._bomb_lock = threading.Lock()

    def prepare_bomb(self, expanded: int) -> None:
        """Compress the gzip bomb once (a few seconds for a GiB)."""
        with self._bomb_lock:
            if not self.api.bomb:
                self.api.bomb = gzip_bomb(expanded)

    def __enter__(self) -> Servers:
        self.api.__enter__()
        self.other.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.api.__exit__()
        self.other.__exit__()
