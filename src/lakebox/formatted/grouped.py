"""Many landed files of one source formatted in one pass.

The pending CSV, TSV and NDJSON objects of a `files` source (a stream's flushes among them)
are probed one by one, and those of one shape are read by one DuckDB scan over all of their
files, their schema inferred (or checked against the frozen one) once, their values typed and
checked once (`group_stage`). The rows of every object with no refused record and no record
a check or a typed guard sends to the text rules are committed together: one snapshot per
table, whose properties list every batch id it holds. Each record keeps its object, batch id
and line.

Any other object is formatted alone by the per-object path (`one`), in its place in the
order: the group's commit is cut around it, so the latest batch's row of a key stays the
latest. Its rows, reasons and accounting are the per-object path's own, and a failure is
recorded against it alone. Row accounting stays exact per object: rows read = formatted +
duplicate (+ quarantined, none in a group's commit).

A crash between a group's commit and its manifest update leaves batches the table holds and
the manifest calls landed: the next run counts them again and commits nothing for them, as
the per-object path does, so every batch's rows are in the table exactly once.
"""

from __future__ import annotations

import json
import logging
import shutil
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from datetime import datetime
from pathlib import Path

from lakebox.catalog import ABSENT_PROPERTY, TableRef
from lakebox.catalog.manifest import Entry, Status
from lakebox.catalog.versions import TableVersion
from lakebox.config import SourceConfig
from lakebox.formatted import group_stage, lineage, staging
from lakebox.formatted.group_stage import OBJECT, Member, Staged, members_table
from lakebox.formatted.lines import TempNames
from lakebox.formatted.readers import csv
from lakebox.formatted.readers.base import RawInput, format_of, read_settings
from lakebox.formatted.results import Counts, FormatResult
from lakebox.ground.clock import now
from lakebox.ground.reporter import NULL_REPORTER, Reporter
from lakebox.ground.sql import quote_identifier, quote_literal
from lakebox.lakehouse import Lakehouse
from lakebox.tables import commit_batches

logger = logging.getLogger(__name__)
MAX_OBJECTS = 5_000  # objects formatted in one pass at the most
MAX_BYTES = 1024 * 1024 * 1024  # and bytes: a pass's scratch files and memory stay bounded
One = Callable[[Entry], FormatResult]


def format_all(
    lh: Lakehouse,
    source_name: str,
    pending: list[Entry],
    one: One,
    reporter: Reporter = NULL_REPORTER,
) -> list[FormatResult]:
    """Format `pending` (oldest first): objects of a shared shape in one pass each, every
    other one by `one`; return a result per object, in the order of `pending`."""
    source = lh.source(source_name)
    found: dict[str, FormatResult] = {}
    for part in _parts(source, pending):
        if len(part) == 1:
            results = [one(part[0])]
        else:
            results = _format_chunk(lh, source_name, source, part, one)
        found |= {result.batch_id: result for result in results}
        reporter.progress("format", source_name, len(found), len(pending))
    return [found[entry.batch_id] for entry in pending if entry.batch_id in found]


def _parts(source: SourceConfig, pending: list[Entry]) -> Iterator[list[Entry]]:
    """Yield the pending objects in order: runs of objects that may share a pass (bounded
    by MAX_OBJECTS and MAX_BYTES), and every other object alone."""
    run: list[Entry] = []
    size = 0
    for entry in pending:
        if not _candidate(entry, source):
            yield from ([run] if run else [])
            yield [entry]
            run, size = [], 0
            continue
        if run and (len(run) >= MAX_OBJECTS or size + entry.bytes > MAX_BYTES):
            yield run
            run, size = [], 0
        run.append(entry)
        size += entry.bytes
    yield from ([run] if run else [])


def _candidate(entry: Entry, source: SourceConfig) -> bool:
    """Return whether `entry` may be formatted with others: a landed CSV, TSV or NDJSON file
    (a stream's flushes land NDJSON) of a source whose batches neither replace the table nor
    carry a pull's state (a pull lands one object, formatted in one commit, anyway)."""
    if entry.status != Status.LANDED or not entry.landed_path:
        return False
    if source.pulled or source.replaces or source.kind != "files":
        return False
    try:
        return format_of(Path(entry.landed_path), source) in group_stage.FORMATS
    except Exception:  # an unknown extension: the per-object path records why
        return False


