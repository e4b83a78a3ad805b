"""Rules for PostgreSQL's casts: to the oid types (regclass, regtype, …), to its text types,
and to types qualified with pg_catalog."""

from __future__ import annotations

import sqlglot
from sqlglot import exp

from lakebox.serving.pgwire.rewrite.nodes import each, macro, name_of, swap

_OID_TYPES = {"regclass", "regtype", "regproc", "regprocedure", "regnamespace", "regrole", "oid",
              "regoper", "regconfig", "xid", "cid", "tid"}  # fmt: skip
_NAMING = {"regtype": "regtype_name", "regclass": "regclass_name",
           "regnamespace": "regnamespace_name", "regrole": "pg_get_userbyid",
           "regproc": "regproc_name", "regprocedure": "regproc_name"}  # fmt: skip
_TEXT_TYPES = {"name", "char", "text", "varchar", "bpchar"}


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
    for cast in each(tree, exp.Cast):
        tree = swap(tree, cast, _cast(cast))
    return tree


def _cast(node: exp.Expression) -> exp.Expression:
    target = _type_name(node.args["to"])
    inner = node.this
    while isinstance(inner, exp.Paren):
        inner = inner.this
    if target in _TEXT_TYPES and isinstance(inner, exp.Cast):
        named = _NAMING.get(_type_name(inner.args["to"]))
        if named:
            return macro(named, [inner.this])
    if target in _TEXT_TYPES:
        return _cast_to(inner, "VARCHAR")
    if target not in _OID_TYPES:
        return _unqualified_type(node, target)
    lookup = {"regclass": "regclass_oid", "regtype": "to_regtype",
              "regnamespace": "regnamespace_oid"}.get(target)  # fmt: skip
    if lookup and _is_name(inner):
        return macro(lookup, [inner])
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
    for node in each(tree, exp.DataType):
        kind = node.args.get("kind")
        if isinstance(kind, exp.Dot) and name_of(kind.this) == "pg_catalog":
            name = kind.expression.name.lower()
            if name in _OID_TYPES or name in _TEXT_TYPES:
                continue
            try:
                tree = swap(tree, node, exp.DataType.build(name, dialect="postgres"))
            except (sqlglot.errors.SqlglotError, ValueError):
                continue
    return tree
