"""The temp tables of one file's formatting, and the lines of its records: a CSV's records
are numbered in file order, and their lines shifted past the records the parser refused."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, fields

from lakebox.engine import DuckDBEngine
from lakebox.formatted.readers.base import RawInput

NO_REJECTS = (
    "SELECT NULL::BIGINT AS _line, NULL::VARCHAR AS _column, "
    "NULL::VARCHAR AS _reason, NULL::VARCHAR AS _raw WHERE false"
)
_NAMES = itertools.count(1)
_VIEWS = ("lined", "staged", "fast", "fast_staged", "text")


@dataclass(frozen=True)
class TempNames:
    """The DuckDB temp tables and views of one file's formatting (the last five: the typed
    path's records, their staged rules, the refused ones, the slow ones and their text read)."""

    raw: str
    lined: str
    rejects: str
    staged: str
    dropped: str
    fast: str
    fast_staged: str
    typed_rejects: str
    slow: str
    text: str

    @classmethod
    def next(cls) -> TempNames:
        """Return the names of a new formatting, none of them in use."""
        return cls.numbered(next(_NAMES))

    @classmethod
    def numbered(cls, number: int) -> TempNames:
        # "refused": a CSV reader's own rejects tables are named rejects_<n>
        prefix = {"rejects": "refused", "typed_rejects": "typed_refused"}
        return cls(*(f"{prefix.get(item.name, item.name)}_{number}" for item in fields(cls)))

    def drop(self, engine: DuckDBEngine) -> None:
        for item in fields(self):
            kind = "VIEW" if item.name in _VIEWS else "TABLE"
            engine.execute(f"DROP {kind} IF EXISTS {getattr(self, item.name)}")


def number_lines(engine: DuckDBEngine, raw: RawInput, names: TempNames, parsed: str) -> None:
    """Collect the records the parser refused (known once `parsed` was read), then give every
    parsed record its line in view `names.lined`."""
    group_rejects(engine, raw.rejects_sql or NO_REJECTS, names.rejects)
    lined = lined_sql(engine, raw, names.rejects, parsed)
    engine.execute(f"CREATE TEMP VIEW {names.lined} AS {lined}")


def group_rejects(engine: DuckDBEngine, refused: str, table: str, cast: bool = False) -> None:
    """Create `table`: one row per refused record (with `cast`: whether only a value that
    would not cast to its type refused it; a record refused for its fields as well is
    described by those errors alone, as the text read refuses it)."""
    column, reason = "first(_column)", "string_agg(DISTINCT _reason, '; ')"
    casts = ""
    if cast:
        column = f"CASE WHEN bool_and(_cast) THEN {column} ELSE {column} FILTER (NOT _cast) END"
        reason = f"CASE WHEN bool_and(_cast) THEN {reason} ELSE {reason} FILTER (NOT _cast) END"
        casts = ", bool_and(_cast) AS _cast"
    engine.execute(
        f"CREATE TEMP TABLE {table} AS SELECT _line::BIGINT AS _line, {column} AS _column, "
        f"{reason} AS _reason, first(_raw) AS _raw{casts} FROM ({refused}) GROUP BY _line"
    )


def lined_sql(engine: DuckDBEngine, raw: RawInput, rejects: str, parsed: str) -> str:
    """Give each record its line: ordinals shifted past the records in `rejects`."""
    if not raw.ordinal_is_line:
        return f"SELECT * FROM {parsed}"
    header = raw.header_lines
    refused = engine.execute(f"SELECT count(*) FROM {rejects}").fetchone()
    if not refused or not refused[0]:
        return f"SELECT *, _ordinal + {header} AS _line FROM {parsed}"
    gaps = (
        f"SELECT _line - {header} - row_number() OVER (ORDER BY _line) AS _good_before, "
        f"row_number() OVER (ORDER BY _line) AS _refused_before FROM {rejects}"
    )
    return (
        f"SELECT r.*, r._ordinal + {header} + coalesce(g._refused_before, 0) AS _line "
        f"FROM {parsed} r ASOF LEFT JOIN (SELECT _good_before, max(_refused_before) AS "
        f"_refused_before FROM ({gaps}) GROUP BY ALL) g ON r._ordinal > g._good_before"
    )
