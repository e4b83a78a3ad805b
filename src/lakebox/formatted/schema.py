"""A source's canonical schema: declared, or inferred from the first file and then frozen.

For each new file it decides which columns are added (evolution), which are widened, and
whether the file is incompatible (a column none of whose values fit the frozen type).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pyarrow as pa

from lakebox.config import ColumnConfig, SourceConfig
from lakebox.config.column_types import canonical
from lakebox.engine import DuckDBEngine
from lakebox.formatted import rules, sample, types
from lakebox.formatted.readers.base import normalise_name
from lakebox.ground.sql import quote_identifier

META_COLUMNS = ("_batch_id", "_source_file", "_source_line", "_ingested_at")


@dataclass
class FileSchema:
    """The canonical columns of one file, and what it changes in the table."""

    columns: list[rules.ColumnPlan]
    added: list[str] = field(default_factory=list)
    widened: list[str] = field(default_factory=list)
    incompatible: str | None = None
    absent: list[str] = field(default_factory=list)  # the table's or declared, not in the file


def resolve(
    engine: DuckDBEngine,
    raw_table: str,
    raw_columns: list[str],
    source: SourceConfig,
    existing: pa.Schema | None,
    type_hints: dict[str, str] | None = None,
) -> FileSchema:
    """Return the canonical schema for a file whose raw text sits in `raw_table`."""
    declared = {normalise_name(name, 0): config for name, config in source.columns.items()}
    present = _present(raw_columns, declared)
    frozen = _frozen_types(existing)
    names = list(dict.fromkeys([*frozen, *declared, *present]))
    hints = type_hints or {}
    sampled = {
        name: raw for name, raw in present.items() if _needs_sample(name, frozen, declared, hints)
    }
    numbers = {} if source.typed else _maybe_numbers(present, declared, frozen)
    marks, stats = _from_sample(
        engine, raw_table, present, (list(numbers), list(sampled)), source, frozenset(frozen)
    )
    result = FileSchema(columns=[], absent=[name for name in names if name not in present])
    for name in names:
        config = declared.get(name, ColumnConfig())
        wanted = _type_for(name, frozen, declared, stats, result, type_hints)
        raw = as_text(present[name]) if name in present else "NULL::VARCHAR"
        plan = rules.ColumnPlan(
            name=name, type=wanted, raw=raw, value=raw, config=config, decimal=marks.get(name)
        )
        result.columns.append(rules.apply(plan, source))
    return result


def note_decimal_marks(
    read_with: dict[str, object], detected: set[str], columns: list[rules.ColumnPlan]
) -> None:
    """Add the decimal marks the values of `columns` told (if any) to the settings a file
    was read with, as found in the file."""
    marks = {column.name: column.decimal for column in columns if column.decimal}
    if marks:
        read_with["decimal_marks"] = marks
        detected.add("decimal_marks")


def _maybe_numbers(
    present: dict[str, str], declared: dict[str, ColumnConfig], frozen: dict[str, str]
) -> dict[str, str]:
    """Return the present columns that may hold numbers whose decimal mark is not declared."""
    found = {}
    for name, raw in present.items():
        config = declared.get(name)
        if config is not None and config.decimal:
            continue
        kind = frozen.get(name) or (canonical(config.type) if config else None)
        if kind is None or types.is_number(kind):
            found[name] = raw
    return found


def _from_sample(
    engine: DuckDBEngine,
    raw_table: str,
    present: dict[str, str],
    wanted: tuple[list[str], list[str]],
    source: SourceConfig,
    frozen: frozenset[str],
) -> tuple[dict[str, str], dict[str, dict[str, int]]]:
    """Return the decimal marks of the columns that may hold numbers and the sampled counts
    of the sampled ones (`wanted`: both lists of names; see `_decimal_marks` and
    `_sample_stats`), read from one sample of the raw table."""
    numbers, sampled = wanted
    order = list(dict.fromkeys([*numbers, *sampled]))
    if not order:
        return {}, {}
    sample.take(engine, raw_table, [as_text(present[name]) for name in order], source)
    try:
        index = {name: position for position, name in enumerate(order)}
        marks = _decimal_marks(engine, {name: index[name] for name in numbers})
        stats = _sample_stats(
            engine, {name: index[name] for name in sampled}, source, marks, frozen
        )
    finally:
        sample.drop(engine)
    return marks, stats


def _decimal_marks(engine: DuckDBEngine, numbers: dict[str, int]) -> dict[str, str]:
    """Return the decimal mark of each numeric column (name → its place in the sample) whose
    sampled values tell it: some can only be numbers with '.' (1,234.5, 12.5) and none only
    with ',' (1.234,5, 12,5), or the mirror. Its other mark then separates thousands, so
    '1,234' reads 1234 with '.'."""
    dots = sample.evidence(engine, numbers.values(), ".")
    commas = sample.evidence(engine, numbers.values(), ",")
    marks = {}
    for name, column in numbers.items():
        dot, comma = dots.get(column, 0), commas.get(column, 0)
        if bool(dot) != bool(comma):
            marks[name] = "." if dot else ","
    return marks


def as_text(raw_column: str) -> str:
    """Return SQL reading a raw column as text: the rules apply text functions, and a reader
    may hand over a typed column (an all-empty workbook column comes out INTEGER)."""
    return f"CAST({quote_identifier(raw_column)} AS VARCHAR)"


def _needs_sample(
    name: str, frozen: dict[str, str], declared: dict[str, ColumnConfig], hints: dict[str, str]
) -> bool:
    """Return whether a column's type is decided from sampled values: to infer it, or to check
    values against the table's frozen type (not when the file itself types it the same)."""
    if name in frozen:
        return hints.get(name) != frozen[name]
    return name not in declared and name not in hints


