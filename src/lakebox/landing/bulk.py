"""Landing many files at once: copied and hashed in parallel, recorded a chunk at a time.

A chunk of at most CHUNK_FILES files (and CHUNK_BYTES bytes) goes through three steps, so
that a crash at any point leaves a state the next run's `recover` settles, with no object
lost or landed twice:

1. every file is copied into the temporal folder and hashed, WORKERS at a time; nothing is
   recorded yet (a crash leaves only the temporal folder, which `recover` clears);
2. the files whose bytes were never landed (the first of equal bytes in the chunk) are
   recorded as `landing` in one transaction, then moved into the landing zone in parallel
   (a crash leaves `landing` entries: `recover` keeps the moved ones, forgets the rest);
3. one transaction marks the moved ones `landed`, records the sightings of bytes landed
   before (`duplicate`) and forgets the entries whose move failed. A sighting is recorded
   only here, once the bytes it points to are in place: one lost to a crash is simply a
   file offered again, and recorded as a sighting of the recovered object on the next run.

A file that fails (unreadable, changed while it was read, refused by the storage) fails
alone, with its reason, and is offered again on the next run.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from lakebox.catalog.manifest import Entry, Status
from lakebox.errors import LakeboxError
from lakebox.ground.clock import new_batch_id, now
from lakebox.lakehouse import Lakehouse
from lakebox.landing import staging
from lakebox.landing.object_names import landed_name
from lakebox.landing.sources.base import Candidate, Fetched

WORKERS = 8  # files copied, hashed and moved at once (file I/O and hashing release the GIL)
CHUNK_FILES = 1_000  # at most this many files recorded per manifest transaction
CHUNK_BYTES = 512 * 1024 * 1024  # and at most this many bytes staged in the temporal folder

Fetch = Callable[[Candidate, Path], Fetched]
_TICK = timedelta(microseconds=1)


@dataclass
class Outcome:
    """What landing one file came to: an entry (`landed` or `duplicate`), or why it did not
    land (`reason`), or nothing new (`unchanged`)."""

    candidate: Candidate
    entry: Entry | None = None
    reason: str | None = None
    unchanged: bool = False
    staged: Path | None = None  # its copy in the temporal folder, until it is moved
    first: str | None = None  # a sighting's: the batch id of the first copy of its bytes


def land_files(
    lh: Lakehouse,
    source_name: str,
    candidates: list[Candidate],
    fetch: Fetch,
    step: Callable[[], None],
) -> Iterator[Outcome]:
    """Land `candidates` (files to fetch, none skipped or seen before), a chunk at a time;
    yield each file's outcome in the candidates' order, once its chunk is settled. `step` is
    called as each file has been copied and hashed (for progress)."""
    for chunk in _chunks(candidates):
        folder = lh.temporal_dir / source_name / f"bulk-{new_batch_id(now())}"
        folder.mkdir(parents=True)
        try:
            yield from _land_chunk(lh, source_name, chunk, fetch, step, folder)
        finally:
            shutil.rmtree(folder, ignore_errors=True)


def _chunks(candidates: list[Candidate]) -> Iterator[list[Candidate]]:
    """Yield the candidates in chunks of at most CHUNK_FILES files and CHUNK_BYTES bytes (as
    listed; a larger file is a chunk of its own)."""
    chunk: list[Candidate] = []
    size = 0
    for candidate in candidates:
        if chunk and (len(chunk) >= CHUNK_FILES or size + candidate.bytes > CHUNK_BYTES):
            yield chunk
            chunk, size = [], 0
        chunk.append(candidate)
        size += candidate.bytes
    if chunk:
        yield chunk


def _land_chunk(
    lh: Lakehouse,
    source_name: str,
    chunk: list[Candidate],
    fetch: Fetch,
    step: Callable[[], None],
    folder: Path,
) -> list[Outcome]:
    with ThreadPoolExecutor(min(WORKERS, len(chunk)), "lakebox-land") as pool:
        futures = [
            pool.submit(_stage, source_name, one, fetch, folder, moment)
            for one, moment in zip(chunk, _moments(len(chunk)), strict=True)
        ]
        for _ in as_completed(futures):
            step()
        outcomes = [future.result() for future in futures]
        firsts, sightings = _sort_out(lh, source_name, outcomes)
        lh.manifest.add_many([first.entry for first in firsts if first.entry is not None])
        moved = _move_all(lh, pool, firsts)
    failed = {first.entry.batch_id for first in firsts if first.entry and first.reason}
    kept = [sighting for sighting in sightings if not _lost_first(sighting, failed)]
    lh.manifest.settle_landing(
        landed=[first.entry.batch_id for first in moved if first.entry is not None],
        sightings=[sighting.entry for sighting in kept if sighting.entry is not None],
        forgotten=sorted(failed),
    )
    return outcomes


def _moments(count: int) -> list[datetime]:
    """Return `count` receive times, rising, one per file in the order listed: files staged
    in parallel still get batch ids (and are formatted) in that order."""
    moments = [now()]
    for _ in range(count - 1):
        moments.append(max(now(), moments[-1] + _TICK))
    return moments


def _stage(
    source_name: str, candidate: Candidate, fetch: Fetch, folder: Path, received: datetime
) -> Outcome:
    """Copy one file into the temporal folder and hash it (in a worker thread)."""
    batch_id = new_batch_id(received)
    name = landed_name(candidate.name)
    staged = folder / f"{batch_id}__{name}"  # one folder per chunk: a folder each is slow
    try:
        fetched = fetch(candidate, staged)
        if fetched.unsettled is not None:
            return Outcome(candidate, reason=fetched.unsettled)
        if fetched.rows == 0:
            return Outcome(candidate, unchanged=True)
        entry = staging.new_entry(source_name, candidate, staged, batch_id, received, fetched, name)
    except (LakeboxError, OSError, ValueError) as error:
        return Outcome(candidate, reason=str(error))
    return Outcome(candidate, entry=entry, staged=staged)


def _sort_out(
    lh: Lakehouse, source_name: str, outcomes: list[Outcome]
) -> tuple[list[Outcome], list[Outcome]]:
    """Split the staged files into the first of their bytes (to move) and sightings of bytes
    landed before or earlier in the chunk (made `duplicate` entries pointing at the first)."""
    staged = [outcome for outcome in outcomes if outcome.entry is not None]
    hashes = {outcome.entry.sha256 for outcome in staged if outcome.entry is not None}
    known = lh.manifest.find_landed_many(source_name, hashes)
    firsts: list[Outcome] = []
    sightings: list[Outcome] = []
    for outcome in staged:
        entry = outcome.entry
        assert entry is not None
        first = known.get(entry.sha256)
        if first is None:
            known[entry.sha256] = entry
            firsts.append(outcome)
            continue
        entry.status = Status.DUPLICATE
        entry.landed_path = first.landed_path
        entry.error = f"same bytes as batch {first.batch_id}"
        outcome.first = first.batch_id
        sightings.append(outcome)
    return firsts, sightings


def _move_all(lh: Lakehouse, pool: ThreadPoolExecutor, firsts: list[Outcome]) -> list[Outcome]:
    """Move the recorded files into the landing zone in parallel; return those moved (a
    failed one keeps its reason and its entry is forgotten)."""
    futures: dict[Future[None], Outcome] = {
        pool.submit(_move, lh, first): first for first in firsts
    }
    for future, first in futures.items():
        try:
            future.result()
        except (LakeboxError, OSError, ValueError) as error:
            first.reason = str(error)
    return [first for first in firsts if first.reason is None]


def _move(lh: Lakehouse, outcome: Outcome) -> None:
    """Move one staged file into place (in a worker thread)."""
    assert outcome.entry is not None and outcome.entry.landed_path is not None
    assert outcome.staged is not None
    lh.storage.put(outcome.staged, outcome.entry.landed_path, move=True)
    outcome.entry.status = Status.LANDED


def _lost_first(sighting: Outcome, failed: set[str]) -> bool:
    """Return whether a sighting's first copy, in the same chunk, failed to move: the
    sighting is then not recorded (the file is offered again on the next run)."""
    if sighting.first not in failed:
        return False
    sighting.reason = f"the first file with the same bytes did not land (batch {sighting.first})"
    return True
