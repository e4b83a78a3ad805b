"""The HTTP intake's door: `POST /api/streams/{name}/events` with NDJSON
(`application/x-ndjson`) or a JSON array (`application/json`), answered 202 once every
event is in the stream's write-ahead log, with the accepted and refused counts. Sending
events needs the ability `runs` (a device's token is a user's with a role that has it); on a
laptop (no users required) anyone on the machine may send them, as before."""

from __future__ import annotations

import threading
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from lakebox.lakehouse import Lakehouse
from lakebox.serving.dependencies import LakehouseDep, require_ability
from lakebox.stream.intakes.http import HttpIntake

router = APIRouter(tags=["streams"])
_OPENING = threading.Lock()


class EventsAccepted(BaseModel):
    """What the intake did with a request's events."""

    accepted: int
    refused: int
    errors: list[dict[str, Any]] = Field(default_factory=list)
    first_sequence: int | None = None
    last_sequence: int | None = None


@router.post(
    "/api/streams/{name}/events",
    status_code=202,
    response_model=EventsAccepted,
    summary="Send events to a stream (NDJSON or a JSON array); durable before the answer",
    dependencies=[Depends(require_ability("runs"))],
    responses={
        400: {"description": "the body is not NDJSON or a JSON array"},
        404: {"description": "no such stream"},
        409: {"description": "the stream takes its events from another intake"},
        413: {"description": "the body is larger than the server takes"},
    },
)
async def send_events(name: str, request: Request, lh: LakehouseDep) -> EventsAccepted:
    body = await request.body()
    intake = await run_in_threadpool(_intake, request, lh, name)
    accepted = await run_in_threadpool(intake.accept, body)
    return EventsAccepted(**vars(accepted))


def _intake(request: Request, lh: Lakehouse, name: str) -> HttpIntake:
    """Return the app's intake of stream `name`, opened on first use (it holds the log's
    writer lock while the server runs)."""
    intakes: dict[str, HttpIntake] = request.app.state.intakes
    with _OPENING:
        if name not in intakes:
            intakes[name] = HttpIntake(lh, name)
        return intakes[name]
