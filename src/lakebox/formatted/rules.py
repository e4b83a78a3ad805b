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
from lakebox.config.units import UNITS
from lakebox.formatted import names, taxes, types, units
from lakebox.ground.sql import quote_identifier, quote_literal


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
    decimal: str | None = None  # a number's decimal mark: declared, else told by its values

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


# A text value a producer neutralised for spreadsheets: a tab before what would start a
# formula (= + - @). Trimming keeps that tab.
NEUTRALISED_FORMULA = "^[ \t\r\n\u00a0]*\t[=+@-]"


def strip_whitespace(column: ColumnPlan, source: SourceConfig) -> ColumnPlan:
    """Trim spaces, tabs, line breaks and non-breaking spaces around text (only text that has
    any: trimming a set of characters costs DuckDB several times more than the check).
    A database's values are kept as they are. In a text column, the tab a producer put
    before a formula (a tab, then =1+1) stays: trimmed, the value would run in a spreadsheet."""
    if source.typed:
        return column
    value = column.value
    padded = " OR ".join(
        [f"starts_with({value}, ' ')", f"ends_with({value}, ' ')"]
        + [f"contains({value}, {quote_literal(character)})" for character in "\t\r\n\u00a0"]
    )
    trimmed = f"trim({value}, ' \t\r\n\u00a0')"
    if column.type == "VARCHAR":
        kept = f"regexp_matches({value}, {quote_literal(NEUTRALISED_FORMULA)})"
        trimmed = f"CASE WHEN {kept} THEN chr(9) ELSE '' END || {trimmed}"
    return replace(column, value=f"CASE WHEN {padded} THEN {trimmed} ELSE {value} END")


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
    # list_contains, not IN: DuckDB plans an IN list of more than a few constants as a join
    # of its own, which made typing a wide file several times slower
    tokens = ", ".join(quote_literal(token) for token in source.null_tokens)
    found = f"list_contains([{tokens}], {column.value})"
    return replace(column, value=f"CASE WHEN {found} THEN NULL ELSE {column.value} END")


_AMBIGUOUS_REASON = (
    "' is ambiguous: its comma may separate thousands or decimals, and no other value of "
    "the column tells which (declare the column's decimal: '.' or ',')"
)


def cast_to_canonical_types(column: ColumnPlan, source: SourceConfig) -> ColumnPlan:
    """Cast the cleaned text to the column's type (NULL when it will not cast; the final
    guard, `refuse_lost_values`, quarantines such rows without casting a second time)."""
    formats = column.config.formats or source.date_formats
    decimal = column.config.decimal or column.decimal
    typed = types.cast_sql(column.value_ref, column.type, formats, decimal)
    if decimal is not None or not types.is_number(column.type):
        return replace(column, typed=typed)
    ambiguous = Check(
        f"(contains({column.value_ref}, ',') AND "
        f"regexp_matches({column.value_ref}, {quote_literal(types.AMBIGUOUS)}))",
        f"{quote_literal(column.name + ': ' + chr(39))} || {column.value_ref} || "
        f"{quote_literal(_AMBIGUOUS_REASON)}",
    )
    return replace(column, typed=typed, checks=(*column.checks, ambiguous))


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


def convert_units_by_date(column: ColumnPlan, source: SourceConfig) -> ColumnPlan:
    """Convert a quantity to the declared unit, the row's unit chosen by its date: the
    `source_unit` until the first date of `unit_since`, then each date's unit. A row whose
    date is empty or not a date is refused, never converted by guess."""
    changes = column.config.unit_since
    if not changes:
        return column
    day, config = _row_date(column, source), column.config
    since = sorted(changes.items(), reverse=True)
    cases = " ".join(
        f"WHEN {day} >= DATE '{start}' THEN {_factor(unit, config)}" for start, unit in since
    )
    before = f"WHEN {day} < DATE '{since[-1][0]}' THEN {_factor(_source_unit(config), config)}"
    typed = f"({column.typed}) * CASE {cases} {before} END"
    return _with_check(_retyped(column, typed), _undated(column, day, "the unit"))


