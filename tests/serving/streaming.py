"""Serving for the live-view tests: the app on a real uvicorn server in a thread, and the
events of a text/event-stream answer as they arrive."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
import uvicorn

from tests.conftest import free_port


@contextmanager
def served(app: Any) -> Iterator[tuple[str, uvicorn.Server]]:
    """Serve `app` with uvicorn in a thread on a free port; yield its URL and server."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}", server
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        assert not thread.is_alive(), "the server did not stop"


def sse_events(response: httpx.Response) -> Iterator[tuple[str, dict[str, Any]]]:
    """Yield (event name, decoded data) of a text/event-stream answer as they arrive (the
    connection closes when this generator is closed, or dropped)."""
    name, data = "message", []
    for line in response.iter_lines():
        if line == "":
            if data:
                yield name, json.loads("\n".join(data))
            name, data = "message", []
        elif line.startswith("event:"):
            name = line[6:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].strip())
