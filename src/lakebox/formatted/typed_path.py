"""The typed fast path of a delimited file: DuckDB's own reader parses numeric columns
straight to numbers, and only the records it refuses go through the text rules.

One streaming pass reads the file with numbers typed (the other columns as text, their
rules applied in the same pass) into a staged Parquet file whose rows keep file order. A
record is "slow" when the reader refuses one of its values, when a number it read might not
be what the text rules make of the same text (a guard says so), or when any check fails.
Slow records, when there are any, are read again as text and formatted by the text path
(`staging.typed_select` over the raw columns), so their values, reasons and raw text are
the text path's own. Both parts then meet in one view with the text path's columns.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from lakebox.config import SourceConfig
from lakebox.engine import DuckDBEngine
from lakebox.errors import QueryError
from lakebox.formatted import staging, types
from lakebox.formatted.lines import NO_REJECTS, TempNames, group_rejects, lined_sql
from lakebox.formatted.readers.base import RawInput
from lakebox.formatted.rules import Check, ColumnPlan, typed_ref
from lakebox.ground.sql import quote_identifier, quote_literal

# A double read as an integer is exact, and the text rules' rounding cannot differ from it,
# below 2^50: any text closer than an eighth to an integer there rounds to that integer.
_EXACT_INTEGER = 2**50
_SLOW = "lakebox: a record needs the text rules"
_SPACES = " \t\r\n\u00a0"  # what the text rules trim around a value (strip_whitespace)
_RULED = ("unit", "unit_from", "unit_since", "unit_above", "tax", "name_format")


def usable(raw: RawInput) -> bool:
    """Return whether the typed path can read `raw`: a reader gives a typed scan, and no
    column is named file_row_number (the staged file's record numbers are read under it)."""
    return raw.typed_scan is not None and "file_row_number" not in raw.columns


def read_type(column: ColumnPlan, source: SourceConfig, referenced: set[str]) -> str | None:
    """Return the type DuckDB's reader parses `column` as (DOUBLE), or None for text: only
    integers and doubles with '.' (or no) decimal mark, no conversion rule, and not read as
    text by another column's rule."""
    numeric = column.type in (*types.INTEGER_TYPES, "DOUBLE")
    decimal = column.config.decimal or column.decimal
    ruled = any(getattr(column.config, name, None) for name in _RULED)
    if not numeric or decimal == "," or ruled or column.name in referenced or source.typed:
        return None
    return "DOUBLE"


def referenced_columns(columns: list[ColumnPlan]) -> set[str]:
    """Return the columns whose cleaned text other columns' rules read."""
    found = set()
    for column in columns:
        found |= {str(column.config.unit_from)} if column.config.unit_from else set()
        found |= {str(column.config.date_column)} if column.config.date_column else set()
    return found


def fast_plan(column: ColumnPlan, raw_name: str, null_tokens: Sequence[str] = ()) -> ColumnPlan:
    """Return `column` computed from the DOUBLE DuckDB read: its value when a guard proves it
    is the one the text rules give, else NULL with a check that makes the record slow.

    A number that equals a null token (`-999`) is slow: the reader read ' -999 ' as a number,
    the text rules trim it and take it for NULL."""
    value = quote_identifier(raw_name)
    ref = column.value_ref
    if column.type == "DOUBLE":
        typed = f"CASE WHEN NOT isnan({ref}) THEN {ref} END"
    else:
        typed = (
            f"CASE WHEN isfinite({ref}) AND {ref} = trunc({ref}) AND abs({ref}) < "
            f"{_EXACT_INTEGER} THEN TRY_CAST({ref} AS {column.type}) END"
        )
    numeric = [token for token in null_tokens if _may_be_number(token)]
    if numeric:
        listed = ", ".join(f"TRY_CAST({quote_literal(token)} AS DOUBLE)" for token in numeric)
        typed = f"CASE WHEN {ref} IN ({listed}) THEN NULL ELSE {typed} END"
    slow = Check(f"({ref} IS NOT NULL AND {typed_ref(column.name)} IS NULL)", "'slow'")
    # the key and required checks; the text checks cannot fail on a number the reader read
    kept = tuple(check for check in column.checks if check.failed == _null_check(column))
    return replace(column, raw=value, value=value, typed=typed, checks=(slow, *kept))


def _may_be_number(token: str) -> bool:
    """Return whether a null token might read as a number other than NaN (guarded anyway)."""
    return any(character.isdigit() for character in token) or "inf" in token.lower()


def _null_check(column: ColumnPlan) -> str:
    return f"{typed_ref(column.name)} IS NULL"


def null_strings(source: SourceConfig) -> list[str]:
    """Return the texts the typed read takes for NULL: an empty field, and the null tokens
    (the text rules make each of them NULL in every column) but those with spaces around
    them, which trimmed text never equals."""
    trimmed = [token for token in source.null_tokens if token == token.strip(_SPACES)]
    return list(dict.fromkeys(["", *trimmed]))


def stage(
    engine: DuckDBEngine,
    raw: RawInput,
    source: SourceConfig,
    columns: list[ColumnPlan],
    names: TempNames,
    work: Path,
    meta: tuple[str, str, str],
) -> Path | None:
    """Stage the file's records as the text path does — views `names.staged` and
    `names.lined` with the typed columns, `_reason`, `_column`, `_raw`, `_hash`, `_ordinal`
    and `_line`, table `names.rejects` — with the typed read doing most of the work.

    When no record is slow, the good rows are written once, with the meta columns (of
    `meta`: batch id, landed path, stamp), into a finished Parquet file whose path is
    returned (the views then read it)."""
    _typed_pass(engine, raw, source, columns, work, names)
    fast = lined_sql(engine, raw, names.typed_rejects, names.fast_staged)
    engine.execute(f"CREATE TEMP VIEW {names.fast} AS {fast}")
    outputs = "".join(f"{quote_identifier(column.name)}, " for column in columns)
    if not _any_cast_refused(engine, names):
        finished = work / "typed.parquet"
        # no WHERE: a filter on the checks would be pushed below the typed values and
        # compute them twice; a slow record stops the COPY instead
        line = f"CASE WHEN _reason IS NULL THEN _line ELSE error({quote_literal(_SLOW)}) END"
        good = f"SELECT {outputs}{staging.meta_columns(*meta, line=line)} FROM {names.fast}"
        if _write_all(engine, good, finished):
            _keep_rejects(engine, names)
            _view_finished(engine, columns, names, finished)
            return finished
    kept = f"SELECT {outputs}_reason, _column, _raw, _hash, _line AS _ordinal, _line FROM "
    fast_file = quote_literal(str(work / "fast.parquet"))
    engine.execute(
        f"COPY (SELECT * FROM {names.fast}) TO {fast_file} (FORMAT parquet, COMPRESSION lz4)"
    )
    engine.execute(f"CREATE OR REPLACE TEMP VIEW {names.fast} AS FROM read_parquet({fast_file})")
    parts = [f"{kept}{names.fast} WHERE _reason IS NULL"]
    if _any_slow(engine, names):
        parts.append(kept + _slow_records(engine, raw, columns, names, work))
    else:
        _keep_rejects(engine, names)
    union = " UNION ALL ".join(parts)
    engine.execute(f"CREATE TEMP VIEW {names.staged} AS {union}")
    engine.execute(f"CREATE TEMP VIEW {names.lined} AS SELECT * FROM {names.staged}")
    return None


def _any_cast_refused(engine: DuckDBEngine, names: TempNames) -> bool:
    row = engine.execute(
        f"SELECT EXISTS (SELECT 1 FROM {names.typed_rejects} WHERE _cast)"
    ).fetchone()
    return bool(row and row[0])


def _write_all(engine: DuckDBEngine, good: str, target: Path) -> bool:
    """Write `good` into `target`; return False when a slow record stopped it."""
    try:
        engine.copy_to_parquet(good, target)
    except QueryError as error:
        if _SLOW not in str(error):
            raise
        target.unlink(missing_ok=True)
        return False
    return True


def _keep_rejects(engine: DuckDBEngine, names: TempNames) -> None:
    """Keep the typed read's refused records as the file's (none of them on a cast)."""
    engine.execute(
        f"CREATE TEMP TABLE {names.rejects} AS SELECT * EXCLUDE (_cast) FROM {names.typed_rejects}"
    )


def _view_finished(
    engine: DuckDBEngine, columns: list[ColumnPlan], names: TempNames, finished: Path
) -> None:
    """Make the staged views read the finished file of good rows."""
    hashed = ", ".join(quote_identifier(column.name) for column in columns)
    engine.execute(
        f"CREATE TEMP VIEW {names.staged} AS SELECT *, _source_line AS _ordinal, "
        f"_source_line AS _line, NULL::VARCHAR AS _reason, NULL::VARCHAR AS _column, "
        f"NULL::VARCHAR AS _raw, hash({hashed}) AS _hash "
        f"FROM read_parquet({quote_literal(str(finished))})"
    )
    engine.execute(f"CREATE TEMP VIEW {names.lined} AS SELECT * FROM {names.staged}")


def _any_slow(engine: DuckDBEngine, names: TempNames) -> bool:
    """Return whether a record needs the text path: a value the typed read refused, or a
    record of the typed pass with a failed check or guard."""
    row = engine.execute(
        f"SELECT EXISTS (SELECT 1 FROM {names.typed_rejects} WHERE _cast) OR "
        f"EXISTS (SELECT 1 FROM {names.fast} WHERE _reason IS NOT NULL)"
    ).fetchone()
    return bool(row and row[0])


def _slow_records(
    engine: DuckDBEngine,
    raw: RawInput,
    columns: list[ColumnPlan],
    names: TempNames,
    work: Path,
) -> str:
    """Read the file as text, as the text path does, and format its slow records there;
    return the Parquet scan of their staged rows. The text read's refused records become
    `names.rejects`."""
    engine.execute(
        f"CREATE TEMP TABLE {names.slow} AS SELECT _line FROM {names.fast} WHERE _reason IS "
        f"NOT NULL UNION SELECT _line FROM {names.typed_rejects} WHERE _cast"
    )
    engine.execute(
        f"CREATE TEMP TABLE {names.raw} AS "
        f"SELECT row_number() OVER () AS _ordinal, * FROM ({raw.select_sql})"
    )
    group_rejects(engine, raw.rejects_sql or NO_REJECTS, names.rejects)
    engine.execute(
        f"CREATE TEMP VIEW {names.text} AS {lined_sql(engine, raw, names.rejects, names.raw)}"
    )
    slow = f"(SELECT * FROM {names.text} WHERE _line IN (SELECT _line FROM {names.slow}))"
    slow_file = work / "slow.parquet"
    staging.write_typed(engine, columns, ["_ordinal", "_line"], slow, slow_file)
    return f"read_parquet({quote_literal(str(slow_file))})"


def _typed_pass(
    engine: DuckDBEngine,
    raw: RawInput,
    source: SourceConfig,
    columns: list[ColumnPlan],
    work: Path,
    names: TempNames,
) -> None:
    """Parse the file with numbers typed into a Parquet file in file order (a bare scan: a
    parallel COPY of a complex projection need not keep order) and its refused records into
    `names.typed_rejects`; view `names.fast_staged` numbers the records and applies the
    rules."""
    assert raw.typed_scan is not None
    kinds, plans = typed_plans(columns, source)
    select, rejects = raw.typed_scan(kinds, null_strings(source))
    parsed = quote_literal(str(work / "parsed.parquet"))
    engine.execute(f"COPY ({select}) TO {parsed} (FORMAT parquet, COMPRESSION lz4)")
    group_rejects(engine, rejects, names.typed_rejects, cast=True)
    numbered = (
        f"(SELECT *, file_row_number + 1 AS _ordinal "
        f"FROM read_parquet({parsed}, file_row_number=true))"
    )
    if staging.is_wide(plans):  # typed once, in parts (see staging.write_typed)
        staged = work / "fast_staged.parquet"
        staging.write_typed(engine, plans, ["_ordinal"], numbered, staged)
        typed = f"SELECT * FROM read_parquet({quote_literal(str(staged))})"
    else:
        typed = staging.typed_select(plans, ["_ordinal"], numbered)
    engine.execute(f"CREATE TEMP VIEW {names.fast_staged} AS {typed}")


def typed_plans(
    columns: list[ColumnPlan], source: SourceConfig
) -> tuple[dict[str, str], list[ColumnPlan]]:
    """Return the types DuckDB's reader parses raw columns as (raw column → type) and the
    plans of `columns` over what it reads (`fast_plan` for a column it reads typed)."""
    referenced = referenced_columns(columns)
    kinds: dict[str, str] = {}
    plans = []
    for column in columns:
        raw_name = _raw_name(column)
        kind = read_type(column, source, referenced) if raw_name else None
        if raw_name and kind:
            kinds[raw_name] = kind
            plans.append(fast_plan(column, raw_name, source.null_tokens))
        else:
            plans.append(column)
    return kinds, plans


def _raw_name(column: ColumnPlan) -> str | None:
    """Return the raw column a plan reads (schema.as_text's CAST("x" AS VARCHAR)), or None."""
    prefix, suffix = "CAST(", " AS VARCHAR)"
    if not (column.raw.startswith(prefix) and column.raw.endswith(suffix)):
        return None
    quoted = column.raw[len(prefix) : -len(suffix)]
    if not (quoted.startswith('"') and quoted.endswith('"')):
        return None
    return quoted[1:-1].replace('""', '"')
