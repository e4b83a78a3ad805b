"""The SQL of the formatted zone's passes: the typed stage of a file, and the columns every
formatted and quarantined row carries."""

from __future__ import annotations

from lakebox.formatted.rules import ColumnPlan, typed_ref
from lakebox.ground.sql import quote_identifier, quote_literal

# DuckDB binds a SELECT list of rule expressions in time that grows faster than its length
# (2,000 columns: minutes); a wider file's columns are typed in parts of this many, joined.
PART_COLUMNS = 50


def typed_select(columns: list[ColumnPlan], kept: list[str], source: str) -> str:
    """Return a SELECT over `source` giving, per record, the `kept` columns, the typed columns,
    and — for a record that fails a check — the first failure's `_reason` and `_column` and
    its raw values as JSON (`_raw`), plus `_hash` of the typed values.

    The `kept` columns identify a record: a file wider than PART_COLUMNS is typed in parts
    of columns, each a SELECT over `source`, joined on them."""
    if len(columns) <= PART_COLUMNS:
        return _typed_part(columns, kept, source, raws=False)
    parts = [
        columns[start : start + PART_COLUMNS] for start in range(0, len(columns), PART_COLUMNS)
    ]
    keep = ", ".join(kept)
    bodies = ", ".join(
        f"p{number} AS (SELECT * RENAME (_reason AS _reason_{number}, _column AS "
        f"_column_{number}) FROM ({_typed_part(part, kept, 'src', raws=True)}))"
        for number, part in enumerate(parts)
    )
    joined = " ".join(f"JOIN p{number} USING ({keep})" for number in range(1, len(parts)))
    reasons = ", ".join(f"_reason_{number}" for number in range(len(parts)))
    names = ", ".join(f"_column_{number}" for number in range(len(parts)))
    outputs = ", ".join(quote_identifier(c.name) for c in columns)
    raw_json = json_object({c.name: _raw_ref(c.name) for c in columns})
    hashed = "hash(" + ", ".join(quote_identifier(c.name) for c in columns) + ")"
    return (
        f"WITH src AS MATERIALIZED (SELECT * FROM {source}), {bodies} "
        f"SELECT {keep}, {outputs}, coalesce({reasons}) AS _reason, coalesce({names}) AS "
        f"_column, CASE WHEN coalesce({reasons}) IS NOT NULL THEN {raw_json} END AS _raw, "
        f"{hashed} AS _hash FROM p0 {joined}"
    )


def _typed_part(columns: list[ColumnPlan], kept: list[str], source: str, raws: bool) -> str:
    """Return typed_select's SELECT for `columns` alone; with `raws`, each column's raw value
    (`r.<name>`) instead of `_raw` and `_hash`."""
    keep = "".join(f"{column}, " for column in kept)
    raw_refs = ", ".join(f"{c.raw} AS {_raw_ref(c.name)}" for c in columns)
    values = ", ".join(f"{c.value} AS {c.value_ref}" for c in columns)
    typed = ", ".join(f"CAST({c.typed} AS {c.output_type}) AS {typed_ref(c.name)}" for c in columns)
    outputs = ", ".join(f"{typed_ref(c.name)} AS {quote_identifier(c.name)}" for c in columns)
    raw_json = json_object({c.name: _raw_ref(c.name) for c in columns})
    hashed = "hash(" + ", ".join(typed_ref(c.name) for c in columns) + ")"
    failure = f"CASE WHEN _reason IS NOT NULL THEN {_first_failure(columns, reason=False)} END"
    tail = (
        ", ".join(_raw_ref(c.name) for c in columns)
        if raws
        else f"CASE WHEN _reason IS NOT NULL THEN {raw_json} END AS _raw, {hashed} AS _hash"
    )
    return (
        f"WITH v AS (SELECT {keep}{raw_refs}, {values} FROM {source}), "
        f"t AS (SELECT *, {typed} FROM v), "
        f"c AS (SELECT *, {_first_failure(columns, reason=True)} AS _reason FROM t) "
        f"SELECT {keep}{outputs}, _reason, {failure} AS _column, {tail} FROM c"
    )


def meta_columns(
    batch_id: str, landed_path: str, stamp: str, has_sheet: bool = False, line: str = "_line"
) -> str:
    """Return the select list of `_batch_id, _source_file, _source_line, _ingested_at`
    (`_source_file` names the sheet of a workbook: `path#Sheet1`; `line`: the SQL of the
    line)."""
    source_file = quote_literal(landed_path)
    if has_sheet:
        source_file += " || '#' || _sheet"
    return (
        f"{quote_literal(batch_id)} AS _batch_id, {source_file} AS _source_file, "
        f"{line} AS _source_line, {quote_literal(stamp)}::TIMESTAMPTZ AS _ingested_at"
    )


def json_object(fields: dict[str, str]) -> str:
    """Return SQL building a JSON object text from name → SQL expression."""
    pairs = ", ".join(f"{quote_literal(name)}, {value}" for name, value in fields.items())
    return f"json_object({pairs})::VARCHAR"


def _first_failure(columns: list[ColumnPlan], reason: bool) -> str:
    """Return a CASE giving the first failed check's reason (or its column's name)."""
    branches = " ".join(
        f"WHEN {check.failed} THEN {check.reason if reason else quote_literal(column.name)}"
        for column in columns
        for check in column.checks
    )
    return f"CASE {branches or 'WHEN false THEN NULL'} END"


def _raw_ref(name: str) -> str:
    return quote_identifier(f"r.{name}")
