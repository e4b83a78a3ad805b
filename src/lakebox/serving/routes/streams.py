"""The streams' live view over HTTP: `GET /api/streams` (each declared stream with its intake,
key, windows, its worker's status and its open alerts), `GET /api/streams/{name}/windows`
(one key's latest closed windows from `exploitation.<stream>_<window>`, and its open ones
from the worker's status) and `GET /api/streams/{name}/live` (the same, pushed every second
as server-sent events until the client leaves or the stream's lifetime ends).

A user sees the streams whose window tables they may all read, and their open alerts only
with a grant of all of ops.alerts; a key's windows need a grant of all of the window's table
(its open windows come as the worker holds them, where no mask or row filter applies); its
closed windows are read as the user's own SQL would read them."""

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

from lakebox.access.principal import Principal
from lakebox.ground.json import json_ready
from lakebox.lakehouse import Lakehouse
from lakebox.monitoring.ledger import ALERTS, AlertRecord
from lakebox.serving.dependencies import LakehouseDep, QueriesDep
from lakebox.serving.grants import require_whole, sees_whole
from lakebox.serving.queries import QueryService
from lakebox.stream.follower import Follower
from lakebox.stream.status import StreamStatus, read_status
from lakebox.stream.tables import window_ref
from lakebox.stream.view import (
    KeyView,
    QueryRunner,
    Rows,
    alert_fields,
    known_stream,
    open_alerts,
    status_fields,
    window_infos,
)

router = APIRouter(tags=["streams"])
MAX_WINDOWS = 1_000
LIVE_SECONDS = 600.0  # a live answer ends then; the browser's EventSource opens a new one
TICK_SECONDS = 1.0
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

    @classmethod
    def of(cls, status: StreamStatus) -> StreamState:
        """Return the model of a status (its counters and times, not its open windows)."""
        return cls.model_validate(status_fields(status))


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
    return summaries(lh, queries)


def summaries(lh: Lakehouse, queries: QueryService | None = None) -> list[StreamSummary]:
    """Return every declared stream's summary, with its open alerts; given the user's
    `queries`, only the streams whose window tables they may read, and the alerts only if
    they read all of ops.alerts."""
    names = sorted(lh.config.streams)
    alerts = open_alerts(lh)
    if queries is not None:
        names = [name for name in names if _visible(lh, queries.principal, name)]
        alerts = alerts if sees_whole(queries, ALERTS) else {}
    return [summary(lh, name, alerts.get(name, [])) for name in names]


def _visible(lh: Lakehouse, principal: Principal, name: str) -> bool:
    """Whether `principal` may read every window table of stream `name`."""
    refs = [window_ref(name, window) for window in lh.config.streams[name].windows]
    return all(principal.may_read_table(ref.zone, ref.name) for ref in refs)


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
        alerts=[OpenAlert.model_validate(alert_fields(record)) for record in alerts],
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
    require_whole(queries, window_ref(name, view.window))
    status = view.status(lh)
    return KeyWindows(
        stream=name,
        window=view.window,
        key=view.key,
        columns=view.columns,
        closed=json_ready(view.closed(lh, reader_query(queries), limit)),
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
    await run_in_threadpool(require_whole, queries, window_ref(name, view.window))
    follower = Follower(lh, view, reader_query(queries), limit)
    return EventSourceResponse(_events(request, follower), headers=SSE_HEADERS)


async def _events(request: Request, follower: Follower) -> AsyncIterator[bytes]:
    """Yield the follower's events every second for at most `LIVE_SECONDS`, then an `end`
    event (the browser reconnects after `RECONNECT_MS`). A client that leaves ends it at
    once: the streaming answer, which listens for the disconnect, cancels it."""
    answers = live_answers(request)
    answers.add(follower)
    try:
        ends = time.monotonic() + LIVE_SECONDS
        while time.monotonic() < ends:
            name, payload = await run_in_threadpool(follower.next)
            yield _event(name, payload, RECONNECT_MS if follower.ticks == 1 else None)
            await asyncio.sleep(TICK_SECONDS)
        yield _event("end", {"reason": f"a live answer lasts at most {LIVE_SECONDS:g} s"})
    finally:
        answers.discard(follower)


def live_answers(request: Request) -> set[Follower]:
    """Return the followers of the app's live answers being sent now."""
    answers: set[Follower] = request.app.state.live_answers
    return answers


def reader_query(queries: QueryService) -> QueryRunner:
    """Return a query runner for the stream readers: read-only SQL on the reader engine,
    its parameters bound, within the app's query limits, as the user's own SQL (their
    grants, masks and row filters apply; no ability needed)."""

    def run(sql: str, parameters: dict[str, object], limit: int) -> Rows:
        return queries.run(
            sql, limit, parameters=parameters, ability=None, action="read table"
        ).rows()

    return run


def _event(name: str, payload: dict[str, Any], retry: int | None = None) -> bytes:
    data = json.dumps(json_ready(payload), separators=(",", ":"))
    return format_sse_event(data_str=data, event=name, retry=retry)
