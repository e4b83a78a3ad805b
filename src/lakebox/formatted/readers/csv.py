"""CSV and TSV: encoding, delimiter, quote and header detection; DuckDB parses in parallel."""

from __future__ import annotations

import csv
import functools
import hashlib
import io
import itertools
from dataclasses import dataclass
from pathlib import Path

from lakebox.config import SourceConfig
from lakebox.engine import DuckDBEngine
from lakebox.errors import FormatError
from lakebox.formatted import encoding as encodings
from lakebox.formatted.readers import long_lines
from lakebox.formatted.readers.base import RawInput, check_width, register, unique_names
from lakebox.ground.sql import quote_identifier, quote_literal

SAMPLE_LINES = 200
# what csv.Sniffer sees of the sample: its quote regex backtracks from every quote over the
# rest of the sample (quadratic), so a few hundred KiB of quotes would take it hours
SNIFF_CHARS = 8192
MAX_LINE_SIZE = 4 * 1024 * 1024  # per record; a longer one is refused, not lost
LONGEST = MAX_LINE_SIZE - 1  # the longest record DuckDB takes with max_line_size
# DuckDB would size its read buffers at 16 × max_line_size; its own default is 32 MiB.
BUFFER_SIZE = 32 * 1024 * 1024

_DELIMITERS = ",;\t|"
_REJECT_TABLES = itertools.count(1)


@dataclass(frozen=True)
class Dialect:
    """How one delimited file is written."""

    delimiter: str
    quote: str
    header: bool
    names: list[str]


@register("csv")
def read_csv(engine: DuckDBEngine, path: Path, source: SourceConfig, scratch: Path) -> RawInput:
    """Return the raw input of a delimited file."""
    return _read_delimited(engine, path, source, scratch, default_delimiter=None)


@register("tsv")
def read_tsv(engine: DuckDBEngine, path: Path, source: SourceConfig, scratch: Path) -> RawInput:
    """Return the raw input of a tab-separated file."""
    return _read_delimited(engine, path, source, scratch, default_delimiter="\t")


@dataclass(frozen=True)
class Probe:
    """What reading one delimited file needs, found before DuckDB parses it: the file it
    parses (the landed one, or a UTF-8 or long-line-free copy among `temporary`), its
    dialect and encodings, its lines past MAX_LINE_SIZE and whether it may hold a blank
    line."""

    path: Path
    dialect: Dialect
    encoding: str  # detected or declared
    duckdb_encoding: str  # what DuckDB reads it as
    temporary: list[Path]
    long: list[long_lines.LongLine]
    blank: bool

    @property
    def shape(self) -> tuple[object, ...]:
        """Return what files parsed by one scan must share: dialect, header and encodings."""
        dialect = self.dialect
        names = tuple(dialect.names)
        return (dialect.delimiter, dialect.quote, dialect.header, names, *self._encodings)

    @property
    def _encodings(self) -> tuple[str, str]:
        return self.encoding, self.duckdb_encoding

    @property
    def plain(self) -> bool:
        """Return whether the typed path can read the file among others: no long line was
        set aside, and no blank line shifts its records' lines."""
        return not self.long and not self.blank


def probe(
    path: Path,
    source: SourceConfig,
    scratch: Path,
    default_delimiter: str | None,
    seen: Sniffed | None = None,
) -> Probe:
    """Return the probe of the delimited file at `path` (TSV: `default_delimiter` tab;
    `seen`: the dialects of files probed before, see `sniff`)."""
    encoding = encodings.detect(path, source.encoding)
    text_path, temporary, duckdb_encoding = _utf8_view(path, encoding, scratch)
    dialect = sniff(text_path, source, default_delimiter, seen)
    check_width(path, len(dialect.names), source.limits.columns)
    text_path, long = _without_long_lines(text_path, dialect, duckdb_encoding, scratch)
    temporary += [text_path] if long else []
    # DuckDB counts a blank line in a refused record's line, never in the records' order:
    # the typed path could not tell which records it refused
    blank = _has_blank_line(text_path, duckdb_encoding)
    return Probe(text_path, dialect, encoding, duckdb_encoding, temporary, long, blank)


