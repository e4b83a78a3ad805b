"""An HTTP source's landed pull: one line per page, each page's records at the source's
`records` path. A page that is not valid JSON, was refused at landing (a body past its
size cap), or has no records list there, is refused whole (quarantined with its reason);
the other pages' records are read as usual. A pull of nothing but refused pages is
quarantined page by page like any other (the formatter finds no columns to type)."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

from lakebox.config import SourceConfig
from lakebox.engine import DuckDBEngine
from lakebox.formatted.readers.base import RawInput, register
from lakebox.formatted.readers.json import MAX_LINE_SIZE, from_texts
from lakebox.ground.sql import quote_literal

_TABLES = itertools.count(1)
_BUFFER_ROOM = 1024 * 1024  # DuckDB's read buffer: the longest line and some
_CHUNK = 4 * 1024 * 1024


@register("http")
def read_pages(engine: DuckDBEngine, path: Path, source: SourceConfig, scratch: Path) -> RawInput:
    """Return the raw input of a landed HTTP pull: the records of its good pages."""
    pages = f"http_pages_{next(_TABLES)}"
    # a page's line holds its whole body (landing capped it): room for the longest one, as
    # a line DuckDB found too long would be skipped without a trace
    line_size = max(MAX_LINE_SIZE, longest_line(path) + 1)
    engine.execute(
        f"CREATE TEMP TABLE {pages} AS SELECT line AS _page_text, row_number() OVER () AS _line "
        f"FROM read_csv({quote_literal(str(path))}, auto_detect=false, columns={{'line': "
        f"'VARCHAR'}}, header=false, delim='\\x1e', quote='', escape='', ignore_errors=true, "
        f"max_line_size={line_size}, buffer_size={line_size + _BUFFER_ROOM})"
    )
    records = records_pointer(source.records)
    good = f"(json_valid(_page_text) AND json_type(_page_text, {records}) = 'ARRAY')"
    texts = (
        f"SELECT _text, row_number() OVER (ORDER BY _line, _position) AS _ordinal, _line FROM "
        f"(SELECT _line, unnest(_records)::VARCHAR AS _text, generate_subscripts(_records, 1) "
        f"AS _position FROM (SELECT _line, json_extract(_page_text, {records})::JSON[] AS "
        f"_records FROM {pages} WHERE {good}))"
    )
    raw = from_texts(engine, texts, source, path)
    refused_pages = (
        f"SELECT _line, NULL AS _column, {_page_reason(source.records)} AS _reason, "
        f"coalesce(json_extract_string(_page_text, '$.text'), _page_text) AS _raw "
        f"FROM {pages} WHERE NOT coalesce({good}, false)"
    )
    raw.rejects_sql = f"{raw.rejects_sql} UNION ALL {refused_pages}"
    raw.temp_tables.append(pages)
    raw.read_with = {"records": source.records, **raw.read_with}
    return raw


def longest_line(path: Path) -> int:
    """Return the length in bytes of the longest line of `path`, read in chunks."""
    longest = current = 0
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            parts = chunk.split(b"\n")
            current += len(parts[0])
            for part in parts[1:]:
                longest, current = max(longest, current), len(part)
    return max(longest, current)


def records_pointer(records: str | None) -> str:
    """Return the JSON path (as a SQL literal) of a page's records inside a landed line."""
    parts = [part for part in (records or "").split(".") if part]
    return quote_literal("$.body" + "".join("." + json.dumps(part) for part in parts))


def _page_reason(records_path: str | None) -> str:
    where = f"'{records_path}'" if records_path else "the body"
    return (
        "CASE WHEN NOT json_valid(_page_text) THEN 'page line is not valid JSON' "
        "WHEN json_extract_string(_page_text, '$.error') IS NOT NULL THEN 'page ' || "
        "coalesce(json_extract_string(_page_text, '$.page'), '?') || ': ' || "
        "json_extract_string(_page_text, '$.error') "
        f"ELSE 'page ' || coalesce(json_extract_string(_page_text, '$.page'), '?') || "
        f"{quote_literal(f': no list of records at {where}')} END"
    )
