"""Portals: statements bound and started, whose rows go to the client all at once, or a number
at a time with PortalSuspended in between (the extended protocol's Execute with a limit)."""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from lakebox.serving.pgwire import messages as m
from lakebox.serving.pgwire.results import Outcome, ResultEncoder

if TYPE_CHECKING:
    from lakebox.serving.pgwire.session import Session


@dataclass
class Portal:
    """A bound statement: its runnable SQL, result formats and, once started, its outcome."""

    sql: str
    formats: list[int]
    outcome: Outcome | None = None
    encoder: ResultEncoder | None = None
    rows_sent: int = 0
    pending: Iterator[bytes] | None = field(default=None, repr=False)
    suspended: bool = False

    def buffer(self) -> None:
        """Read the rest of a suspended portal's rows into memory (at most the row limit), so
        that the session's engine connection can run another statement."""
        if self.suspended and self.outcome is not None:
            self.outcome.batches = iter(list(self.outcome.batches))

    def close(self) -> None:
        """Drop the rows not sent yet (and stop the query's timer)."""
        if self.outcome is not None and self.outcome.stream is not None:
            self.outcome.stream.close()


def stream(portal: Portal, limit: int, session: Session, send: Callable[[bytes], None]) -> None:
    """Send a portal's rows (all, or `limit` and then PortalSuspended) and its tag."""
    assert portal.outcome is not None
    outcome = portal.outcome
    if portal.encoder is None:
        send(m.command_complete(outcome.tag))
        return
    if portal.pending is None:
        portal.pending = _rows(portal, split=limit > 0)
    for sent, rows in enumerate(portal.pending, start=1):
        send(rows)
        if limit and sent >= limit:
            portal.suspended = True
            send(m.PORTAL_SUSPENDED)
            return
    portal.suspended = False
    session.running = None
    if outcome.stream is not None and outcome.stream.notice:
        send(m.notice_response(outcome.stream.notice))
    counted = outcome.tag in ("SELECT", "FETCH")
    tag = f"{outcome.tag} {portal.rows_sent}" if counted else outcome.tag
    send(m.command_complete(tag))


def _rows(portal: Portal, split: bool) -> Iterator[bytes]:
    """Yield one DataRow at a time when the client asked for a row count, else batches."""
    assert portal.outcome is not None and portal.encoder is not None
    while (batch := next(portal.outcome.batches, None)) is not None:
        portal.rows_sent += batch.num_rows
        data = portal.encoder.encode(batch)
        if not data:
            continue
        yield from _split_rows(data) if split else (data,)


def _split_rows(data: bytes) -> Iterator[bytes]:
    at = 0
    while at < len(data):
        (length,) = struct.unpack_from("!i", data, at + 1)
        yield data[at : at + 1 + length]
        at += 1 + length
