"""The streams' live view over HTTP: `GET /api/streams` (each declared stream with its intake,
key, windows, its worker's status and its open alerts), `GET /api/streams/{name}/windows`
(one key's latest closed windows from `exploitation.<stream>_<window>`, and its open ones
from the worker's status) and `GET /api/streams/{name}/live` (the same, pushed every second
as server-sent events until the client leaves or the stream's lifetime ends)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.sse import EventSourceResponse, format_sse_event
from pydantic import BaseModel

from lakebox.errors import LakeboxError
from lakebox.ground.json import json_ready
from lakebox.lakehouse import Lakehouse
from lakebox.monitoring.ledger import AlertRecord
from lakebox.serving.dependencies import LakehouseDep, QueriesDep
from lakebox.serving.queries import QueryService
from lakebox.serving.stream_windows import KeyView, known_stream, open_alerts, window_infos
from lakebox.stream.status import StreamStatus, read_status

router = APIRouter(tags=["streams"])
MAX_WINDOWS = 1_000
LIVE_SECONDS = 600.0  # a live answer ends then; the browser's EventSource opens a new one
TICK_SECONDS = 1.0
ALERTS_EVERY = 5  # ticks between two readings of ops.alerts
RECONNECT_MS = 1_000
SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}  # no proxy buffers it
LimitQuery = Annotated[int, Query(ge=1, le=MAX_WINDOWS, description="Closed windows, at most.")]
WindowQuery = Annotated[
    str | None, Query(description="A window's name (default: the stream's first window).")
]
KeyQuery = Annotated[str | None, Query(description="The key's value, e.g. a device id.")]
LiveKeyQuery = Annotated[
    str | None,
    Query(description="The key's value; without one, the events carry the status and keys only."),
]


class WindowInfo(BaseModel):
    """A declared window: its name, kind, size, hop or gap, and its table's value columns."""

    name: str
    kind: str
    size: str | None
    every: str | None
    gap: str | None
    table: str
    columns: list[str]


class StreamState(BaseModel):
    """A stream's status as its worker last wrote it, merged over partitions."""

    running: bool
    partitions: list[int]
    events_in: int
    refused: int
    late: int
    windows_closed: int
    rate: float
    lag: int
    watermark: str | None
    last_flush_seconds: float | None
    checkpoint_age: float | None
    updated_at: str | None
    open_windows: dict[str, int]

    @classmethod
    def of(cls, status: StreamStatus) -> StreamState:
        """Return the model of a status (its open windows counted per window)."""
        counts = {name: len(rows) for name, rows in status.open_windows.items()}
        fields = {key: value for key, value in vars(status).items() if key in cls.model_fields}
        return cls.model_validate({**fields, "open_windows": counts})


class OpenAlert(BaseModel):
    """An open alert of a stream's rule (a row of ops.alerts)."""

    incident_id: str
    subject: str
    severity: str
    opened_at: datetime
    notified_at: datetime | None
    last_error: str | None


class StreamSummary(BaseModel):
    """A declared stream: its intake, key, windows, status and open alerts."""

    name: str
    intake: str
    key: str
    time: str
    windows: list[WindowInfo]
    status: StreamState
    alerts: list[OpenAlert]


class KeyWindows(BaseModel):
    """One key's windows of one window: the latest closed ones (oldest first) and the open
    ones, with the value columns and the stream's status."""

    stream: str
    window: str
    key: Any
    columns: list[str]
    closed: list[dict[str, Any]]
    open: list[dict[str, Any]]
    status: StreamState


@router.get("/api/streams", summary="Every declared stream: intake, windows, status, open alerts")
def list_streams(lh: LakehouseDep, queries: QueriesDep) -> list[StreamSummary]:
    alerts = open_alerts(lh, queries)
    return [summary(lh, name, alerts.get(name, [])) for name in sorted(lh.config.streams)]


def summary(lh: Lakehouse, name: str, alerts: list[AlertRecord]) -> StreamSummary:
    """Return stream `name`'s summary, with its open alerts `alerts`."""
    stream = known_stream(lh, name)
    return StreamSummary(
        name=name,
        intake=stream.intake.kind,
        key=stream.key,
        time=stream.time,
        windows=[WindowInfo.model_validate(window) for window in window_infos(name, stream)],
        status=StreamState.of(read_status(lh, name)),
        alerts=[OpenAlert.model_validate(vars(record)) for record in alerts],
    )