def _present(raw_columns: list[str], declared: dict[str, ColumnConfig]) -> dict[str, str]:
    """Map canonical name → raw column for the columns the file has (renames resolved)."""
    aliases = {
        normalise_name(old, 0): name
        for name, config in declared.items()
        for old in config.rename_from
    }
    return {aliases.get(raw, raw): raw for raw in raw_columns}


def _frozen_types(existing: pa.Schema | None) -> dict[str, str]:
    if existing is None:
        return {}
    return {
        item.name: types.arrow_to_sql(item.type)
        for item in existing
        if item.name not in META_COLUMNS
    }


def _type_for(
    name: str,
    frozen: dict[str, str],
    declared: dict[str, ColumnConfig],
    stats: dict[str, dict[str, int]],
    result: FileSchema,
    type_hints: dict[str, str] | None,
) -> str:
    if name in frozen:
        return _check_frozen(name, frozen[name], stats.get(name), result)
    result.added.append(name)
    if name in declared:
        return canonical(declared[name].type)
    if type_hints and name in type_hints:
        return type_hints[name]
    return _inferred(stats.get(name))


def _check_frozen(name: str, current: str, stat: dict[str, int] | None, result: FileSchema) -> str:
    """Keep the frozen type, widen it where Iceberg allows, or flag the file incompatible."""
    if not stat or not stat["_count"] or stat.get(_key(current), 0) == 0:
        return current
    for wider in ("BIGINT", "DOUBLE"):
        if types.widening(current, wider) and stat.get(_key(wider), 0) == 0:
            result.widened.append(name)
            return wider
    if stat[_key(current)] == stat["_count"]:
        result.incompatible = result.incompatible or (
            f"column {name!r} is {current} in the table but none of its {stat['_count']} "
            f"sampled values fit (they look like {_inferred(stat)})"
        )
    return current


def _inferred(stat: dict[str, int] | None) -> str:
    if not stat or not stat["_count"]:
        return "VARCHAR"
    tolerated = stat["_count"] // 100  # a stray bad value is quarantined, not a VARCHAR column
    return next(kind for kind in types.INFERENCE_ORDER if stat.get(_key(kind), 0) <= tolerated)


def _sample_stats(
    engine: DuckDBEngine,
    present: dict[str, int],
    source: SourceConfig,
    marks: dict[str, str],
    frozen: frozenset[str] = frozenset(),
) -> dict[str, dict[str, int]]:
    """Count, per column (name → its place in the sample), its non-null values and those each
    type would refuse: every type for a `frozen` column; for another, the types of
    INFERENCE_ORDER up to the first one that fits (all `_inferred` reads), one round per
    type, so a column of numbers is never tried as a date."""
    if not present:
        return {}
    stats = {
        name: {"_count": count}
        for name, count in _by_name(present, sample.non_null(engine, present.values())).items()
    }
    every = (*types.INFERENCE_ORDER, "INTEGER", "SMALLINT", "FLOAT")
    for kind in every:
        _merge(
            stats,
            _counted(
                engine, [name for name in present if name in frozen], present, kind, source, marks
            ),
        )
    for kind in types.INFERENCE_ORDER[:-1]:  # VARCHAR refuses nothing
        open_columns = [name for name in present if name not in frozen and _unfit(stats[name])]
        if not open_columns:
            break
        _merge(stats, _counted(engine, open_columns, present, kind, source, marks))
    return stats


def _unfit(stat: dict[str, int]) -> bool:
    """Return whether no type counted for a column yet fits its sampled values."""
    tolerated = stat["_count"] // 100
    tried = [count for key, count in stat.items() if key != "_count"]
    return bool(stat["_count"]) and all(count > tolerated for count in tried)


def _counted(
    engine: DuckDBEngine,
    names: list[str],
    present: dict[str, int],
    kind: str,
    source: SourceConfig,
    marks: dict[str, str],
) -> dict[str, dict[str, int]]:
    """Count, per column of `names`, the sampled values type `kind` refuses: one query per
    decimal mark the columns are read with."""
    stats: dict[str, dict[str, int]] = {}
    for mark in dict.fromkeys(marks.get(name) for name in names):
        chosen = {name: present[name] for name in names if marks.get(name) == mark}
        counts = sample.refused(engine, chosen.values(), kind, source.date_formats, mark)
        for name, count in _by_name(chosen, counts).items():
            stats[name] = {_key(kind): count}
    return stats


def _by_name(columns: dict[str, int], counts: dict[int, int]) -> dict[str, int]:
    """Return `counts` (by place in the sample) by column name."""
    return {name: counts.get(column, 0) for name, column in columns.items()}


def _merge(stats: dict[str, dict[str, int]], more: dict[str, dict[str, int]]) -> None:
    for name, counts in more.items():
        stats.setdefault(name, {}).update(counts)


def _key(kind: str) -> str:
    return f"refused:{kind}"
