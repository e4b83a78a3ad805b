"""PostgreSQL catalog SQL made runnable on DuckDB: a row of small sqlglot rules, each
`expression -> expression`, pointing catalog tables and functions at lakebox's emulation."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator

import sqlglot
from sqlglot import exp

from lakebox.serving.pgwire import catalog

logger = logging.getLogger(__name__)
Rule = Callable[[exp.Expression], exp.Expression]

# A statement is rewritten only when it may touch the catalog; other SQL goes to DuckDB as is.
_CATALOG_HINT = re.compile(
    r"pg_|information_schema|::\s*(?:reg|oid\b|name\b)|operator\s*\(|current_schema|current_database|version\s*\("
    r"|format_type|current_setting|_description|to_reg|array_upper|array_lower|quote_ident|has_\w+_privilege",
    re.IGNORECASE,
)
_OID_TYPES = {"regclass", "regtype", "regproc", "regprocedure", "regnamespace", "regrole", "oid",
              "regoper", "regconfig", "xid", "cid", "tid"}  # fmt: skip
_NAMING = {"regtype": "regtype_name", "regclass": "regclass_name",
           "regnamespace": "regnamespace_name", "regrole": "pg_get_userbyid",
           "regproc": "regproc_name", "regprocedure": "regproc_name"}  # fmt: skip
_TEXT_TYPES = {"name", "char", "text", "varchar", "bpchar"}


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


def _name(node: exp.Expression | None) -> str:
    return node.name.lower() if node is not None else ""


def catalog_tables(tree: exp.Expression) -> exp.Expression:
    """pg_catalog.X, information_schema.X and bare pg_X → lakebox's emulated catalog."""
    for table in tree.find_all(exp.Table):
        schema, name = _name(table.args.get("db")), table.name.lower()
        if schema == "pg_catalog" and isinstance(table.this, exp.Func):  # pg_catalog.unnest(…)
            table.set("db", None)
            continue
        if schema in ("", "pg_catalog") and name in catalog.CATALOG_NAMES:
            table.set("db", exp.to_identifier(catalog.SCHEMA))
            table.set("this", exp.to_identifier(name))
        elif schema == "information_schema" and name in catalog.INFORMATION_NAMES:
            table.set("db", exp.to_identifier(catalog.INFORMATION_SCHEMA))
            table.set("this", exp.to_identifier(name))
    for column in tree.find_all(exp.Column):  # pg_catalog.pg_class.relname
        schema = _name(column.args.get("db"))
        if schema == "pg_catalog":
            column.set("db", exp.to_identifier(catalog.SCHEMA))
        elif schema == "information_schema":
            column.set("db", exp.to_identifier(catalog.INFORMATION_SCHEMA))
    return tree


def _each(tree: exp.Expression, kind: type[exp.Expression]) -> Iterator[exp.Expression]:
    """Yield the nodes of `kind`, outermost first, skipping those an earlier change detached."""
    for node in list(tree.find_all(kind)):
        if node is tree or node.root() is tree:
            yield node


def _swap(tree: exp.Expression, node: exp.Expression, new: exp.Expression) -> exp.Expression:
    if node is tree:
        return new
    node.replace(new)
    return tree


def catalog_functions(tree: exp.Expression) -> exp.Expression:
    """pg_catalog.f(…) and f(…) for an emulated f → lakebox's macro of that name."""
    for dot in _each(tree, exp.Dot):
        qualifier = _name(dot.this)
        if qualifier in ("pg_catalog", "information_schema") and isinstance(
            dot.expression, exp.Func
        ):
            tree = _swap(tree, dot, dot.expression)
    for node in _each(tree, exp.Func):
        if _is_macro_call(node):
            continue
        if type(node) in _TYPED_FUNCTIONS:
            arguments = [arg for arg in node.args.values() if isinstance(arg, exp.Expression)]
            tree = _swap(tree, node, _macro(_TYPED_FUNCTIONS[type(node)], arguments))
        elif isinstance(node, (exp.CurrentUser, exp.CurrentRole, exp.SessionUser)):
            tree = _swap(tree, node, exp.Literal.string(catalog.OWNER))
        elif isinstance(node, exp.Anonymous) and node.name.lower() in catalog.FUNCTION_NAMES:
            tree = _swap(tree, node, _macro(node.name.lower(), list(node.expressions)))
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