def convert_units_by_magnitude(column: ColumnPlan, source: SourceConfig) -> ColumnPlan:
    """Convert a quantity to the declared unit, the row's unit chosen by its size: a value
    whose absolute value is above a threshold of `unit_above` is in that threshold's unit
    (the highest threshold passed wins), any other in `source_unit`."""
    thresholds = column.config.unit_above
    if not thresholds:
        return column
    config, size = column.config, f"abs({column.typed})"
    cases = " ".join(
        f"WHEN {size} > {threshold!r} THEN {_factor(thresholds[threshold], config)}"
        for threshold in sorted(thresholds, reverse=True)
    )
    otherwise = _factor(_source_unit(config), config)
    return _retyped(column, f"({column.typed}) * CASE {cases} ELSE {otherwise} END")


def prices_to_net_or_gross(column: ColumnPlan, source: SourceConfig) -> ColumnPlan:
    """Store a price net (or gross) of tax: within the periods of `tax.included` the source's
    price holds tax at the period's rate, outside them it does not. With dated periods, a
    row whose date is empty or not a date is refused."""
    tax = column.config.tax
    if tax is None:
        return column
    day = _row_date(column, source) if tax.dated else "NULL"
    priced = _retyped(column, taxes.stored_price_sql(f"({column.typed})", tax, day))
    if not tax.dated:
        return priced
    return _with_check(priced, _undated(column, day, "whether tax is included"))


def names_to_canonical_form(column: ColumnPlan, source: SourceConfig) -> ColumnPlan:
    """Write person names one way, "First Last" (see `names`); refuse a value that clearly
    is not a name (digits, @, no letter)."""
    if column.config.name_format != "first_last":
        return column
    check = Check(
        names.not_a_name_sql(column.value_ref),
        f"{quote_literal(column.name + ': ' + chr(39))} || left({column.value_ref}, 200) "
        f"|| {quote_literal(chr(39) + ' does not look like a person' + chr(39) + 's name')}",
    )
    return _with_check(_retyped(column, names.canonical_sql(column.typed)), check)


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
    convert_units_by_date,
    convert_units_by_magnitude,
    prices_to_net_or_gross,
    names_to_canonical_form,
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


def _with_check(column: ColumnPlan, check: Check) -> ColumnPlan:
    return replace(column, checks=(*column.checks, check))


def _factor(unit: str, config: ColumnConfig) -> str:
    """Return the factor from `unit` to the column's unit, as a SQL number."""
    target = str(config.unit)
    return repr(UNITS[unit.lower()][1] / UNITS[target.lower()][1])


def _source_unit(config: ColumnConfig) -> str:
    """Return the unit the source wrote before any change or below every threshold."""
    return config.source_unit or str(config.unit)


def _row_date(column: ColumnPlan, source: SourceConfig) -> str:
    """Return SQL giving the row's date, read from the cleaned text of `date_column` with
    that column's `formats` (or the source's `date_formats`)."""
    name = str(column.config.date_column)
    declared = source.columns.get(name)
    formats = (declared.formats if declared else []) or source.date_formats
    return f"({types.cast_sql(value_ref(name), 'DATE', formats)})"


def _undated(column: ColumnPlan, day: str, deciding: str) -> Check:
    """Return the check refusing a value whose row has no date to decide `deciding` by."""
    date_column = str(column.config.date_column)
    reason = (
        f"{quote_literal(f'{column.name}: cannot tell {deciding}: {date_column} ')} || "
        f"coalesce({quote_literal(chr(39))} || left({value_ref(date_column)}, 200) || "
        f"{quote_literal(chr(39) + ' is not a date')}, 'is empty')"
    )
    return Check(f"({column.value_ref} IS NOT NULL AND {day} IS NULL)", reason)
