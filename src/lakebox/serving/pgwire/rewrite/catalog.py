"""Rules that point SQL at the catalog emulation: its tables and functions, and result
columns named as PostgreSQL names them."""

from __future__ import annotations

from sqlglot import exp

from lakebox.serving.pgwire.catalog.functions import FUNCTION_NAMES
from lakebox.serving.pgwire.catalog.tables import (
    CATALOG_NAMES,
    INFORMATION_NAMES,
    INFORMATION_SCHEMA,
    OWNER,
    SCHEMA,
)
from lakebox.serving.pgwire.rewrite.nodes import each, is_macro_call, macro, name_of, swap


def catalog_tables(tree: exp.Expression) -> exp.Expression:
    """pg_catalog.X, information_schema.X and bare pg_X → lakebox's emulated catalog."""
    for table in tree.find_all(exp.Table):
        schema, name = name_of(table.args.get("db")), table.name.lower()
        if schema == "pg_catalog" and isinstance(table.this, exp.Func):  # pg_catalog.unnest(…)
            table.set("db", None)
            continue
        if schema in ("", "pg_catalog") and name in CATALOG_NAMES:
            table.set("db", exp.to_identifier(SCHEMA))
            table.set("this", exp.to_identifier(name))
        elif schema == "information_schema" and name in INFORMATION_NAMES:
            table.set("db", exp.to_identifier(INFORMATION_SCHEMA))
            table.set("this", exp.to_identifier(name))
    for column in tree.find_all(exp.Column):  # pg_catalog.pg_class.relname
        schema = name_of(column.args.get("db"))
        if schema == "pg_catalog":
            column.set("db", exp.to_identifier(SCHEMA))
        elif schema == "information_schema":
            column.set("db", exp.to_identifier(INFORMATION_SCHEMA))
    return tree


def catalog_functions(tree: exp.Expression) -> exp.Expression:
    """pg_catalog.f(…) and f(…) for an emulated f → lakebox's macro of that name."""
    for dot in each(tree, exp.Dot):
        qualifier = name_of(dot.this)
        if qualifier in ("pg_catalog", "information_schema") and isinstance(
            dot.expression, exp.Func
        ):
            tree = swap(tree, dot, dot.expression)
    for node in each(tree, exp.Func):
        if is_macro_call(node):
            continue
        if type(node) in _TYPED_FUNCTIONS:
            arguments = [arg for arg in node.args.values() if isinstance(arg, exp.Expression)]
            tree = swap(tree, node, macro(_TYPED_FUNCTIONS[type(node)], arguments))
        elif isinstance(node, (exp.CurrentUser, exp.CurrentRole, exp.SessionUser)):
            tree = swap(tree, node, exp.Literal.string(OWNER))
        elif isinstance(node, exp.Anonymous) and node.name.lower() in FUNCTION_NAMES:
            tree = swap(tree, node, macro(node.name.lower(), list(node.expressions)))
    return tree


_TYPED_FUNCTIONS: dict[type[exp.Expression], str] = {
    exp.CurrentSchema: "current_schema",
    exp.CurrentSchemas: "current_schemas",
    exp.CurrentDatabase: "current_database",
    exp.CurrentVersion: "version",
}


def column_names(tree: exp.Expression) -> exp.Expression:
    """Name unaliased result columns as PostgreSQL does (`version`, not `version()`), before
    other rules change the expressions."""
    if not isinstance(tree, exp.Select):
        return tree
    for expression in list(tree.expressions):
        if isinstance(expression, (exp.Alias, exp.Column, exp.Star)):
            continue
        expression.replace(exp.alias_(expression.copy(), _pg_name(expression), quoted=True))
    return tree


def _pg_name(expression: exp.Expression) -> str:
    if isinstance(expression, exp.Dot):
        return _pg_name(expression.expression)
    if isinstance(expression, exp.Cast):
        inner = expression.this
        return inner.name if isinstance(inner, exp.Column) else _pg_name(inner)
    if isinstance(expression, exp.Column):
        return expression.name
    if isinstance(expression, exp.Anonymous):
        return expression.name.lower()
    if type(expression) in _TYPED_FUNCTIONS:
        return _TYPED_FUNCTIONS[type(expression)]
    if isinstance(expression, exp.Func):
        return expression.sql_name().lower()
    return "?column?"
