"""Moves collected objects into the persistent landing zone and records them in the manifest.

The order of steps makes a crash at any point safe to re-run: an entry is recorded as
`landing` before its bytes are moved, and `recover` settles such entries on the next run.
"""

from __future__ import annotations

import hashlib
import logging
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from lakebox.catalog import TableRef
from lakebox.catalog.manifest import Entry, Status
from lakebox.errors import LakeboxError
from lakebox.ground.clock import new_batch_id, now
from lakebox.ground.reporter import NULL_REPORTER, Reporter
from lakebox.lakehouse import LANDING_PREFIX, Lakehouse
from lakebox.landing import state
from lakebox.landing.object_names import landed_name, stored_path
from lakebox.landing.sources import kind_for
from lakebox.landing.sources.base import Candidate, Fetched, SourceContext
from lakebox.landing.state import Window

logger = logging.getLogger(__name__)
_CHUNK = 4 * 1024 * 1024


@dataclass(frozen=True)
class NotLanded:
    """An object a source offered that was not landed, and why (it may land on a later run)."""

    object: str
    reason: str


@dataclass
class LandingReport:
    """What one landing pass did for one source."""

    source: str
    landed: list[Entry] = field(default_factory=list)
    duplicates: list[Entry] = field(default_factory=list)
    unchanged: int = 0  # files seen before, or pulls that found nothing new
    superseded: list[Entry] = field(default_factory=list)
    error: str | None = None  # the source could not be collected (the run goes on)
    not_landed: list[NotLanded] = field(default_factory=list)  # skipped, refused or failed


def land(
    lh: Lakehouse,
    source_name: str,
    reporter: Reporter = NULL_REPORTER,
    window: Window | None = None,
) -> LandingReport:
    """Collect the new objects of `source_name` and land each one exactly once.

    With a `window` (see `landing.backfill`), pull only the rows whose cursor is in it: the
    batch is marked as a backfill and carries no cursor, so the saved state does not move,
    and batches an earlier pull left uncommitted are left for formatting, not superseded."""
    source = lh.source(source_name)
    report = LandingReport(source_name)
    report.not_landed += recover(lh, source_name)
    start = None
    if source.pulled and window is None:
        report.superseded = _supersede_uncommitted(lh, source_name)
        start = state.start(lh, source_name, source.incremental) if source.incremental else None
    kind = kind_for(SourceContext(source_name, source, lh, start, window))
    seen = _seen(lh, source_name)
    candidates = list(kind.candidates())
    for done, candidate in enumerate(candidates, start=1):
        if candidate.skip is not None:
            _not_landed(report, stored_path(candidate.original_path), candidate.skip)
        elif not candidate.pulled and _fingerprint(candidate) in seen:
            report.unchanged += 1
        elif candidate.pulled:  # a pull's failure is the source's: it stops the pull
            _land_one(lh, source_name, candidate, kind.fetch, report, window)
        else:
            _land_alone(lh, source_name, candidate, kind.fetch, report)
        reporter.progress("land", source_name, done, len(candidates))
    return report


def recover(lh: Lakehouse, source_name: str, batches: str | None = None) -> list[NotLanded]:
    """Settle entries a crashed run left in `landing`: keep what was moved, forget the rest
    (its source offers it again). An entry whose object cannot even be checked (a name the
    storage refuses) is forgotten too, and returned with the reason, so it never stops a run.
    With `batches` (a batch id prefix: one stream partition's flushes), only those, and the
    source's staging folder is left alone (other workers may be staging there)."""
    dropped = []
    for entry in lh.manifest.entries(source_name, Status.LANDING):
        if batches is not None and not entry.batch_id.startswith(batches):
            continue
        try:
            moved = bool(entry.landed_path) and lh.storage.exists(entry.landed_path or "")
        except (LakeboxError, OSError, ValueError) as error:
            reason = f"landing never completed; cannot check {entry.landed_path}: {error}"
            dropped.append(NotLanded(entry.original_path, reason))
            logger.warning("%s: batch %s %s", source_name, entry.batch_id, reason)
            moved = False
        if moved:
            lh.manifest.update(entry.batch_id, status=Status.LANDED)
            logger.info("recovered landed object %s", entry.landed_path)
        else:
            lh.manifest.delete(entry.batch_id)
    if batches is None:
        shutil.rmtree(lh.temporal_dir / source_name, ignore_errors=True)
    return dropped


def _not_landed(report: LandingReport, name: str, reason: str) -> None:
    report.not_landed.append(NotLanded(name, reason))
    logger.warning("%s: %s not landed: %s", report.source, name, reason)


def _land_alone(
    lh: Lakehouse,
    source_name: str,
    candidate: Candidate,
    fetch: Callable[[Candidate, Path], Fetched],
    report: LandingReport,
) -> None:
    """Land one file; a failure is recorded against it and the other files go on. Its entry,
    if one was recorded, is forgotten: the file is offered again on the next run."""
    try:
        _land_one(lh, source_name, candidate, fetch, report)
    except (LakeboxError, OSError, ValueError) as error:
        _not_landed(report, stored_path(candidate.original_path), str(error))
        for entry in lh.manifest.entries(source_name, Status.LANDING):
            if entry.original_path == stored_path(candidate.original_path):
                lh.manifest.delete(entry.batch_id)


