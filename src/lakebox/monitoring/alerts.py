"""Alerts: one message per new incident and one when it clears, de-duplicated in ops.alerts.

`evaluate` compares the incidents present now with the alerts stored in `ops.alerts`: a new
incident opens an alert, an open alert whose incident is gone is resolved, and every alert is
sent to each configured channel that has not yet been told of its current status. A channel
that fails keeps its error in `last_error` and is tried again by the next evaluation. One
evaluation at a time per project (a file lock), so two processes never send the same alert.
"""

from __future__ import annotations

import fcntl
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime

from lakebox.lakehouse import Lakehouse
from lakebox.monitoring import ledger, notify
from lakebox.monitoring.incidents import Incident, gather
from lakebox.monitoring.ledger import AlertRecord

logger = logging.getLogger(__name__)
LOCK_FILE = "alerts.lock"
# Kinds whose incidents are opened and resolved by their own watcher through `record`.
SELF_WATCHED = ("streams",)


@dataclass
class AlertReport:
    """What one evaluation did: alerts opened, resolved and still open, and failed deliveries."""

    opened: list[AlertRecord] = field(default_factory=list)
    resolved: list[AlertRecord] = field(default_factory=list)
    still_open: list[AlertRecord] = field(default_factory=list)
    failures: list[tuple[str, str]] = field(default_factory=list)  # (incident id, error)

    @property
    def ok(self) -> bool:
        """Return whether every due message was delivered."""
        return not self.failures


def evaluate(lh: Lakehouse, dry_run: bool = False, now: datetime | None = None) -> AlertReport:
    """Return what changed since the last evaluation, after sending and storing it (with
    `dry_run`, nothing is sent or stored)."""
    moment = now or datetime.now(UTC)
    notify.check_channels(lh.config.alerts.channels)
    with _one_at_a_time(lh):
        records = ledger.load(lh)
        stored = len(records)
        report = _reconcile(records, gather(lh, moment), moment)
        if dry_run:
            return report
        channels = lh.config.alerts.channels
        due = [record for record in records.values() if channels and record.notified_at is None]
        for record in due:
            _deliver(channels, record, moment, report)
        if due or report.opened or report.resolved or len(records) != stored:
            ledger.save(lh, records)
    return report


def record_changes(
    lh: Lakehouse,
    changes: list[tuple[Incident, bool]],
    now: datetime | None = None,
    cache: ledger.LedgerCache | None = None,
) -> AlertReport:
    """Store and send incidents opened (True) and resolved (False) by their own watcher, in
    order: a stream's rules, whose incidents `evaluate` leaves alone. Each change is sent
    before the next is applied, so an incident opened and resolved at once is still told
    twice. Applying a change again (after a restart) does nothing."""
    moment = now or datetime.now(UTC)
    report = AlertReport()
    told = "streams" in lh.config.alerts.on
    channels = lh.config.alerts.channels if told else []
    with _one_at_a_time(lh):
        records = ledger.load_cached(lh, cache)
        changed = False
        for incident, opened in changes:
            current = records.get(incident.incident_id)
            if opened and current is None:
                records[incident.incident_id] = _opened(incident, moment)
                report.opened.append(records[incident.incident_id])
            elif not opened and current is not None and current.status == "open":
                _mark_resolved(current, moment, report)
            else:
                continue
            changed = True
            if channels:
                _deliver(channels, records[incident.incident_id], moment, report)
        if changed:
            ledger.save_cached(lh, records, cache)
    return report


def _reconcile(
    records: dict[str, AlertRecord], incidents: list[Incident], now: datetime
) -> AlertReport:
    """Open alerts for new incidents and resolve those gone, in `records`; return the report."""
    report = AlertReport()
    present = {incident.incident_id: incident for incident in incidents}
    for incident_id, incident in present.items():
        record = records.get(incident_id)
        if record is None or record.status == "resolved":
            records[incident_id] = _opened(incident, now)
            report.opened.append(records[incident_id])
        else:
            report.still_open.append(record)
    for incident_id, record in list(records.items()):
        watched = record.kind in SELF_WATCHED
        if record.status == "open" and incident_id not in present and not watched:
            _resolve(records, record, now, report)
    return report


def _opened(incident: Incident, now: datetime) -> AlertRecord:
    return AlertRecord(
        incident.incident_id,
        incident.kind,
        incident.source,
        incident.subject,
        incident.severity,
        "open",
        now,
    )


def _resolve(
    records: dict[str, AlertRecord], record: AlertRecord, now: datetime, report: AlertReport
) -> None:
    """Mark `record` resolved; one that was never announced is forgotten instead."""
    if not record.channels:
        del records[record.incident_id]
        return
    _mark_resolved(record, now, report)


def _mark_resolved(record: AlertRecord, now: datetime, report: AlertReport) -> None:
    """Mark `record` resolved, its channels yet to be told so."""
    record.status, record.resolved_at = "resolved", now
    record.channels, record.notified_at, record.last_error = [], None, None
    report.resolved.append(record)


def _deliver(channels: list[str], record: AlertRecord, now: datetime, report: AlertReport) -> None:
    """Send `record`'s current status to each channel not told yet; note what failed."""
    errors = []
    for url in channels:
        if notify.channel_id(url) in record.channels:
            continue
        error = notify.send(url, *_message(record), resolved=record.status == "resolved")
        if error is None:
            record.channels.append(notify.channel_id(url))
        else:
            errors.append(error)
            report.failures.append((record.incident_id, error))
    if errors:
        record.last_error = "; ".join(errors)
    elif channels and record.notified_at is None:
        record.notified_at, record.last_error = now, None


def _message(record: AlertRecord) -> tuple[str, str]:
    """Return the title and body of the message announcing `record`'s status."""
    if record.status == "resolved":
        title = f"[lakebox] resolved: {record.subject}"
    else:
        title = f"[lakebox] {record.severity}: {record.subject}"
    body = (
        f"{record.subject}\n\nkind: {record.kind}\nsource: {record.source}\n"
        f"severity: {record.severity}\nincident: {record.incident_id}\n"
        f"opened at: {record.opened_at:%Y-%m-%d %H:%M:%S} UTC"
    )
    if record.resolved_at is not None:
        body += f"\nresolved at: {record.resolved_at:%Y-%m-%d %H:%M:%S} UTC"
    return title, body


@contextmanager
def _one_at_a_time(lh: Lakehouse) -> Iterator[None]:
    """Hold the project's alerts lock, waiting for another process that holds it."""
    lh.scratch_dir.mkdir(parents=True, exist_ok=True)
    with open(lh.scratch_dir / LOCK_FILE, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