def _read_delimited(
    engine: DuckDBEngine,
    path: Path,
    source: SourceConfig,
    scratch: Path,
    default_delimiter: str | None,
) -> RawInput:
    found = probe(path, source, scratch, default_delimiter)
    dialect, long = found.dialect, found.long
    number = next(_REJECT_TABLES)
    names = ", ".join(quote_identifier(name) for name in dialect.names)
    # No row_number() here: a window serialises the parallel scan (and stops LIMIT early
    # exits); the formatter numbers records from its staged file, which keeps file order.
    scan = functools.partial(_scan, [found.path], dialect, found.duckdb_encoding)
    select = f"SELECT {names} FROM {scan(f'rejects_{number}')}"
    sample = f"SELECT {names} FROM {scan(f'sample_{number}')}"

    def typed_scan(types: dict[str, str], nulls: list[str]) -> tuple[str, str]:
        rejects = f"typed_rejects_{next(_REJECT_TABLES)}"
        refused = _rejected(dialect, rejects, long)
        return f"SELECT {names} FROM {scan(rejects, types, nulls)}", refused

    return RawInput(
        select,
        dialect.names,
        _rejected(dialect, f"rejects_{number}", long),
        temporary=found.temporary,
        sample_sql=sample,
        header_lines=int(dialect.header),
        ordinal_is_line=True,
        read_with=_read_with(found.encoding, dialect),
        detected=_detected(source, default_delimiter),
        typed_scan=None if found.blank else typed_scan,
    )


def read_with(
    found: Probe, source: SourceConfig, default_delimiter: str | None
) -> tuple[dict[str, object], set[str]]:
    """Return the settings a probed file is read with, and those of them found in the file."""
    return _read_with(found.encoding, found.dialect), _detected(source, default_delimiter)


DEFAULT_DELIMITERS = {"csv": None, "tsv": "\t"}  # by format: what a probe is given


@dataclass(frozen=True)
class GroupScan:
    """One scan of several files: the SELECT of their columns and file, the SELECT of the
    records it refused, and the tables DuckDB stores them in once the scan ran."""

    select: str
    refused: str
    tables: tuple[str, str]

    def drop(self, engine: DuckDBEngine) -> None:
        """Drop the tables of the refused records (a process formats many groups)."""
        for table in self.tables:
            engine.execute(f"DROP TABLE IF EXISTS {table}")


def group_scan(
    probes: list[Probe], column: str, types: dict[str, str], nulls: list[str]
) -> GroupScan:
    """Return one scan of the files of `probes` (of one shape, each plain), each record with
    its file's path in `column`; its refused records have `column`, `_line`, `_column`,
    `_reason`, `_raw`, `_cast`."""
    dialect = probes[0].dialect
    names = ", ".join(quote_identifier(name) for name in dialect.names)
    rejects = f"group_rejects_{next(_REJECT_TABLES)}"
    paths = [found.path for found in probes]
    read = _scan(paths, dialect, probes[0].duckdb_encoding, rejects, types, nulls, column)
    select = f"SELECT {names}, {quote_identifier(column)} FROM {read}"
    listed = _refused(dialect, rejects, ", scan_id, file_id")
    scans = f"(SELECT scan_id, file_id, file_path FROM {rejects}_scan)"
    refused = (
        f"SELECT s.file_path AS {quote_identifier(column)}, r.* EXCLUDE (scan_id, file_id) "
        f"FROM ({listed}) r JOIN {scans} s USING (scan_id, file_id)"
    )
    return GroupScan(select, refused, (rejects, f"{rejects}_scan"))


def _has_blank_line(path: Path, duckdb_encoding: str) -> bool:
    """Return whether the file may hold an empty line before its end (or a quoted field holds
    two line breaks in a row: a false alarm, which only costs the typed path)."""
    codecs = ("utf-16-le", "utf-16-be") if duckdb_encoding == "utf-16" else (duckdb_encoding,)
    patterns = [ending.encode(codec) for codec in codecs for ending in ("\n\n", "\r\r", "\n\r\n")]
    width = max(len(pattern) for pattern in patterns)
    tail = b""
    with path.open("rb") as handle:
        while chunk := handle.read(BUFFER_SIZE):
            window = tail + chunk
            tail = window[-width:]
            if any(pattern in window.rstrip(b"\r\n\x00") for pattern in patterns):
                return True
    return False


