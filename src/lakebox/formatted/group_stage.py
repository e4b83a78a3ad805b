"""The records of a group of landed files, read by one scan, typed and checked once.

Each file is probed first (`probe`): a CSV or TSV file's encoding, dialect and header, its long
and blank lines; an NDJSON file's long lines and nesting. A file that cannot be probed, or that
holds what only the per-object path tells apart (a line too long, a blank line in a CSV), goes
alone. The files of one shape are then read by one DuckDB scan with each record's file in
column OBJECT, numbered in file order (`_ordinal`: unique in the group; `_line`: the record's
line in its file, as the per-object path numbers it), typed and checked with the plans a
single file gets (`stage`), and the objects holding a refused or failed record are named.
"""

from __future__ import annotations

import logging
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from lakebox.catalog import TableRef
from lakebox.catalog.manifest import Entry
from lakebox.config import SourceConfig
from lakebox.formatted import checks, dedup, schema, staging, typed_path
from lakebox.formatted.lines import TempNames
from lakebox.formatted.readers import csv, json, long_lines, nesting
from lakebox.formatted.readers.base import format_of
from lakebox.formatted.results import Counts
from lakebox.formatted.schema import FileSchema
from lakebox.formatted.staging import LZ4, file_sql
from lakebox.ground.sql import quote_literal
from lakebox.lakehouse import Lakehouse

logger = logging.getLogger(__name__)
OBJECT = "_lakebox_object"  # the column naming each record's file in a group's scan
FORMATS = (*csv.DEFAULT_DELIMITERS, "ndjson")  # what a group reads


@dataclass
class Member:
    """One landed object of a group: its entry, local file, what DuckDB parses (the local
    file or a copy), its shape, place in the order and read settings; a CSV's probe."""

    entry: Entry
    local: Path
    parsed: Path
    shape: tuple[object, ...]
    position: int
    read_with: dict[str, object] = field(default_factory=dict)
    detected: set[str] = field(default_factory=set)
    probe: csv.Probe | None = None


@dataclass
class Staged:
    """A group's records, typed and checked: which objects must be formatted alone, and each
    clean object's row counts (by parsed file)."""

    columns: list[str]
    absent: list[str]
    alone: set[str]  # parsed paths of the objects with a refused or failed record
    counts: dict[str, Counts]


def probe(
    lh: Lakehouse,
    source: SourceConfig,
    entry: Entry,
    place: tuple[int, csv.Sniffed],
    work: Path,
    stack: ExitStack,
) -> Member | Entry:
    """Return `entry` as a member of a group, or the entry itself when it goes alone.
    `place`: its position in the chunk, and the CSV dialects sniffed so far."""
    position, seen = place
    assert entry.landed_path is not None
    try:
        local = stack.enter_context(lh.storage.as_local_file(entry.landed_path))
        kind = format_of(local, source)
        if kind == "ndjson":
            return _ndjson_member(entry, local, source, position)
        default = csv.DEFAULT_DELIMITERS[kind]
        found = csv.probe(local, source, work, default, seen)  # its copies' names are unique
        stack.callback(_remove, found.temporary)
    except Exception as error:  # the per-object path reads it again and records why
        logger.debug("%s: formatted alone: %s", entry.landed_path, error)
        return entry
    if not found.plain or "file_row_number" in found.dialect.names:
        return entry
    settings, detected = csv.read_with(found, source, default)
    return Member(entry, local, found.path, found.shape, position, settings, detected, found)


def _ndjson_member(
    entry: Entry, local: Path, source: SourceConfig, position: int
) -> Member | Entry:
    """Return an NDJSON object's member, or the entry when a line is past the reader's limit
    (refused with its own reason alone); a nesting too deep raises, as the reader does."""
    nesting.check(local, source.limits.json_depth, per_line=True)
    if long_lines.find(local, json.MAX_LINE_SIZE - 1):
        return entry
    settings: dict[str, object] = {"nested": source.nested}
    return Member(entry, local, local, ("ndjson",), position, settings)


