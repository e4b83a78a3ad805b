"""Events read exactly as the format step reads them from landing: the hot path's slow path.

A micro-batch that Arrow's reader does not take as it is (strict JSON, numbers as numbers,
ISO times) is read by the format step's own SQL over the events' texts: JSON as DuckDB reads
it (a trailing comma, NaN), each declared field's text as its `json_extract_string` gives it
(a key written as an array is that array's text), then the format step's rules
(`formatted.rules`, `formatted.staging`: trimmed text, yes/no/1/0 booleans, 1,234.5 and 12,5,
whole numbers from 12.0 or 1e3, times in the source's date formats, 24:00, ...).

Where the format step reads a value by what the rest of its file holds, an event is read as
if the other events of its flush held that field as plain values (numbers showing no decimal
mark, text): a number's decimal mark is the one its own text shows ('1,234.5', '12,5'), else
none ('1,234' is then ambiguous and refused); an object is its JSON text; a field is read
under its own name only. An INTEGER field reads as a BIGINT: once the stream's table exists,
the format step widens the column for a larger value.

The SQL runs in a DuckDB database of the process's own, holding no data and reading no files:
a function of the texts, with the format step's session settings (UTC).
"""

from __future__ import annotations

import functools
import json
import threading
from dataclasses import dataclass, replace

import duckdb
import pyarrow as pa

from lakebox.config import SourceConfig
from lakebox.config.streams import StreamConfig, stream_source
from lakebox.engine.duckdb import sealed_database
from lakebox.formatted import rules, staging, types
from lakebox.formatted.readers import json_numbers
from lakebox.formatted.rules import Check, ColumnPlan
from lakebox.formatted.schema import as_text
from lakebox.ground.sql import quote_identifier, quote_literal

INDEX = "_index"
_KIND = "_kind"
_SHOWN = "_shown"
_TEXTS = "_event_texts"
# as the JSON reader of the format step (readers/json.py) tells an object from other texts
_KIND_SQL = "CASE WHEN json_valid(_text) THEN json_type(_text) END"
_WIDENED = {"INTEGER": "BIGINT"}
_DATABASE: duckdb.DuckDBPyConnection | None = None
_OPENING = threading.Lock()


@dataclass(frozen=True)
class Failure:
    """Why the format step refuses an event: what failed (`malformed`, `not_object`,
    `number`, `missing`, `nul`, `ambiguous`, `range` or `not_cast`), in which field, and that
    field's value as JSON text (for `number`: the whole reason, naming the field)."""

    kind: str
    field: str | None = None
    shown: str = ""


@dataclass
class Read:
    """The events read: the accepted ones typed (with `_index`, their place in the texts
    given) and, per refused one's place, why."""

    events: pa.Table
    failures: dict[int, Failure]


def read(texts: pa.Array, stream: StreamConfig) -> Read:
    """Return `texts` (one event each, UTF-8 text) read as the format step reads them."""
    sql = _select_sql(tuple(stream.fields.items()), stream.key, stream.time)
    batch = pa.table({INDEX: pa.array(range(len(texts)), pa.int64()), "_text": texts})
    return _split(_reader().run(sql, batch), list(stream.fields))


def _split(table: pa.Table, fields: list[str]) -> Read:
    """Separate the accepted rows from the refused ones, each with its failure."""
    failures, kept = {}, []
    rows = zip(
        table.column(INDEX).to_pylist(),
        table.column(_KIND).to_pylist(),
        table.column("_reason").to_pylist(),
        table.column("_column").to_pylist(),
        table.column(_SHOWN).to_pylist(),
        strict=True,
    )
    for row, (index, kind, failed, column, shown) in enumerate(rows):
        if kind is None:
            failures[index] = Failure("malformed")
        elif kind == "NUMBER":
            failures[index] = Failure("number", shown=failed)
        elif kind != "OBJECT":
            failures[index] = Failure("not_object")
        elif failed is not None:
            failures[index] = Failure(failed, column, shown or "")
        else:
            kept.append(row)
    events = table.take(pa.array(kept, pa.int64())).select([INDEX, *fields])
    return Read(events, failures)


@functools.lru_cache(maxsize=64)
def _select_sql(fields: tuple[tuple[str, str], ...], key: str, time: str) -> str:
    """Return the SELECT reading the texts of `_TEXTS`: per text its `_index`, `_kind`
    (OBJECT, another JSON type, or NULL when not JSON), the typed fields, the first failed
    check's kind (`_reason`), field (`_column`) and that field's JSON text (`_shown`)."""
    stream = StreamConfig.model_validate({"key": key, "time": time, "fields": dict(fields)})
    source = stream_source("events", stream)
    plans = [_plan(name, source) for name, _ in fields]
    paths = ", ".join(_path(name) for name, _ in fields)
    extracts = ", ".join(
        f"_texts[{place}] AS {quote_identifier(name)}" for place, (name, _) in enumerate(fields, 1)
    )
    objects = (
        f"(SELECT {INDEX}, _text, {extracts} FROM (SELECT {INDEX}, _text, "
        f"json_extract_string(_text, [{paths}]) AS _texts FROM texts WHERE {_KIND} = 'OBJECT'))"
    )
    typed = staging.typed_select(plans, [INDEX, "_text"], objects)
    outputs = ", ".join(quote_identifier(name) for name, _ in fields)
    shown = " ".join(
        f"WHEN {quote_literal(name)} THEN json_extract(_text, {_path(name)})::VARCHAR"
        for name, _ in fields
    )
    # an object holding a number a DOUBLE cannot hold as written is refused, as the format
    # step refuses it (`json_numbers`): its kind is NUMBER, its reason the words it gives
    numbers = json_numbers.checked_sql(f"SELECT {INDEX}, _text FROM {_TEXTS}")
    kind = (
        f"CASE WHEN _number IS NOT NULL AND {_KIND_SQL} = 'OBJECT' THEN 'NUMBER' "
        f"ELSE {_KIND_SQL} END"
    )
    return (
        f"WITH texts AS MATERIALIZED (SELECT {INDEX}, _text, {kind} AS {_KIND}, _number "
        f"FROM ({numbers})) "
        f"SELECT {INDEX}, 'OBJECT' AS {_KIND}, {outputs}, _reason, _column, "
        f"CASE _column {shown} END AS {_SHOWN} FROM ({typed}) "
        f"UNION ALL BY NAME SELECT {INDEX}, {_KIND}, _number AS _reason FROM texts "
        f"WHERE {_KIND} IS DISTINCT FROM 'OBJECT' ORDER BY {INDEX}"
    )


