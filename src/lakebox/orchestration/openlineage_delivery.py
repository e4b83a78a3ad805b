"""Delivering a run's OpenLineage events: each a line of an NDJSON file, written at once, and
a POST to an HTTP receiver (Marquez's `/api/v1/lineage`), sent by a thread of its own.

Nothing here raises into the run or holds it up: a file that cannot be written and a receiver
that refuses, fails or does not answer are noted as problems, which the run reports as
warnings. The receiver gets `timeout` seconds an event; one that times out gets no more
events of the run, and the run waits at most `timeout` seconds at its end for those still
queued (what is left then is dropped and counted). The API key never appears in a problem.
"""

from __future__ import annotations

import fcntl
import logging
import os
import queue
import threading
from dataclasses import dataclass, field
from pathlib import Path

import requests
from openlineage.client.event_v2 import RunEvent
from openlineage.client.serde import Serde
from openlineage.client.transport.http import (
    ApiKeyTokenProvider,
    HttpConfig,
    HttpTransport,
    TokenProvider,
)
from requests.adapters import HTTPAdapter

from lakebox.config.lineage import LineageConfig
from lakebox.redaction import redact_url, scrub, url_secrets

logger = logging.getLogger(__name__)
_DONE = None  # what tells the sender thread that no more events come


@dataclass
class Tally:
    """What became of the events meant for the receiver: how many were not delivered, and
    the first reason one was not."""

    failed: int = 0
    first_error: str | None = None
    timed_out: bool = False

    def note(self, error: str) -> None:
        """Count one event not delivered, keeping the first reason."""
        self.failed += 1
        self.first_error = self.first_error or error


@dataclass
class Delivery:
    """Where one run's events go (see the module's docstring); `problems()` says what failed."""

    config: LineageConfig
    project_dir: Path
    sent: int = 0
    file_error: str | None = None
    tally: Tally = field(default_factory=Tally)
    _queue: queue.Queue[RunEvent | None] = field(default_factory=queue.Queue)
    _sender: threading.Thread | None = None
    _closed: threading.Event = field(default_factory=threading.Event)

    def send(self, event: RunEvent) -> None:
        """Write `event` to the file and queue it for the receiver; never raise."""
        self.sent += 1
        if self.config.file:
            self._write(Serde.to_json(event))
        if self.config.url and not self._closed.is_set():
            self._start_sender()
            self._queue.put(event)

    def close(self) -> None:
        """Wait (at most `timeout` seconds) for the queued events to reach the receiver,
        then count those still queued or on their way as not delivered."""
        if self._sender is None or self._closed.is_set():
            return
        self._queue.put(_DONE)
        self._sender.join(self.config.timeout)
        self._closed.set()
        left = sum(1 for item in _drain(self._queue) if item is not _DONE)
        left += 1 if self._sender.is_alive() else 0  # the one it still waits on
        if left:
            self.tally.failed += left
            self.tally.first_error = self.tally.first_error or "no answer in time"

    def problems(self) -> list[str]:
        """Return what went wrong delivering the run's events, as plain sentences."""
        found = []
        if self.file_error:
            found.append(f"OpenLineage events not written to {self.config.file}: {self.file_error}")
        if self.tally.failed:
            found.append(
                f"OpenLineage: {self.tally.failed} of {self.sent} event(s) not delivered to "
                f"{redact_url(self.config.endpoint_url or '')}: {self.tally.first_error}"
                + ("; the run sent it no more" if self.tally.timed_out else "")
            )
        return [self._scrubbed(text) for text in found]

    def _write(self, text: str) -> None:
        """Append `text` as one line of the file, whole even when several runs write it."""
        path = self.project_dir / (self.config.file or "")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX)
                _write_all(descriptor, (text + "\n").encode("utf-8"))
            finally:
                os.close(descriptor)
        except OSError as error:
            self.file_error = self.file_error or (error.strerror or str(error))

    def _start_sender(self) -> None:
        if self._sender is None:
            transport = _transport(self.config)
            self._sender = threading.Thread(
                target=self._deliver, args=(transport,), name="openlineage", daemon=True
            )
            self._sender.start()

    def _deliver(self, transport: HttpTransport) -> None:
        """Post each queued event in order until the run closes the delivery; after a
        timeout, count the rest as not delivered without sending them."""
        try:
            while True:
                event = self._queue.get()
                if event is _DONE:
                    return
                error = "an earlier event timed out" if self.tally.timed_out else None
                error = error or _posted(transport, event, self.config.timeout)
                if self._closed.is_set():  # the run no longer waits: close() counted it
                    return
                if error is not None:
                    self.tally.timed_out = self.tally.timed_out or error.startswith("no answer")
                    self.tally.note(error)
        finally:
            transport.close()

    def _scrubbed(self, text: str) -> str:
        secrets = url_secrets(self.config.url or "")
        key = self.config.api_key.get_secret_value() if self.config.api_key else ""
        return scrub(text, (*secrets, key))


def _posted(transport: HttpTransport, event: RunEvent, timeout: float) -> str | None:
    """POST `event`; return why it was not delivered, or None."""
    try:
        transport.emit(event)
    except requests.Timeout:
        return f"no answer within {timeout:g} s"
    except requests.HTTPError as error:
        status = error.response.status_code if error.response is not None else "an error"
        return f"the receiver answered {status}"
    except requests.ConnectionError:
        return "the receiver could not be reached"
    except Exception as error:  # a bad address, a broken event: never the run's failure
        return type(error).__name__
    return None


def _transport(config: LineageConfig) -> HttpTransport:
    """Return the HTTP transport of openlineage-python for `config`: its endpoint, its API
    key as a bearer token, its timeout, and no retries (a retry would hold the run up)."""
    key = config.api_key.get_secret_value() if config.api_key else None
    return HttpTransport(
        HttpConfig(
            url=config.endpoint_url or "",
            endpoint="",
            timeout=config.timeout,
            auth=ApiKeyTokenProvider({"api_key": key}) if key else TokenProvider({}),
            adapter=HTTPAdapter(max_retries=0),
        )
    )


def _write_all(descriptor: int, data: bytes) -> None:
    while data:
        data = data[os.write(descriptor, data) :]


def _drain(waiting: queue.Queue[str | None]) -> list[str | None]:
    found = []
    while True:
        try:
            found.append(waiting.get_nowait())
        except queue.Empty:
            return found