def _without_long_lines(
    path: Path, dialect: Dialect, duckdb_encoding: str, scratch: Path
) -> tuple[Path, list[long_lines.LongLine]]:
    """Return the file to parse: `path`, or a copy in `scratch` whose lines longer than
    MAX_LINE_SIZE are each replaced by a line of one field too many, which the parser refuses
    in their place (DuckDB drops a record longer than its buffer without a trace). UTF-16
    text is left as it is."""
    if duckdb_encoding == "utf-16":
        return path, []
    # fields no null token matches: DuckDB takes null fields past the last column for a
    # trailing delimiter
    fields = ["lakebox:too-long"] * (len(dialect.names) + 1)
    placeholder = dialect.delimiter.join(fields).encode(duckdb_encoding, "replace")
    target = scratch / f"long_lines_{next(_REJECT_TABLES)}.csv"
    return long_lines.set_aside(path, LONGEST, placeholder, target)


def _rejected(dialect: Dialect, rejects: str, long: list[long_lines.LongLine]) -> str:
    """Return the SELECT of the records a scan refused, from its rejects table (the
    placeholders of `long` lines told as what they are)."""
    refused = _refused(dialect, rejects)
    return long_lines.relabel(refused, long, LONGEST, "a CSV record has") if long else refused


def _refused(dialect: Dialect, rejects: str, extra: str = "") -> str:
    """Return the SELECT of a scan's refused records (`extra`: more of the rejects table's
    columns, each led by a comma)."""
    width = len(dialect.names)
    return (
        f"SELECT line::BIGINT AS _line, column_name AS _column, CASE error_type "
        f"WHEN 'MISSING COLUMNS' THEN 'fewer fields than the {width} columns' "
        f"WHEN 'TOO MANY COLUMNS' THEN 'more fields than the {width} columns' "
        f"WHEN 'INVALID ENCODING' THEN 'bytes that are not valid text (encoding)' "
        f"WHEN 'UNQUOTED VALUE' THEN 'an unterminated quoted field' "
        f"ELSE lower(error_type) || ': ' || error_message END AS _reason, csv_line AS _raw, "
        f"error_type = 'CAST' AS _cast{extra} FROM {rejects}"
    )


def _read_with(encoding: str, dialect: Dialect) -> dict[str, object]:
    """Return the settings a delimited file is read with; the header row is its first line."""
    return {
        "encoding": encoding,
        "delimiter": dialect.delimiter,
        "quote": dialect.quote,
        "header": dialect.header,
        "header_row": 1 if dialect.header else None,
    }


def _detected(source: SourceConfig, default_delimiter: str | None) -> set[str]:
    """Return which settings were found in the file rather than taken from the source (a
    TSV's delimiter comes with its format)."""
    found = {"quote"}
    found |= {"encoding"} if not source.encoding else set()
    found |= {"delimiter"} if not source.delimiter and not default_delimiter else set()
    return found | ({"header", "header_row"} if source.header is None else set())


def _scan(
    paths: list[Path],
    dialect: Dialect,
    duckdb_encoding: str,
    rejects: str,
    types: dict[str, str] | None = None,
    nulls: list[str] | None = None,
    filename: str | None = None,
) -> str:
    """Return a read_csv(...) call over `paths` that stores the records it refuses in table
    `rejects`: every column VARCHAR, or of its type in `types`; `nulls` are read as NULL
    (default: an empty field); with `filename`, a column of that name holds each record's
    file."""
    kinds = types or {}
    columns = ", ".join(
        f"{quote_literal(name)}: {quote_literal(kinds.get(name, 'VARCHAR'))}"
        for name in dialect.names
    )
    null_list = ", ".join(quote_literal(token) for token in nulls or [""])
    files = ", ".join(quote_literal(str(path)) for path in paths)
    named = f"filename={quote_literal(filename)}, " if filename else ""
    return (
        f"read_csv([{files}], auto_detect=false, columns={{{columns}}}, {named}"
        f"header={str(dialect.header).lower()}, delim={quote_literal(dialect.delimiter)}, "
        f"quote={quote_literal(dialect.quote)}, escape={quote_literal(dialect.quote)}, "
        f"encoding={quote_literal(duckdb_encoding)}, ignore_errors=true, store_rejects=true, "
        f"rejects_table={quote_literal(rejects)}, rejects_scan={quote_literal(rejects + '_scan')}, "
        f"max_line_size={MAX_LINE_SIZE}, buffer_size={BUFFER_SIZE}, null_padding=false, "
        f"strict_mode=true, nullstr=[{null_list}])"
    )


# what sniffing files of one header found: the header line's digest → delimiter and quote
Sniffed = dict[bytes, tuple[str, str]]