def _plan(name: str, source: SourceConfig) -> ColumnPlan:
    """Return the format step's plan of a declared field (a number's decimal mark told by
    its own value), its checks' reasons replaced by their kinds, plus the required check the
    format step adds and the check that a time is one Python holds."""
    config = source.columns[name]
    raw = as_text(name)
    kind = _WIDENED.get(config.type, config.type)
    bare = ColumnPlan(name=name, type=kind, raw=raw, value=raw, config=config)
    plan = rules.apply(bare, source)
    if types.is_number(kind):
        plan = replace(plan, typed=_by_own_mark(bare, plan, source))
    kinds = _check_kinds(bare, source)
    checks = [
        Check(check.failed, quote_literal(kinds.get(check, "not_cast"))) for check in plan.checks
    ]
    if config.required:
        checks.append(Check(f"{rules.typed_ref(name)} IS NULL", quote_literal("missing")))
    if kind in types.TIME_TYPES:
        checks.append(Check(_outside_years(rules.typed_ref(name)), quote_literal("range")))
    return replace(plan, checks=tuple(checks))


def _check_kinds(bare: ColumnPlan, source: SourceConfig) -> dict[Check, str]:
    """Return the kind of each check the format step's rules give a field, by rule."""
    by_rule = (
        (rules.refuse_control_bytes, "nul"),
        (rules.cast_to_canonical_types, "ambiguous"),
        (rules.refuse_lost_values, "not_cast"),
    )
    return {check: kind for rule, kind in by_rule for check in rule(bare, source).checks}


def _outside_years(typed: str) -> str:
    """Return SQL true for a time outside years 1 to 9999 (UTC), which Python cannot hold."""
    return (
        f"({typed} < TIMESTAMPTZ '0001-01-01 00:00:00+00' "
        f"OR {typed} >= TIMESTAMPTZ '10000-01-01 00:00:00+00')"
    )


def _by_own_mark(bare: ColumnPlan, undecided: ColumnPlan, source: SourceConfig) -> str:
    """Return the typed SQL of a number read with the decimal mark its own text shows, as
    the format step reads it in a file whose other values of the column show none."""
    value = undecided.value_ref
    dot = types.decimal_evidence_sql(value, ".")
    comma = types.decimal_evidence_sql(value, ",")
    by_dot = rules.apply(replace(bare, decimal="."), source).typed
    by_comma = rules.apply(replace(bare, decimal=","), source).typed
    return (
        f"CASE WHEN {dot} AND NOT {comma} THEN {by_dot} "
        f"WHEN {comma} AND NOT {dot} THEN {by_comma} ELSE {undecided.typed} END"
    )


def _path(name: str) -> str:
    return quote_literal("$." + json.dumps(name))


class _Reader:
    """A thread's cursor of the events database: the texts' table and, per stream, the
    statement reading it, prepared once (planning it costs more than running it)."""

    def __init__(self, database: duckdb.DuckDBPyConnection) -> None:
        self.cursor = database.cursor()
        self.cursor.execute(f"CREATE TEMP TABLE {_TEXTS} ({INDEX} BIGINT, _text VARCHAR)")
        self.statements: dict[str, str] = {}

    def run(self, sql: str, batch: pa.Table) -> pa.Table:
        """Return the result of the statement `sql` over the texts of `batch`."""
        name = self.statements.get(sql)
        if name is None:
            name = f"read_{len(self.statements)}"
            self.cursor.execute(f"PREPARE {name} AS {sql}")
            self.statements[sql] = name
        try:
            self.cursor.from_arrow(batch).insert_into(_TEXTS)
            return self.cursor.execute(f"EXECUTE {name}").to_arrow_table()
        finally:
            self.cursor.execute(f"TRUNCATE {_TEXTS}")


_READERS = threading.local()


def _reader() -> _Reader:
    """Return this thread's reader (made on first use)."""
    reader = getattr(_READERS, "reader", None)
    if reader is None:
        reader = _READERS.reader = _Reader(_database())
    return reader


def _database() -> duckdb.DuckDBPyConnection:
    """Return the process's DuckDB database for reading events (opened on first use)."""
    global _DATABASE
    with _OPENING:
        if _DATABASE is None:
            _DATABASE = sealed_database()
        return _DATABASE