def _supersede_uncommitted(lh: Lakehouse, source_name: str) -> list[Entry]:
    """Mark a pulled source's landed batches that never reached a table as superseded: the
    next pull starts from the committed state, so it reads their rows again."""
    pending = lh.manifest.entries(source_name, (Status.LANDED, Status.FAILED))
    if not pending:
        return []
    committed = set()
    for zone in ("formatted", "quarantine"):
        table = lh.catalog.load(TableRef(zone, source_name))
        committed |= lh.catalog.batches(table) if table is not None else set()
    superseded = [entry for entry in pending if entry.batch_id not in committed]
    for entry in superseded:
        reason = "never committed; " + (
            "backfill its window again" if entry.backfill else "the next pull reads its rows again"
        )
        lh.manifest.update(entry.batch_id, status=Status.SUPERSEDED, error=reason)
        logger.warning("%s: batch %s %s", source_name, entry.batch_id, reason)
    return superseded


def landed_path(source_name: str, batch_id: str, name: str, moment: datetime) -> str:
    """Return where an object lands: landing/<source>/<yyyy>/<mm>/<dd>/<batch>__<name>."""
    return f"{LANDING_PREFIX}/{source_name}/{moment:%Y/%m/%d}/{batch_id}__{name}"


def sha256_of(path: Path) -> str:
    """Return the hex SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _land_one(
    lh: Lakehouse,
    source_name: str,
    candidate: Candidate,
    fetch: Callable[[Candidate, Path], Fetched],
    report: LandingReport,
    window: Window | None = None,
) -> None:
    received = now()
    batch_id = new_batch_id(received)
    staged = lh.temporal_dir / source_name / batch_id / landed_name(candidate.name)
    staged.parent.mkdir(parents=True, exist_ok=True)
    try:
        _stage(lh, source_name, candidate, staged, batch_id, received, fetch, report, window)
    finally:
        shutil.rmtree(staged.parent, ignore_errors=True)


def _stage(
    lh: Lakehouse,
    source_name: str,
    candidate: Candidate,
    staged: Path,
    batch_id: str,
    received: datetime,
    fetch: Callable[[Candidate, Path], Fetched],
    report: LandingReport,
    window: Window | None,
) -> None:
    fetched = fetch(candidate, staged)
    if fetched.unsettled is not None:
        _not_landed(report, stored_path(candidate.original_path), fetched.unsettled)
    elif fetched.rows == 0:
        report.unchanged += 1
        logger.info("%s: nothing new at %s", source_name, candidate.original_path)
    else:
        entry = _entry(source_name, candidate, staged, batch_id, received, fetched)
        if window is not None:
            # no cursor: the formatted commit then carries none, and the state stays put
            entry.cursor, entry.backfill = None, window.to_json()
        first = lh.manifest.find_landed(source_name, entry.sha256)
        if first is not None:
            _record_duplicate(lh, entry, first, report)
        else:
            _move_into_place(lh, entry, staged, report)
    if fetched.partial:  # landed, yet the source is not fully collected: say so
        report.error = fetched.partial


def _entry(
    source_name: str,
    candidate: Candidate,
    staged: Path,
    batch_id: str,
    received: datetime,
    fetched: Fetched,
) -> Entry:
    return Entry(
        batch_id=batch_id,
        source=source_name,
        original_path=stored_path(candidate.original_path),
        sha256=sha256_of(staged),
        bytes=staged.stat().st_size,
        received_at=received,
        status=Status.LANDING,
        landed_path=landed_path(source_name, batch_id, staged.name, received),
        modified_at=candidate.modified_at,
        cursor=fetched.cursor.to_json() if fetched.cursor else None,
        http_status=fetched.http_status,
        pages=fetched.pages,
        final_url=fetched.final_url,
    )


def _record_duplicate(lh: Lakehouse, entry: Entry, first: Entry, report: LandingReport) -> None:
    entry.status = Status.DUPLICATE
    entry.landed_path = first.landed_path
    entry.error = f"same bytes as batch {first.batch_id}"
    lh.manifest.add(entry)
    report.duplicates.append(entry)
    logger.info("%s: same bytes as %s, recorded as a sighting", entry.original_path, first.batch_id)


def _move_into_place(lh: Lakehouse, entry: Entry, staged: Path, report: LandingReport) -> None:
    lh.manifest.add(entry)
    assert entry.landed_path is not None
    lh.storage.put(staged, entry.landed_path, move=True)
    lh.manifest.update(entry.batch_id, status=Status.LANDED)
    entry.status = Status.LANDED
    report.landed.append(entry)


def _seen(lh: Lakehouse, source_name: str) -> set[tuple[str, int, datetime | None]]:
    return {
        (entry.original_path, entry.bytes, entry.modified_at)
        for entry in lh.manifest.entries(source_name)
    }


def _fingerprint(candidate: Candidate) -> tuple[str, int, datetime | None]:
    return (stored_path(candidate.original_path), candidate.bytes, candidate.modified_at)