def _format_chunk(
    lh: Lakehouse, source_name: str, source: SourceConfig, chunk: list[Entry], one: One
) -> list[FormatResult]:
    """Probe the objects of `chunk` and format each group of one shape in one pass, in the
    order of `chunk` (keyed: only neighbours share a pass, so a later batch's key wins)."""
    work = lh.scratch_dir / f"group-{chunk[0].batch_id}"
    work.mkdir(parents=True, exist_ok=True)
    results: list[FormatResult] = []
    try:
        with ExitStack() as stack:
            seen: csv.Sniffed = {}
            probed = [
                group_stage.probe(lh, source, entry, (position, seen), work, stack)
                for position, entry in enumerate(chunk)
            ]
            for group in _groups(probed, keyed=bool(source.key)):
                if isinstance(group, Entry):
                    results.append(one(group))
                elif len(group) == 1:
                    results.append(one(group[0].entry))
                else:
                    results += _format_group(lh, source_name, source, group, one, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return results


def _groups(probed: list[Member | Entry], keyed: bool) -> list[Entry | list[Member]]:
    """Return the parts of `probed` in order: members of one shape together (keyed: only
    neighbours), and every entry alone."""
    parts: list[Entry | list[Member]] = []
    by_shape: dict[tuple[object, ...], list[Member]] = {}
    for item in probed:
        if isinstance(item, Entry):
            parts.append(item)
            continue
        last = parts[-1] if parts else None
        if keyed:
            if isinstance(last, list) and last[0].shape == item.shape:
                last.append(item)
            else:
                parts.append([item])
        elif item.shape in by_shape:
            by_shape[item.shape].append(item)
        else:
            by_shape[item.shape] = [item]
            parts.append(by_shape[item.shape])
    return parts


def _format_group(
    lh: Lakehouse,
    source_name: str,
    source: SourceConfig,
    members: list[Member],
    one: One,
    work: Path,
) -> list[FormatResult]:
    """Format `members` (of one shape) in one pass; see the module's docstring."""
    names = TempNames.next()
    try:
        try:
            staged = group_stage.stage(lh, source_name, source, members, names, work)
        except Exception as error:  # each object then fails, or not, on its own
            logger.info("%s: formatted one object at a time: %s", source_name, error)
            staged = None
        if staged is None:
            return [one(member.entry) for member in members]
        return _commit_in_order(lh, source_name, source, members, staged, names, one)
    finally:
        names.drop(lh.engine)
        lh.engine.execute(f"DROP TABLE IF EXISTS {members_table(names)}")


def _commit_in_order(
    lh: Lakehouse,
    source_name: str,
    source: SourceConfig,
    members: list[Member],
    staged: Staged,
    names: TempNames,
    one: One,
) -> list[FormatResult]:
    """Commit the clean objects and have `one` format the others. Appended (no key): the clean
    ones in one commit, then the others. Keyed: in runs cut around the others, formatted in
    their place so a later batch's key still wins; once formatting one alone changed the
    table's schema, the rest go alone too."""
    results: list[FormatResult] = []
    run: list[Member] = []
    ref = TableRef("formatted", source_name)
    alone = False

    def commit(run: list[Member]) -> list[FormatResult]:
        try:
            return _commit_run(lh, source_name, source, run, staged, names)
        except Exception as error:  # each object is then tried, and recorded, on its own
            logger.warning("%s: a group's commit failed: %s", source_name, error)
            return [one(member.entry) for member in run]

    if not source.key:  # appended rows: the clean objects in one commit, then the others
        clean = [member for member in members if str(member.parsed) not in staged.alone]
        others = [member for member in members if str(member.parsed) in staged.alone]
        return commit(clean) + [one(member.entry) for member in others]
    for member in members:
        if alone or str(member.parsed) in staged.alone:
            results += commit(run)
            run = []
            before = _schema_of(lh, ref)
            results.append(one(member.entry))
            alone = alone or _schema_of(lh, ref) != before
        else:
            run.append(member)
    return results + commit(run)


def _schema_of(lh: Lakehouse, ref: TableRef) -> object:
    table = lh.catalog.load(ref)
    return table.schema().as_arrow() if table is not None else None


def _commit_run(
    lh: Lakehouse,
    source_name: str,
    source: SourceConfig,
    run: list[Member],
    staged: Staged,
    names: TempNames,
) -> list[FormatResult]:
    """Commit the rows of the clean objects of `run` in one snapshot (those the table holds
    already, after a crash, are counted and not committed again), then record them all in
    the manifest in one transaction."""
    if not run:
        return []
    ref = TableRef("formatted", source_name)
    table = lh.catalog.load(ref)
    held = lh.catalog.batches(table) if table is not None else set()
    fresh = [member for member in run if member.entry.batch_id not in held]
    stamp = now()
    versions: list[TableVersion] = []
    if fresh:
        target = _scratch_file(lh, names, "formatted")
        properties = {"lakebox.source": source_name, ABSENT_PROPERTY: json.dumps(staged.absent)}
        batch_ids = [member.entry.batch_id for member in fresh]
        try:
            rows = _rows(source, fresh, staged, names, stamp.isoformat())
            lh.engine.copy_to_parquet(rows, target)
            commit_batches(lh, ref, target, batch_ids, properties, source.key)
        finally:
            target.unlink(missing_ok=True)  # the commit moved it into the table
        versions = lineage.group_versions(lh, ref, [m.entry for m in fresh], source)
    # also when a crash came between the formatted commit and this one: a rerun makes it
    versions += _quarantine_table(lh, source_name, source, run, names, stamp.isoformat())
    lh.manifest.update_each({m.entry.batch_id: _recorded(m, staged, source, stamp) for m in run})
    return [
        FormatResult(
            member.entry.batch_id,
            source_name,
            Status.FORMATTED,
            staged.counts.get(str(member.parsed), Counts()),
            versions=versions if member is (fresh or run)[0] else [],
        )
        for member in run
    ]


def _scratch_file(lh: Lakehouse, names: TempNames, zone: str) -> Path:
    """Return a scratch Parquet file for one commit of a group."""
    path = lh.scratch_dir / f"{names.raw}-{zone}-{now().strftime('%H%M%S%f')}.parquet"
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def _rows(
    source: SourceConfig, run: list[Member], staged: Staged, names: TempNames, stamp: str
) -> str:
    """Return the SELECT of the formatted rows of the objects of `run`, with their meta
    columns; keyed, the row of a key's latest object only (a merge keeps the latest)."""
    outputs = ", ".join(f"s.{quote_identifier(name)}" for name in staged.columns)
    places = ", ".join(str(member.position) for member in run)
    select = (
        f"SELECT {outputs}, m._batch_id, m._source_file, s._line AS _source_line, "
        f"{quote_literal(stamp)}::TIMESTAMPTZ AS _ingested_at FROM {names.staged} s JOIN "
        f"{members_table(names)} m USING ({OBJECT}) WHERE m._position IN ({places}) AND "
        f"s._ordinal NOT IN (SELECT _ordinal FROM {names.dropped})"
    )
    if not source.key:
        return select
    key = ", ".join(f"s.{quote_identifier(name)}" for name in source.key)
    return f"{select} QUALIFY row_number() OVER (PARTITION BY {key} ORDER BY m._position DESC) = 1"


def _quarantine_table(
    lh: Lakehouse,
    source_name: str,
    source: SourceConfig,
    run: list[Member],
    names: TempNames,
    stamp: str,
) -> list[TableVersion]:
    """Create the source's quarantine table when it has none yet (the objects of `run` put
    no row in it), as the per-object path's first commit (or its rerun) does; return the
    version it made."""
    ref = TableRef("quarantine", source_name)
    if lh.catalog.load(ref) is not None:
        return []
    meta = staging.meta_columns("", "", stamp)
    empty = (
        f"SELECT {meta}, NULL::VARCHAR AS _column, NULL::VARCHAR AS _reason, NULL::VARCHAR AS "
        f"_raw FROM (SELECT NULL::BIGINT AS _line) WHERE false"
    )
    target = _scratch_file(lh, names, "quarantine")
    batch_ids = [member.entry.batch_id for member in run]
    try:
        lh.engine.copy_to_parquet(empty, target)
        commit_batches(lh, ref, target, batch_ids, {"lakebox.source": source_name})
    finally:
        target.unlink(missing_ok=True)
    return lineage.group_versions(lh, ref, [m.entry for m in run], source)


def _recorded(
    member: Member, staged: Staged, source: SourceConfig, stamp: datetime
) -> dict[str, object]:
    """Return the manifest fields of a clean object formatted in a group."""
    counts = staged.counts.get(str(member.parsed), Counts())
    raw = RawInput("", [], read_with=member.read_with, detected=member.detected)
    settings = read_settings(raw, member.local, source)
    return {
        "status": Status.FORMATTED,
        "error": None,
        "formatted_at": stamp,
        "attempts": (member.entry.attempts or 0) + 1,
        "failed_with": None,
        "read_with": json.dumps(settings, sort_keys=True),
        **vars(counts),
    }
