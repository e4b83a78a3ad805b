"""Rules for PostgreSQL syntax DuckDB reads otherwise: a function's column named after its
alias, json_build_object, OPERATOR(…), COLLATE and `= ANY(array)`."""

from __future__ import annotations

from sqlglot import exp

from lakebox.serving.pgwire.rewrite.nodes import each, swap


def function_aliases(tree: exp.Expression) -> exp.Expression:
    """FROM f(…) AS s → FROM f(…) AS s(s): PostgreSQL names a function's column after its
    alias."""
    for table in each(tree, exp.Table):
        alias = table.args.get("alias")
        named = isinstance(alias, exp.TableAlias) and alias.this is not None
        if isinstance(table.this, exp.Func) and named and not alias.columns:
            alias.set("columns", [exp.to_identifier(alias.name)])
    return tree


def json_objects(tree: exp.Expression) -> exp.Expression:
    """json_build_object('k', v, …) with literal keys → a DuckDB struct (sent as JSON text)."""
    for node in each(tree, exp.Func):
        name = node.name.lower() if isinstance(node, exp.Anonymous) else node.sql_name().lower()
        if name not in ("json_build_object", "jsonb_build_object", "json_object"):
            continue
        arguments = list(node.expressions) if isinstance(node, exp.Anonymous) else []
        keys, values = arguments[0::2], arguments[1::2]
        literal_keys = [_literal_text(key) for key in keys]
        if not arguments or len(keys) != len(values) or None in literal_keys:
            continue
        fields = [
            exp.PropertyEQ(this=exp.to_identifier(key), expression=value)
            for key, value in zip(literal_keys, values, strict=True)
        ]
        tree = swap(tree, node, exp.Struct(expressions=fields))
    return tree


def _literal_text(node: exp.Expression) -> str | None:
    while isinstance(node, exp.Cast):
        node = node.this
    return node.this if isinstance(node, exp.Literal) and node.is_string else None


def operators(tree: exp.Expression) -> exp.Expression:
    """OPERATOR(pg_catalog.~) and its kin → DuckDB's regexp and comparison functions."""

    def replace(node: exp.Expression) -> exp.Expression:
        if not isinstance(node, exp.Operator):
            return node
        symbol = str(node.args.get("operator", "")).split(".")[-1].strip()
        left, right = node.this, node.expression
        matches = exp.RegexpLike(this=left, expression=right)
        insensitive = exp.RegexpILike(this=left, expression=right)
        built: dict[str, exp.Expression] = {
            "~": matches, "!~": exp.Not(this=matches),
            "~*": insensitive, "!~*": exp.Not(this=insensitive),
            "=": exp.EQ(this=left, expression=right), "<>": exp.NEQ(this=left, expression=right),
        }  # fmt: skip
        return built.get(symbol, node)

    return tree.transform(replace)


def collations(tree: exp.Expression) -> exp.Expression:
    """x COLLATE pg_catalog.default → x (DuckDB has no such collation)."""
    return tree.transform(lambda node: node.this if isinstance(node, exp.Collate) else node)


def any_arrays(tree: exp.Expression) -> exp.Expression:
    """x = ANY(array) → list_contains(array, x): DuckDB plans `= ANY` as a subquery, which it
    cannot put in an outer join's ON (SQLAlchemy 1.4's index query, used by Superset, does)."""

    def replace(node: exp.Expression) -> exp.Expression:
        if not (isinstance(node, exp.EQ) and isinstance(node.expression, exp.Any)):
            return node
        array = node.expression.this
        while isinstance(array, exp.Paren):
            array = array.this
        if isinstance(array, exp.Subquery | exp.Query):
            return node
        return exp.func("list_contains", array.copy(), node.this.copy())

    return tree.transform(replace)
