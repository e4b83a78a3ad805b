"""SQL fragments every rule shares: quoting, entity labels, severity levels, readable numbers."""

from __future__ import annotations

from lakebox.config.anomalies import AnomalyRuleConfig
from lakebox.ground.sql import quote_identifier, quote_literal

# The columns every rule's SELECT gives, in this order.
RULE_COLUMNS = (
    "entity",
    "ids",
    "ts",
    "ts_end",
    "value",
    "expected",
    "deviation",
    "severity",
    "detail",
)


def relation(table: str) -> str:
    """Return `zone.table` quoted for DuckDB."""
    zone, _, name = table.partition(".")
    return f"{quote_identifier(zone)}.{quote_identifier(name)}"


def source_rows(rule: AnomalyRuleConfig) -> str:
    """Return a subquery of the rule's table, filtered by its `where`."""
    where = f" WHERE ({rule.where})" if rule.where else ""
    return f"(SELECT * FROM {relation(rule.table)}{where})"


def id_list(ids: list[str], alias: str = "", trailing: bool = False) -> str:
    """Return the id columns quoted and comma-separated ('' when there are none)."""
    prefix = f"{alias}." if alias else ""
    listed = ", ".join(prefix + quote_identifier(column) for column in ids)
    return f"{listed}, " if listed and trailing else listed


def partition_by(*parts: str) -> str:
    """Return `PARTITION BY …` of the non-empty parts, or '' when all are empty."""
    kept = [part for part in parts if part]
    return f"PARTITION BY {', '.join(kept)}" if kept else ""


def entity(ids: list[str]) -> str:
    """Return an expression labelling a row's series, e.g. `store_id=BCN-01,sensor=S03`."""
    if not ids:
        return "'(all)'"
    labels = ", ".join(
        f"{quote_literal(column + '=')} || coalesce(CAST({quote_identifier(column)} AS VARCHAR), "
        "'NULL')"
        for column in ids
    )
    return f"concat_ws(',', {labels})"


def ids_json(ids: list[str]) -> str:
    """Return an expression giving the row's id columns as a JSON object (text)."""
    pairs = ", ".join(f"{quote_literal(column)}, {quote_identifier(column)}" for column in ids)
    return f"CAST(json_object({pairs}) AS VARCHAR)"


def levels(measure: str, info: float | None, warn: float, critical: float | None) -> str:
    """Return a CASE giving 'critical', 'warn' or 'info' when `measure` reaches a threshold,
    else NULL."""
    whens = [
        f"WHEN {measure} >= {threshold!r} THEN '{name}'"
        for name, threshold in (("critical", critical), ("warn", warn), ("info", info))
        if threshold is not None
    ]
    return f"CASE {' '.join(whens)} END"


def number(expression: str) -> str:
    """Return an expression writing a number for people: whole numbers without decimals."""
    return (
        f"CASE WHEN {expression} = round({expression}) THEN CAST(CAST({expression} AS HUGEINT) "
        f"AS VARCHAR) ELSE printf('%.1f', {expression}) END"
    )


def moment(expression: str) -> str:
    """Return an expression writing a timestamp for people: a date when it is midnight."""
    return (
        f"CASE WHEN {expression} = date_trunc('day', {expression}) THEN "
        f"strftime({expression}, '%a %Y-%m-%d') ELSE strftime({expression}, '%a %Y-%m-%d %H:%M') "
        "END"
    )


def select_rule_columns(ids: list[str], **expressions: str) -> str:
    """Return the SELECT list of a rule's result, one expression per RULE_COLUMNS entry;
    `entity` and `ids` come from the rule's id columns."""
    columns = {"entity": entity(ids), "ids": ids_json(ids), **expressions}
    return ",\n    ".join(f"{columns[name]} AS {name}" for name in RULE_COLUMNS)