def _remove(paths: list[Path]) -> None:
    for path in paths:
        path.unlink(missing_ok=True)


def stage(
    lh: Lakehouse,
    source_name: str,
    source: SourceConfig,
    members: list[Member],
    names: TempNames,
    work: Path,
) -> Staged | None:
    """Parse, type and check the records of `members` into view `names.staged` (the clean
    objects' records) and table `names.dropped` (their duplicates); None when the group's
    schema is incompatible with the table's (each object then goes alone)."""
    engine = lh.engine
    table = lh.catalog.load(TableRef("formatted", source_name))
    existing = table.schema().as_arrow() if table is not None else None
    staged = work / "staged.parquet"
    read = _csv if members[0].probe is not None else _ndjson
    found = read(lh, source, members, existing, (work, staged))
    if found is None:
        return None
    file_schema, alone = found
    _members(lh, members, names)
    listed = ", ".join(quote_literal(path) for path in sorted(alone))
    clean = f"WHERE {OBJECT} NOT IN ({listed})" if alone else ""
    engine.execute(
        f"CREATE TEMP VIEW {names.staged} AS SELECT * FROM read_parquet({file_sql(staged)}) {clean}"
    )
    outputs = [column.name for column in file_schema.columns]
    keep = source.keep_duplicates
    dedup.rows_to_drop(
        engine, names.staged, outputs, source.key, names.dropped, keep, within=(OBJECT,)
    )
    return Staged(outputs, file_schema.absent, alone, _counts(lh, names))


Found = tuple[FileSchema, set[str]] | None


def _csv(
    lh: Lakehouse,
    source: SourceConfig,
    members: list[Member],
    existing: pa.Schema | None,
    files: tuple[Path, Path],
) -> Found:
    """Stage CSV or TSV members into `files[1]` by the typed path; return their schema and
    the objects with a refused or slow record (None: the schema is incompatible)."""
    engine = lh.engine
    work, staged = files
    probes = [member.probe for member in members if member.probe is not None]
    sample = csv.group_scan(probes, OBJECT, {}, [""])
    try:
        names = probes[0].dialect.names
        file_schema = schema.resolve(engine, f"({sample.select})", names, source, existing)
    finally:
        sample.drop(engine)
    if file_schema.incompatible:
        return None
    _note_decimal_marks(members, file_schema)
    columns = checks.checked(file_schema.columns, source)
    kinds, plans = typed_path.typed_plans(columns, source)
    scan = csv.group_scan(probes, OBJECT, kinds, typed_path.null_strings(source))
    parsed = work / "parsed.parquet"
    try:
        engine.execute(f"COPY ({scan.select}) TO {file_sql(parsed)} {LZ4}")
        alone = _objects(lh, f"({scan.refused})")
    finally:
        scan.drop(engine)
    header = int(probes[0].dialect.header)
    numbered = _numbered(parsed, f"p.file_row_number + 1 AS _ordinal, {_in_file(header)} AS _line")
    staging.write_typed(engine, plans, [OBJECT, "_ordinal", "_line"], numbered, staged)
    file_schema.columns = columns
    return file_schema, alone | _objects(lh, _failed(staged))