def _is_macro_call(node: exp.Expression) -> bool:
    parent = node.parent
    return isinstance(parent, exp.Dot) and _name(parent.this) == catalog.SCHEMA


def _macro(name: str, arguments: list[exp.Expression]) -> exp.Expression:
    call = exp.Anonymous(this=name, expressions=arguments)
    return exp.Dot(this=exp.to_identifier(catalog.SCHEMA), expression=call)


def _type_name(to: exp.Expression) -> str:
    """Return the bare lower-case name of a cast's target type (pg_catalog. dropped)."""
    if isinstance(to, exp.ObjectIdentifier):
        return to.name.lower()
    if isinstance(to, exp.DataType):
        kind = to.args.get("kind")
        if isinstance(kind, exp.Dot):
            return kind.expression.name.lower()
        if to.this == exp.DataType.Type.USERDEFINED and kind is not None:
            return kind.name.lower() if isinstance(kind, exp.Expression) else str(kind).lower()
        return to.this.value.lower()
    return to.sql().lower()


def oid_casts(tree: exp.Expression) -> exp.Expression:
    """x::regclass and friends → an oid look-up (names) or an integer (oids); ::regtype::text
    and ::regclass::text → the name; ::pg_catalog.text, ::name → VARCHAR."""
    for cast in _each(tree, exp.Cast):
        tree = _swap(tree, cast, _cast(cast))
    return tree


def _cast(node: exp.Expression) -> exp.Expression:
    target = _type_name(node.args["to"])
    inner = node.this
    while isinstance(inner, exp.Paren):
        inner = inner.this
    if target in _TEXT_TYPES and isinstance(inner, exp.Cast):
        named = _NAMING.get(_type_name(inner.args["to"]))
        if named:
            return _macro(named, [inner.this])
    if target in _TEXT_TYPES:
        return _cast_to(inner, "VARCHAR")
    if target not in _OID_TYPES:
        return _unqualified_type(node, target)
    lookup = {"regclass": "regclass_oid", "regtype": "to_regtype",
              "regnamespace": "regnamespace_oid"}.get(target)  # fmt: skip
    if lookup and _is_name(inner):
        return _macro(lookup, [inner])
    if target in ("regproc", "regprocedure") and isinstance(inner, exp.Literal):
        return exp.Literal.string(inner.name.split(".")[-1])  # compared with typinput & co
    return _cast_to(inner, "BIGINT")


def _cast_to(inner: exp.Expression, type_name: str) -> exp.Expression:
    return exp.Cast(this=inner, to=exp.DataType.build(type_name))


def _is_name(node: exp.Expression) -> bool:
    """Whether a value cast to regclass/regtype is a name (text) rather than an oid."""
    if isinstance(node, exp.Literal):
        return node.is_string
    if isinstance(node, exp.Cast):
        return _type_name(node.args["to"]) in _TEXT_TYPES
    return isinstance(node, (exp.Func, exp.DPipe)) and not isinstance(node, exp.Dot)


def _unqualified_type(node: exp.Expression, target: str) -> exp.Expression:
    return node


def qualified_types(tree: exp.Expression) -> exp.Expression:
    """pg_catalog.int2 (in casts, arrays, …) → SMALLINT."""
    for node in _each(tree, exp.DataType):
        kind = node.args.get("kind")
        if isinstance(kind, exp.Dot) and _name(kind.this) == "pg_catalog":
            name = kind.expression.name.lower()
            if name in _OID_TYPES or name in _TEXT_TYPES:
                continue
            try:
                tree = _swap(tree, node, exp.DataType.build(name, dialect="postgres"))
            except (sqlglot.errors.SqlglotError, ValueError):
                continue
    return tree


def function_aliases(tree: exp.Expression) -> exp.Expression:
    """FROM f(…) AS s → FROM f(…) AS s(s): PostgreSQL names a function's column after its
    alias."""
    for table in _each(tree, exp.Table):
        alias = table.args.get("alias")
        named = isinstance(alias, exp.TableAlias) and alias.this is not None
        if isinstance(table.this, exp.Func) and named and not alias.columns:
            alias.set("columns", [exp.to_identifier(alias.name)])
    return tree


def json_objects(tree: exp.Expression) -> exp.Expression:
    """json_build_object('k', v, …) with literal keys → a DuckDB struct (sent as JSON text)."""
    for node in _each(tree, exp.Func):
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
        tree = _swap(tree, node, exp.Struct(expressions=fields))
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