def sniff(
    path: Path, source: SourceConfig, default_delimiter: str | None, seen: Sniffed | None = None
) -> Dialect:
    """Return the dialect of the UTF-8 file at `path`, honouring what the source declares.
    With `seen`, a file whose header line an earlier file had, and whose sample reads with
    that file's dialect, takes it without sniffing again (sniffing costs milliseconds)."""
    lines = _sample_lines(path)
    if not lines:
        raise FormatError(f"{path.name}: the file is empty", file=str(path))
    sample = "".join(lines)
    part = _sniffed_part(sample)
    digest = hashlib.sha256(lines[0].encode("utf-8", "replace")).digest()
    known = (seen or {}).get(digest)
    if known is None or not _reads_with(part, *known):
        sniffed = _sniff_sample(part)
        known = (sniffed.delimiter, sniffed.quotechar or '"')
        if seen is not None:
            seen[digest] = known
    delimiter = source.delimiter or default_delimiter or known[0]
    quote = known[1]
    first = next(
        csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter, quotechar=quote), []
    )
    header = source.header if source.header is not None else _looks_like_header(first, source)
    names = unique_names(first) if header else _positional_names(first, source)
    return Dialect(delimiter, quote, header, names)


def _reads_with(sample: str, delimiter: str, quote: str) -> bool:
    """Return whether every line of `sample` has the first line's number of fields read with
    `delimiter` and `quote`, more than one (a one-field header tells no delimiter: sniffing
    finds it in the records), and no other quote character appears in it."""
    if any(other in sample for other in "\"'" if other != quote):
        return False
    rows = list(csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter, quotechar=quote))
    return len({len(row) for row in rows}) == 1 and len(rows[0]) > 1


def _utf8_view(path: Path, detected: str, scratch: Path) -> tuple[Path, list[Path], str]:
    if detected in ("utf-8", "utf-16"):
        return path, [], detected
    if detected in ("latin-1", "iso8859-1"):
        return path, [], "latin-1"
    target = scratch / f"{path.name}.utf8"
    encodings.transcode_to_utf8(path, detected, target)
    return target, [target], "utf-8"


def _sample_lines(path: Path) -> list[str]:
    """Return the non-blank lines of the first SAMPLE_LINES, those longer than MAX_LINE_SIZE
    left out (they are refused, and would only fill memory), up to MAX_LINE_SIZE characters
    in all past the first line."""
    lines: list[str] = []
    kept = 0
    with path.open(encoding="utf-8-sig", errors="replace", newline="") as handle:
        for _ in range(SAMPLE_LINES):
            line = handle.readline(MAX_LINE_SIZE)
            if not line:
                break
            if len(line) == MAX_LINE_SIZE and not line.endswith(("\n", "\r")):
                while (rest := handle.readline(MAX_LINE_SIZE)) and rest[-1] not in "\r\n":
                    pass
            elif line.strip():
                lines.append(line)
                kept += len(line)
                if kept >= MAX_LINE_SIZE:
                    break
    return lines


def _sniffed_part(sample: str) -> str:
    """Return the head of `sample` the sniffer reads: its whole lines within SNIFF_CHARS
    (the first SNIFF_CHARS of the first line, if that one is longer)."""
    if len(sample) <= SNIFF_CHARS:
        return sample
    cut = sample.rfind("\n", 0, SNIFF_CHARS) + 1
    return sample[: cut or SNIFF_CHARS]


def _sniff_sample(sample: str) -> csv.Dialect | type[csv.Dialect]:
    try:
        return csv.Sniffer().sniff(sample, delimiters=_DELIMITERS)
    except csv.Error:
        counts = {delimiter: sample.count(delimiter) for delimiter in _DELIMITERS}
        best = max(counts, key=lambda delimiter: counts[delimiter])

        class Fallback(csv.excel):
            delimiter = best

        return Fallback


def _looks_like_header(first: list[str], source: SourceConfig) -> bool:
    """A first row is a header unless one of its fields looks like a value."""
    declared = {name.lower() for name in source.columns}
    if declared and any(field.strip().lower() in declared for field in first):
        return True
    return not any(_is_value(field) for field in first)


def _is_value(field: str) -> bool:
    text = field.strip()
    if not text:
        return False
    try:
        float(text.replace(",", "."))
    except ValueError:
        return text[:4].isdigit() and len(text) >= 8  # a date like 2024-01-31
    return True


def _positional_names(first: list[str], source: SourceConfig) -> list[str]:
    declared = list(source.columns)
    width = max(len(first), len(declared))
    names = [declared[i] if i < len(declared) else f"column_{i + 1}" for i in range(width)]
    return unique_names(names)