def _ndjson(
    lh: Lakehouse,
    source: SourceConfig,
    members: list[Member],
    existing: pa.Schema | None,
    files: tuple[Path, Path],
) -> Found:
    """Stage NDJSON members into `files[1]` by the text rules; return their schema and the
    objects with a refused or failed record (None: the schema is incompatible, or no record
    is readable)."""
    engine = lh.engine
    work, staged = files
    lines = work / "lines.parquet"
    scan = json.lines_scan([member.parsed for member in members], OBJECT)
    engine.execute(f"COPY (SELECT line AS _text, {OBJECT} FROM {scan}) TO {file_sql(lines)} {LZ4}")
    numbers = f"p.file_row_number + 1 AS _in_group, {_in_file(0)} AS _ordinal"
    texts = f"SELECT * FROM {_numbered(lines, numbers)} WHERE {json.NOT_BLANK}"
    raw = json.from_texts(engine, texts, source, members[0].local, (OBJECT, "_in_group"))
    try:
        if not raw.columns or json.names_clash(engine, raw, source):
            return None
        file_schema = schema.resolve(
            engine, f"({raw.select_sql})", raw.columns, source, existing, raw.type_hints
        )
        if file_schema.incompatible:
            return None
        _note_decimal_marks(members, file_schema)
        columns = checks.checked(file_schema.columns, source)
        renumbered = "* EXCLUDE (_ordinal, _in_group), _in_group AS _ordinal"
        records = f"(SELECT {renumbered} FROM ({raw.select_sql}))"
        staging.write_typed(engine, columns, [OBJECT, "_ordinal", "_line"], records, staged)
        alone = _objects(lh, f"({raw.rejects_sql})") | json.keyless(engine, raw, source, OBJECT)
    finally:
        raw.cleanup(engine)
    file_schema.columns = columns
    # an object with no record at all, or none with a key, is refused whole alone
    empty = {str(member.parsed) for member in members} - _objects(lh, _all(staged))
    return file_schema, alone | empty | _objects(lh, _failed(staged))


def _note_decimal_marks(members: list[Member], file_schema: FileSchema) -> None:
    """Record in each member's read settings the decimal marks of the group's numbers, as
    the per-object path records a file's."""
    for member in members:
        schema.note_decimal_marks(member.read_with, member.detected, file_schema.columns)


def _numbered(parsed: Path, numbers: str) -> str:
    """Return the records of Parquet file `parsed` (as the scan wrote them: each file's
    together and in order) with the `numbers` computed from `p.file_row_number` and
    `f._first` (the file's first record's)."""
    scan = f"read_parquet({file_sql(parsed)}, file_row_number=true)"
    return (
        f"(SELECT p.* EXCLUDE (file_row_number), {numbers} FROM {scan} p JOIN "
        f"(SELECT {OBJECT}, min(file_row_number) AS _first FROM {scan} GROUP BY ALL) f "
        f"USING ({OBJECT}))"
    )


def _in_file(header: int) -> str:
    """Return the SQL of a record's 1-based number in its file, past `header` lines."""
    return f"p.file_row_number - f._first + 1 + {header}"


def _all(staged: Path) -> str:
    return f"read_parquet({file_sql(staged)})"


def _failed(staged: Path) -> str:
    return f"(SELECT * FROM read_parquet({file_sql(staged)}) WHERE _reason IS NOT NULL)"


def _objects(lh: Lakehouse, records: str) -> set[str]:
    """Return the files named by the records of `records`."""
    rows = lh.engine.execute(f"SELECT DISTINCT {OBJECT} FROM {records}").fetchall()
    return {row[0] for row in rows}


def members_table(names: TempNames) -> str:
    """Return the name of the temp table of a group's objects."""
    return f"{names.raw}_members"


def _members(lh: Lakehouse, members: list[Member], names: TempNames) -> None:
    """Create the table of the group's objects: file, place, batch id and landed path."""
    rows = ", ".join(
        f"({quote_literal(str(m.parsed))}, {m.position}, {quote_literal(m.entry.batch_id)}, "
        f"{quote_literal(m.entry.landed_path or '')})"
        for m in members
    )
    lh.engine.execute(
        f"CREATE TEMP TABLE {members_table(names)} AS SELECT * FROM (VALUES {rows}) "
        f"t({OBJECT}, _position, _batch_id, _source_file)"
    )


def _counts(lh: Lakehouse, names: TempNames) -> dict[str, Counts]:
    """Return each clean object's counts (by its parsed file): every record read is
    formatted or a duplicate."""
    rows = lh.engine.execute(
        f"SELECT {OBJECT}, count(*), count(*) FILTER (WHERE _ordinal IN (SELECT _ordinal "
        f"FROM {names.dropped})) FROM {names.staged} GROUP BY ALL"
    ).fetchall()
    return {path: Counts(int(n), int(n - dropped), 0, int(dropped)) for path, n, dropped in rows}
