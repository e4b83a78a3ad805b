"""Turns landed objects into formatted rows and quarantined rows, exactly once per batch.

For every file: rows_read = rows_formatted + rows_quarantined + rows_duplicate.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import shutil
from pathlib import Path, PurePosixPath

from lakebox.catalog import ABSENT_PROPERTY, CURSOR_PROPERTY, TableRef
from lakebox.catalog.manifest import Entry, Status
from lakebox.config import SourceConfig
from lakebox.engine import DuckDBEngine
from lakebox.errors import FormatError, LakeboxError, SchemaError
from lakebox.formatted import (
    checks,
    dedup,
    grouped,
    lineage,
    readers,
    schema,
    staging,
    typed_path,
)
from lakebox.formatted.lines import TempNames, number_lines
from lakebox.formatted.readers.base import RawInput, read_settings
from lakebox.formatted.results import Counts, FormatResult
from lakebox.formatted.rules import ColumnPlan
from lakebox.ground.clock import now
from lakebox.ground.reporter import NULL_REPORTER, Reporter
from lakebox.ground.sql import quote_identifier, quote_literal
from lakebox.lakehouse import Lakehouse
from lakebox.tables import commit_batch, remove_batch, replace_batch

logger = logging.getLogger(__name__)
PENDING = (Status.LANDED, Status.FAILED)


def format_pending(
    lh: Lakehouse,
    source_name: str,
    reporter: Reporter = NULL_REPORTER,
    statuses: tuple[str, ...] = PENDING,
    text_path: bool = False,
) -> list[FormatResult]:
    """Format every landed object of `source_name` that is not formatted yet (or those in
    `statuses`), oldest first: landed CSV and TSV files that share a shape together, in one
    pass and one commit (see `grouped`), the others one by one. `text_path`: one by one,
    every value through the text rules (see `format_entry`)."""
    source = lh.source(source_name)
    pending = [entry for entry in lh.manifest.entries(source_name, statuses) if due(entry, source)]
    if not text_path:  # the landed CSV files of a shared shape: in one pass each
        one = functools.partial(format_entry, lh)
        return grouped.format_all(lh, source_name, pending, one, reporter)
    results = []
    for done, entry in enumerate(pending, start=1):
        results.append(format_entry(lh, entry, text_path=text_path))
        reporter.progress("format", source_name, done, len(pending))
    return results


def format_entry(
    lh: Lakehouse, entry: Entry, again: bool | None = None, text_path: bool = False
) -> FormatResult:
    """Format one landed object; a bad file is recorded and the error not raised.

    `again` (by default: when the entry failed before) replaces the rows an earlier attempt
    left in the tables, so a batch's rows are never there twice. Every attempt is counted
    in the manifest, and a failure records what it ran with (`failed_with`).

    A delimited file takes the typed path (`typed_path`) unless `text_path` says otherwise;
    both give the same rows and reasons."""
    source = lh.source(entry.source)
    again = entry.status == Status.FAILED if again is None else again
    retried = entry.status == Status.FAILED
    work = lh.scratch_dir / entry.batch_id
    work.mkdir(parents=True, exist_ok=True)
    attempts = (entry.attempts or 0) + 1
    before = lineage.current_snapshots(lh, entry.source)
    try:
        (counts, status, problem), read_with = _format_file(
            lh, entry, source, work, again, text_path
        )
    except SchemaError:
        lh.manifest.update(entry.batch_id, attempts=attempts, failed_with=fingerprint(source))
        raise
    except LakeboxError as error:
        logger.warning("%s", _naming_the_file(entry, error))
        return _failed(lh, entry, source, attempts, retried, before, str(error))
    except Exception as error:  # a reader's own bug or a parser's error: this file fails alone
        logger.warning("%s: formatting failed", entry.landed_path, exc_info=True)
        problem = f"unexpected {type(error).__name__} while formatting: {error}"[:2000]
        return _failed(lh, entry, source, attempts, retried, before, problem)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    lh.manifest.update(
        entry.batch_id,
        status=status,
        error=problem,
        formatted_at=now(),
        attempts=attempts,
        failed_with=None,
        read_with=json.dumps(read_with, sort_keys=True),
        **vars(counts),
    )
    versions = lineage.versions_since(lh, entry, source, before)
    return FormatResult(entry.batch_id, entry.source, status, counts, problem, retried, versions)


def _failed(
    lh: Lakehouse,
    entry: Entry,
    source: SourceConfig,
    attempts: int,
    retried: bool,
    before: dict[TableRef, int | None],
    problem: str,
) -> FormatResult:
    """Record that formatting `entry` failed with `problem`; the run goes on with the rest."""
    lh.manifest.update(
        entry.batch_id,
        status=Status.FAILED,
        error=problem,
        attempts=attempts,
        failed_with=fingerprint(source),
    )
    versions = lineage.versions_since(lh, entry, source, before)  # a partial write's
    return FormatResult(
        entry.batch_id, entry.source, Status.FAILED, Counts(), problem, retried, versions
    )


def _naming_the_file(entry: Entry, error: LakeboxError) -> str:
    """Return `error` led by the landed path, once: a reader's error names the file already
    (its local copy's name), which the path then replaces."""
    text = str(error)
    path = entry.landed_path or entry.batch_id
    return f"{path}: {text.removeprefix(PurePosixPath(path).name + ': ')}"


def fingerprint(source: SourceConfig) -> str:
    """Return what formatting a source's file depends on besides its bytes: the source's
    config (not its docs) and the lakebox version. A failed file is retried once it changes."""
    from lakebox.ground.version import __version__

    text = source.model_dump_json(exclude={"docs"}) + "\n" + __version__
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def due(entry: Entry, source: SourceConfig) -> bool:
    """Return whether a run formats `entry`: a landed one, or a failed one whose source is
    pulled (its state waits for the commit) or whose config or lakebox changed since."""
    if entry.status != Status.FAILED:
        return True
    return source.pulled or entry.failed_with != fingerprint(source)


REFORMATTABLE = (Status.LANDED, Status.FORMATTED, Status.QUARANTINED, Status.FAILED)


def reformattable(
    lh: Lakehouse, sources: list[str] | None = None, batches: list[str] | None = None
) -> list[Entry]:
    """Return the landed objects to format again, oldest first: `batches` (all of them must
    be landed objects of `sources`, when given), else every one of `sources` (default: all)."""
    for name in sources or []:
        lh.source(name)
    chosen = set(sources or lh.config.formatted_sources)
    entries = [
        entry
        for entry in lh.manifest.entries()
        if entry.source in chosen and (not batches or entry.batch_id in batches)
    ]
    found = {entry.batch_id: entry for entry in entries}
    for batch_id in batches or []:
        entry = found.get(batch_id)
        if entry is None:
            within = f" of source {', '.join(sources)}" if sources else " of a declared source"
            raise FormatError(
                f"no landed batch {batch_id!r}{within}",
                hint='see the batches with: lakebox query "SELECT batch_id, source, status '
                'FROM landing.manifest"',
            )
        if entry.status not in REFORMATTABLE:
            raise FormatError(
                f"batch {batch_id} is {entry.status}: it has no rows of its own to format",
                hint=entry.error or "pick a batch whose status is formatted, quarantined or failed",
            )
    return [entry for entry in entries if entry.status in REFORMATTABLE]


def reformat(
    lh: Lakehouse, entries: list[Entry], reporter: Reporter = NULL_REPORTER
) -> list[FormatResult]:
    """Format `entries` again with the config as it is now: each batch's rows replace the
    ones it had in `formatted.<source>` and `quarantine.<source>` (one commit per table), and
    its manifest row gets the new counts."""
    results = []
    for done, entry in enumerate(entries, start=1):
        results.append(format_entry(lh, entry, again=True))
        reporter.progress("format", entry.source, done, len(entries))
    return results


Outcome = tuple[Counts, str, str | None]


def _format_file(
    lh: Lakehouse, entry: Entry, source: SourceConfig, work: Path, again: bool, text_path: bool
) -> tuple[Outcome, dict[str, dict[str, object]]]:
    """Return what formatting the file did, and how it was read (`read_settings`)."""
    assert entry.landed_path is not None
    with lh.storage.as_local_file(entry.landed_path) as local:
        raw = readers.read(lh.engine, local, source, work)
        try:
            outcome = _format_raw(lh, entry, source, raw, work, again, text_path)
        finally:
            raw.cleanup(lh.engine)
        return outcome, read_settings(raw, local, source)


def _format_raw(
    lh: Lakehouse,
    entry: Entry,
    source: SourceConfig,
    raw: RawInput,
    work: Path,
    again: bool,
    text_path: bool = False,
) -> Outcome:
    names = TempNames.next()

    engine = lh.engine
    try:
        if not raw.columns:  # every record was refused (e.g. a pull of bad pages only)
            return _refuse_file(lh, entry, source, raw, names, None, work, again)
        existing = lh.catalog.load(TableRef("formatted", entry.source))
        file_schema = schema.resolve(
            engine,
            f"({raw.sample_sql or raw.select_sql})",
            raw.columns,
            source,
            existing.schema().as_arrow() if existing else None,
            raw.type_hints,
        )
        schema.note_decimal_marks(raw.read_with, raw.detected, file_schema.columns)
        if file_schema.incompatible:
            refused = file_schema.incompatible
            return _refuse_file(lh, entry, source, raw, names, refused, work, again)
        columns = checks.checked(file_schema.columns, source)
        stamp = now().isoformat()
        finished = None
        if text_path or not typed_path.usable(raw):
            _stage_typed(engine, names, columns, raw, work)
            number_lines(engine, raw, names, names.staged)
        else:
            meta = (entry.batch_id, entry.landed_path or "", stamp)
            finished = typed_path.stage(engine, raw, source, columns, names, work, meta)
        duplicates = dedup.rows_to_drop(
            engine,
            names.staged,
            [c.name for c in columns],
            source.key,
            names.dropped,
            source.keep_duplicates,
        )
        counts = _count(engine, names, duplicates)
        absent = {ABSENT_PROPERTY: json.dumps(file_schema.absent)}
        done = finished if not duplicates else None
        _write(lh, entry, source, names, columns, (raw.has_sheet, stamp, done), work, again, absent)
        return counts, Status.FORMATTED, None
    finally:
        names.drop(engine)


def _stage_typed(
    engine: DuckDBEngine,
    names: TempNames,
    columns: list[ColumnPlan],
    raw: RawInput,
    work: Path,
) -> None:
    """Compute typed values and, per row, the first failed check's column and reason, into
    the staged Parquet file that view `names.staged` reads."""
    kept = ["_ordinal"] if raw.ordinal_is_line else ["_ordinal", "_line"]
    kept += ["_sheet"] if raw.has_sheet else []
    staged = work / "staged.parquet"
    staging.write_typed(engine, columns, kept, _numbered(engine, raw, names), staged)
    staged_file = quote_literal(str(staged))
    engine.execute(f"CREATE TEMP VIEW {names.staged} AS SELECT * FROM read_parquet({staged_file})")


def _numbered(engine: DuckDBEngine, raw: RawInput, names: TempNames) -> str:
    """Return the raw records with their `_ordinal`. A CSV is parsed and numbered first, in a
    light pass into a temp table (it spills to disk past the memory limit): row_number() is
    cheap right over the scan but serialises every expression evaluated after it, and only
    a window numbers CSV records reliably (parallel output order is not guaranteed)."""
    if not raw.ordinal_is_line:
        return f"({raw.select_sql})"
    engine.execute(
        f"CREATE TEMP TABLE {names.raw} AS "
        f"SELECT row_number() OVER () AS _ordinal, * FROM ({raw.select_sql})"
    )
    return names.raw


def _count(engine: DuckDBEngine, names: TempNames, duplicates: int) -> Counts:
    row = engine.execute(
        f"SELECT count(*) FILTER (WHERE _reason IS NULL), count(*) FILTER (WHERE _reason IS "
        f"NOT NULL), (SELECT count(*) FROM {names.rejects}) FROM {names.staged}"
    ).fetchone()
    good, bad, refused = (int(value) for value in row) if row else (0, 0, 0)
    return Counts(good + bad + refused, good - duplicates, bad + refused, duplicates)


def _write(
    lh: Lakehouse,
    entry: Entry,
    source: SourceConfig,
    names: TempNames,
    columns: list[ColumnPlan],
    how: tuple[bool, str, Path | None],
    work: Path,
    again: bool,
    properties: dict[str, str],
) -> None:
    """Commit the batch's good rows to its formatted table (with `properties` on the commit)
    and its refused rows to quarantine. `how`: whether the rows have a `_sheet`, the
    `_ingested_at` stamp, and the finished Parquet file of the good rows, if there is one."""
    has_sheet, stamp, finished = how
    meta = staging.meta_columns(entry.batch_id, entry.landed_path or "", stamp, has_sheet)
    quarantined = _refused_rows(entry, names, stamp)
    if finished is None:  # a finished file holds good rows only, and moves into the table
        held = f"SELECT {meta}, _column, _reason, _raw FROM {names.lined} WHERE _reason IS NOT NULL"
        quarantined = f"{held} UNION ALL {quarantined}"
    outputs = ", ".join(quote_identifier(c.name) for c in columns)
    good = (
        f"SELECT {outputs}, {meta} FROM {names.lined} WHERE _reason IS NULL AND _ordinal "
        f"NOT IN (SELECT _ordinal FROM {names.dropped})"
    )
    formatted = finished or work / "formatted.parquet"
    select = None if finished else good
    _commit(
        lh, entry, "formatted", select, formatted, source.key, source.replaces, again, properties
    )
    if again or not _empty(lh, quarantined, TableRef("quarantine", entry.source)):
        _commit(lh, entry, "quarantine", quarantined, work / "quarantine.parquet", [], again=again)


def _empty(lh: Lakehouse, rows: str, ref: TableRef) -> bool:
    """Return whether the SELECT `rows` gives none and table `ref` exists: a batch with no
    row to quarantine adds no commit (and no empty data file) once the table is there."""
    row = lh.engine.execute(f"SELECT NOT EXISTS ({rows})").fetchone()
    return bool(row and row[0]) and lh.catalog.load(ref) is not None


def _refused_rows(entry: Entry, names: TempNames, stamp: str) -> str:
    """Return the quarantine rows of the records the parser refused."""
    meta = staging.meta_columns(entry.batch_id, entry.landed_path or "", stamp)
    return f"SELECT {meta}, _column, _reason, _raw FROM {names.rejects}"


def _commit(
    lh: Lakehouse,
    entry: Entry,
    zone: str,
    select_sql: str | None,
    target: Path,
    key: list[str],
    replace: bool = False,
    again: bool = False,
    extra: dict[str, str] | None = None,
) -> None:
    """Commit one zone's rows of a batch; a pulled batch's cursor goes into the same commit.
    `again`: in place of the rows an earlier formatting of the batch left there. Without
    `select_sql`, `target` holds the rows already."""
    if select_sql is not None:
        lh.engine.copy_to_parquet(select_sql, target)
    ref = TableRef(zone, entry.source)
    commit = replace_batch if again else commit_batch
    properties = {**_properties(entry), **(extra or {})}
    commit(lh, ref, target, entry.batch_id, properties, key, replace=replace)


def _properties(entry: Entry) -> dict[str, str]:
    properties = {"lakebox.source": entry.source, "lakebox.landed-path": entry.landed_path or ""}
    if entry.cursor:
        properties[CURSOR_PROPERTY] = entry.cursor
    return properties


def _refuse_file(
    lh: Lakehouse,
    entry: Entry,
    source: SourceConfig,
    raw: RawInput,
    names: TempNames,
    reason: str | None,
    work: Path,
    again: bool,
) -> Outcome:
    """Quarantine every record of an incompatible file (or fail, if the source says so); no
    `reason`: the file has no record to read, each refused one is quarantined with its own."""
    message = f"incompatible schema change: {reason}" if reason else "no readable record"
    if reason and source.on_incompatible == "fail":
        lh.manifest.update(entry.batch_id, status=Status.FAILED, error=message)
        raise SchemaError(
            f"{entry.original_path}: {message}",
            source=entry.source,
            batch_id=entry.batch_id,
            hint="declare the column's type in lakebox.yaml, or set on_incompatible: quarantine",
        )
    numbered = ", row_number() OVER () AS _ordinal" if raw.ordinal_is_line else ""
    lh.engine.execute(
        f"CREATE TEMP TABLE {names.raw} AS SELECT *{numbered} FROM ({raw.select_sql})"
    )

    number_lines(lh.engine, raw, names, names.raw)
    stamp = now().isoformat()
    meta = staging.meta_columns(entry.batch_id, entry.landed_path or "", stamp)
    raw_json = staging.json_object({name: quote_identifier(name) for name in raw.columns})
    select = (
        f"SELECT {meta}, NULL::VARCHAR AS _column, {quote_literal(message)} AS _reason, "
        f"{raw_json} AS _raw FROM {names.lined} UNION ALL {_refused_rows(entry, names, stamp)}"
    )
    _commit(lh, entry, "quarantine", select, work / "quarantine.parquet", [], again=again)
    if again:  # rows an earlier formatting of the file gave are no longer formatted
        remove_batch(lh, TableRef("formatted", entry.source), entry.batch_id, _properties(entry))
    row = lh.engine.execute(
        f"SELECT (SELECT count(*) FROM {names.raw}) + (SELECT count(*) FROM {names.rejects})"
    ).fetchone()
    total = int(row[0]) if row else 0
    return Counts(total, 0, total, 0), Status.QUARANTINED, message
