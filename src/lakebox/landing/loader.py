"""Moves collected objects into the persistent landing zone and records them in the manifest.

The order of steps makes a crash at any point safe to re-run: an entry is recorded as
`landing` before its bytes are moved, and `recover` settles such entries on the next run.
Files are landed in bulk (`landing.bulk`: copied and hashed in parallel, recorded a chunk at
a time, in the same order of steps); a pull lands its one object at a time.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from lakebox.catalog import TableRef
from lakebox.catalog.manifest import Entry, Status
from lakebox.errors import LakeboxError
from lakebox.ground.clock import new_batch_id, now
from lakebox.ground.reporter import NULL_REPORTER, Reporter
from lakebox.lakehouse import Lakehouse
from lakebox.landing import bulk, staging, state
from lakebox.landing.object_names import landed_name, stored_path
from lakebox.landing.sources import kind_for
from lakebox.landing.sources.base import Candidate, Fetched, SourceContext
from lakebox.landing.staging import landed_path, sha256_of
from lakebox.landing.state import Window

if TYPE_CHECKING:
    from lakebox.landing.bulk import Outcome

__all__ = ["LandingReport", "NotLanded", "land", "landed_path", "recover", "sha256_of"]
logger = logging.getLogger(__name__)


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
    done = 0

    def step() -> None:
        nonlocal done
        done += 1
        reporter.progress("land", source_name, done, len(candidates))

    files = []
    for candidate in candidates:
        if candidate.skip is not None:
            _not_landed(report, stored_path(candidate.original_path), candidate.skip)
        elif not candidate.pulled and _fingerprint(candidate) in seen:
            report.unchanged += 1
        elif candidate.pulled:  # a pull's failure is the source's: it stops the pull
            _land_one(lh, source_name, candidate, kind.fetch, report, window)
        else:
            files.append(candidate)
            continue
        step()
    for outcome in bulk.land_files(lh, source_name, files, kind.fetch, step):
        _record(report, outcome)
    return report


def recover(lh: Lakehouse, source_name: str, batches: str | None = None) -> list[NotLanded]:
    """Settle entries a crashed run left in `landing`: keep what was moved, forget the rest
    (its source offers it again). An entry whose object cannot even be checked (a name the
    storage refuses) is forgotten too, and returned with the reason, so it never stops a run.
    With `batches` (a batch id prefix: one stream partition's flushes), only those, and the
    source's staging folder is left alone (other workers may be staging there)."""
    dropped = []
    moved_ids: list[str] = []
    forgotten: list[str] = []
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
            moved_ids.append(entry.batch_id)
            logger.info("recovered landed object %s", entry.landed_path)
        else:
            forgotten.append(entry.batch_id)
            _discard_partial(lh, entry)
    if moved_ids or forgotten:
        lh.manifest.settle_landing(landed=moved_ids, sightings=[], forgotten=forgotten)
    if batches is None:
        shutil.rmtree(lh.temporal_dir / source_name, ignore_errors=True)
    return dropped


def _discard_partial(lh: Lakehouse, entry: Entry) -> None:
    """Remove what a move cut short by the crash left next to where `entry` would land."""
    if entry.landed_path:
        try:
            lh.storage.discard_partial(entry.landed_path)
        except (LakeboxError, OSError, ValueError) as error:
            logger.warning("%s: cannot clear %s: %s", entry.source, entry.landed_path, error)


def _not_landed(report: LandingReport, name: str, reason: str) -> None:
    report.not_landed.append(NotLanded(name, reason))
    logger.warning("%s: %s not landed: %s", report.source, name, reason)


def _record(report: LandingReport, outcome: Outcome) -> None:
    """Add one bulk-landed file's outcome to the report (a failure is logged with it)."""
    entry = outcome.entry
    if outcome.reason is not None:
        _not_landed(report, stored_path(outcome.candidate.original_path), outcome.reason)
    elif outcome.unchanged:
        report.unchanged += 1
    elif entry is not None and entry.status == Status.DUPLICATE:
        report.duplicates.append(entry)
        logger.info("%s: %s, recorded as a sighting", entry.original_path, entry.error)
    elif entry is not None:
        report.landed.append(entry)


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
        entry = staging.new_entry(source_name, candidate, staged, batch_id, received, fetched)
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
    return lh.manifest.sightings(source_name)


def _fingerprint(candidate: Candidate) -> tuple[str, int, datetime | None]:
    return (stored_path(candidate.original_path), candidate.bytes, candidate.modified_at)
