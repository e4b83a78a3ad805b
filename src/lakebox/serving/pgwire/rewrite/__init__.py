"""PostgreSQL catalog SQL made runnable on DuckDB: a row of small sqlglot rules, each
`expression -> expression`, pointing catalog tables and functions at lakebox's emulation."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable

import sqlglot
from sqlglot import exp

from lakebox.serving.pgwire.rewrite.casts import oid_casts, qualified_types
from lakebox.serving.pgwire.rewrite.catalog import catalog_functions, catalog_tables, column_names
from lakebox.serving.pgwire.rewrite.syntax import (
    any_arrays,
    collations,
    function_aliases,
    json_objects,
    operators,
)

logger = logging.getLogger(__name__)
Rule = Callable[[exp.Expression], exp.Expression]

# A statement is rewritten only when it may touch the catalog; other SQL goes to DuckDB as is.
_CATALOG_HINT = re.compile(
    r"pg_|information_schema|::\s*(?:reg|oid\b|name\b)|operator\s*\(|current_schema|current_database|version\s*\("
    r"|format_type|current_setting|_description|to_reg|array_upper|array_lower|quote_ident|has_\w+_privilege",
    re.IGNORECASE,
)


def needs_rewrite(sql: str) -> bool:
    """Return whether `sql` mentions the catalog or a PostgreSQL-only function."""
    return bool(_CATALOG_HINT.search(sql))


def to_duckdb(sql: str) -> str:
    """Return `sql` (PostgreSQL) with catalog tables, functions and casts made DuckDB's."""
    try:
        tree = sqlglot.parse_one(sql, read="postgres")
    except (sqlglot.errors.SqlglotError, ValueError, RecursionError) as error:
        logger.debug("left as is (sqlglot: %s): %s", error, sql)
        return sql
    for rule in RULES:
        tree = rule(tree)
    return tree.sql(dialect="duckdb")


RULES: tuple[Rule, ...] = (
    column_names,
    collations,
    any_arrays,
    operators,
    oid_casts,
    qualified_types,
    function_aliases,
    json_objects,
    catalog_tables,
    catalog_functions,
)
