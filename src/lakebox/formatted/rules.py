"""The cleaning rules of the formatted zone, applied in order to each column's SQL.

Each rule is a small pure function `(ColumnPlan, SourceConfig) -> ColumnPlan`: it rewrites the
column's text expression (`value`), its typed expression (`typed`), or adds a check whose
failure sends the row to quarantine with a reason. Adding a rule never touches another.
Row-level rules (duplicates) live in `dedup.py`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

from lakebox.config import ColumnConfig, SourceConfig
from lakebox.engine import quote_literal
from lakebox.engine.duckdb import quote_identifier
from lakebox.formatted import types, units


@dataclass(frozen=True)
class Check:
    """A condition that makes a row invalid, and the reason given for it."""

    failed: str  # SQL, true when the row is invalid
    reason: str  # SQL giving the text of the reason


@dataclass(frozen=True)
class ColumnPlan:
    """How one canonical column is computed from the raw text columns."""

    name: str
    type: str
    raw: str  # SQL over the raw VARCHAR columns
    value: str  # SQL over the raw columns: the cleaned text
    typed: str = ""  # SQL over the cleaned text columns (`value_ref`), the typed value
    checks: tuple[Check, ...] = ()
    config: ColumnConfig = field(default_factory=ColumnConfig)

    @property
    def value_ref(self) -> str:
        """Return the reference to this column's cleaned text in later stages."""
        return value_ref(self.name)

    @property
    def output_type(self) -> str:
        """Return the type written to the table (timestamps are stored in UTC)."""
        return "TIMESTAMPTZ" if self.type in types.TIME_TYPES else self.type


Rule = Callable[[ColumnPlan, SourceConfig], ColumnPlan]


def value_ref(name: str) -> str:
    """Return the quoted name of a column's cleaned-text stage column."""
    return quote_identifier(f"v.{name}")


def typed_ref(name: str) -> str:
    """Return the quoted name of a column's final typed stage column."""
    return quote_identifier(f"t.{name}")


def strip_whitespace(column: ColumnPlan, source: SourceConfig) -> ColumnPlan:
    """Trim spaces, tabs, line breaks and non-breaking spaces around text (only text that has
    any: trimming a set of characters costs DuckDB several times more than the check).
    A database's values are kept as they are."""
    if source.typed:
        return column
    value = column.value
    padded = " OR ".join(
        [f"starts_with({value}, ' ')", f"ends_with({value}, ' ')"]
        + [f"contains({value}, {quote_literal(character)})" for character in "\t\r\n\u00a0"]
    )
    return replace(
        column, value=f"CASE WHEN {padded} THEN trim({value}, ' \t\r\n\u00a0') ELSE {value} END"
    )


def refuse_control_bytes(column: ColumnPlan, source: SourceConfig) -> ColumnPlan:
    """Refuse text holding a NUL byte: never data, usually a corrupt export."""
    check = Check(
        f"coalesce(contains({column.value_ref}, chr(0)), false)",
        quote_literal(f"{column.name}: holds a NUL byte"),
    )
    return replace(column, checks=(*column.checks, check))


def null_tokens_to_null(column: ColumnPlan, source: SourceConfig) -> ColumnPlan:
    """Turn the source's null tokens (empty, NULL, N/A, …) into SQL NULL (not for a database,
    where a NULL is a NULL and 'NA' may be Namibia)."""
    if not source.null_tokens or source.typed:
        return column
    tokens = ", ".join(quote_literal(token) for token in source.null_tokens)
    return replace(
        column, value=f"CASE WHEN {column.value} IN ({tokens}) THEN NULL ELSE {column.value} END"
    )


def cast_to_canonical_types(column: ColumnPlan, source: SourceConfig) -> ColumnPlan:
    """Cast the cleaned text to the column's type (NULL when it will not cast; the final
    guard, `refuse_lost_values`, quarantines such rows without casting a second time)."""
    formats = column.config.formats or source.date_formats
    return replace(column, typed=types.cast_sql(column.value_ref, column.type, formats))


def timestamps_to_utc(column: ColumnPlan, source: SourceConfig) -> ColumnPlan:
    """Read local times in the declared time zone; keep explicit offsets; store UTC."""
    if column.type not in types.TIME_TYPES:
        return column
    zone = quote_literal(column.config.timezone or source.timezone)
    value = column.value_ref
    # the LIKEs are a cheap first look; the regular expression decides
    maybe = f"({value}[11:] LIKE '%+%' OR {value}[11:] LIKE '%-%' OR {value} LIKE '%Z')"
    offset = f"regexp_matches({value}, {quote_literal(types.OFFSET_PATTERN)})"
    local = f"timezone({zone}, ({column.typed})::TIMESTAMP)"
    typed = (
        f"CASE WHEN NOT {maybe} THEN {local} "
        f"WHEN {offset} THEN {types.offset_timestamp_sql(value)} ELSE {local} END"
    )

    return _retyped(column, typed)


def convert_units(column: ColumnPlan, source: SourceConfig) -> ColumnPlan:
    """Convert a quantity to the declared unit, the row's unit read from `unit_from`."""
    target, unit_column = column.config.unit, column.config.unit_from
    if not target or not unit_column:
        return column
    factor = units.factor_sql(f"lower({value_ref(unit_column)})", target)
    typed = f"({column.typed}) * ({factor})"
    unknown = Check(
        f"({column.value_ref} IS NOT NULL AND ({factor}) IS NULL)",
        f"{quote_literal(column.name + ': unknown unit ')} || "
        f"coalesce({value_ref(unit_column)}, 'NULL')",
    )
    retyped = _retyped(column, typed)
    return replace(retyped, checks=(*retyped.checks, unknown))


def refuse_lost_values(column: ColumnPlan, source: SourceConfig) -> ColumnPlan:
    """Refuse a row whose value was present but came out NULL (it would not cast, or a later
    rule could not convert it): nothing is lost silently."""
    reason = (
        f"{quote_literal(column.name + ': ' + chr(39))} || left({column.value_ref}, 200) "
        f"|| {quote_literal(chr(39) + ' is not a ' + column.type)}"
    )

    check = Check(f"({column.value_ref} IS NOT NULL AND {typed_ref(column.name)} IS NULL)", reason)
    return replace(column, checks=(*column.checks, check))


RULES: tuple[Rule, ...] = (
    strip_whitespace,
    refuse_control_bytes,
    null_tokens_to_null,
    cast_to_canonical_types,
    timestamps_to_utc,
    convert_units,
    refuse_lost_values,
)


def apply(column: ColumnPlan, source: SourceConfig, rules: tuple[Rule, ...] = RULES) -> ColumnPlan:
    """Return `column` with every rule applied in order."""
    for rule in rules:
        column = rule(column, source)
    return column


def _retyped(column: ColumnPlan, typed: str) -> ColumnPlan:
    """Replace the typed expression; the cast check still guards the original parse."""
    return replace(column, typed=typed)