@router.get(
    "/api/streams/{name}/windows",
    summary="One key's latest closed windows and its open ones",
    responses={
        400: {"description": "no key, or a key that is not of the key column's type"},
        404: {"description": "no such stream, or no such window in it"},
    },
)
def key_windows(
    name: str,
    lh: LakehouseDep,
    queries: QueriesDep,
    window: WindowQuery = None,
    key: KeyQuery = None,
    limit: LimitQuery = 60,
) -> KeyWindows:
    view = KeyView.of(lh, name, window, key)
    status = read_status(lh, name)
    return KeyWindows(
        stream=name,
        window=view.window,
        key=view.key,
        columns=view.columns,
        closed=json_ready(view.closed(queries, limit)),
        open=json_ready(view.open(status)),
        status=StreamState.of(status),
    )


@router.get(
    "/api/streams/{name}/live",
    summary="One key's windows and the stream's status, pushed every second (server-sent events)",
    responses={
        200: {
            "description": "`snapshot`, then a `tick` a second, then `end` (reconnect)",
            "content": {"text/event-stream": {"schema": {"type": "string"}}},
        },
        400: {"description": "a key that is not of the key column's type"},
        404: {"description": "no such stream, or no such window in it"},
    },
)
async def live(
    name: str,
    request: Request,
    lh: LakehouseDep,
    queries: QueriesDep,
    window: WindowQuery = None,
    key: LiveKeyQuery = None,
    limit: LimitQuery = 60,
) -> EventSourceResponse:
    view = await run_in_threadpool(KeyView.of, lh, name, window, key, False)
    follower = Follower(lh, view, queries, limit)
    return EventSourceResponse(_events(request, follower), headers=SSE_HEADERS)


async def _events(request: Request, follower: Follower) -> AsyncIterator[bytes]:
    """Yield the follower's events every second while the client stays, for at most
    `LIVE_SECONDS`; then an `end` event (the browser reconnects after `RECONNECT_MS`)."""
    answers = live_answers(request)
    answers.add(follower)
    try:
        ends = time.monotonic() + LIVE_SECONDS
        while time.monotonic() < ends:
            if await request.is_disconnected():
                return
            yield await run_in_threadpool(follower.next_event)
            await asyncio.sleep(TICK_SECONDS)
        yield _event("end", {"reason": f"a live answer lasts at most {LIVE_SECONDS:g} s"})
    finally:
        answers.discard(follower)


def live_answers(request: Request) -> set[Follower]:
    """Return the app's live answers being sent now (one follower each)."""
    state = request.app.state
    if not hasattr(state, "live_answers"):
        state.live_answers = set()
    answers: set[Follower] = state.live_answers
    return answers


class Follower:
    """What one live client was told: the closed windows sent, and the window table's
    version when they were read, so that each tick sends only what is new."""

    def __init__(self, lh: Lakehouse, view: KeyView, queries: QueryService, limit: int) -> None:
        self.lh, self.view, self.queries, self.limit = lh, view, queries, limit
        self.ticks = 0
        self.version: str | None = None
        self.sent: set[tuple[Any, Any]] = set()
        self.keys: list[Any] | None = None

    def next_event(self) -> bytes:
        """Return the next event: `snapshot` first (every closed window), then `tick`s (the
        closed windows not sent yet); a `problem` when the lake cannot be read now."""
        name = "snapshot" if self.ticks == 0 else "tick"
        try:
            payload = self._payload()
        except LakeboxError as error:
            payload, name = {"error": error.message, "hint": error.hint}, "problem"
        self.ticks += 1
        return _event(name, payload, retry=RECONNECT_MS if self.ticks == 1 else None)

    def _payload(self) -> dict[str, Any]:
        status = read_status(self.lh, self.view.name)
        payload: dict[str, Any] = {
            "at": time.time(),
            "status": StreamState.of(status).model_dump(),
            "open": self.view.open(status),
            "closed": self._new_closed(),
        }
        keys = self.view.open_keys(status)
        if keys != self.keys:
            payload["keys"] = self.keys = keys
        if self.ticks % ALERTS_EVERY == 0:
            found = open_alerts(self.lh, self.queries).get(self.view.name, [])
            payload["alerts"] = [OpenAlert.model_validate(vars(r)).model_dump() for r in found]
        return payload

    def _new_closed(self) -> list[dict[str, Any]]:
        version = self.view.table_version(self.lh)
        if version == self.version:
            return []
        rows = self.view.closed(self.queries, self.limit)
        self.version = version
        stamps = {_stamp(row) for row in rows}
        fresh = [row for row in rows if _stamp(row) not in self.sent]
        self.sent = stamps
        return fresh


def _stamp(row: dict[str, Any]) -> tuple[Any, Any]:
    return row["window_start"], row["window_end"]


def _event(name: str, payload: dict[str, Any], retry: int | None = None) -> bytes:
    data = json.dumps(json_ready(payload), separators=(",", ":"))
    return format_sse_event(data_str=data, event=name, retry=retry)
