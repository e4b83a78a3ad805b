"""The time lakebox stamps on its records, and the batch ids made from it.

Every record (a landed batch, a run, a check result) is stamped in UTC through `now`, and a
batch id is that moment written so that ids sort by time, with a random tail so that two
batches of the same microsecond stay apart."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime


def now() -> datetime:
    """Return the current time in UTC."""
    return datetime.now(UTC)


def new_batch_id(moment: datetime) -> str:
    """Return a unique batch id that sorts by time."""
    return f"{moment:%Y%m%dT%H%M%S%f}-{secrets.token_hex(3)}"


def moment_of(text: str) -> datetime:
    """Return ISO time `text` as an aware time, a naive one taken as UTC (a time-travel
    `as_of`); ValueError when it is no ISO time."""
    moment = datetime.fromisoformat(text.strip())
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
