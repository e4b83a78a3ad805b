"""What the rewrite rules share: walking a sqlglot tree while changing it, and calls of the
catalog emulation's macros."""

from __future__ import annotations

from collections.abc import Iterator

from sqlglot import exp

from lakebox.serving.pgwire.catalog.tables import SCHEMA


def name_of(node: exp.Expression | None) -> str:
    """Return the lower-case name of `node` ("" for none)."""
    return node.name.lower() if node is not None else ""


def each(tree: exp.Expression, kind: type[exp.Expression]) -> Iterator[exp.Expression]:
    """Yield the nodes of `kind`, outermost first, skipping those an earlier change detached."""
    for node in list(tree.find_all(kind)):
        if node is tree or node.root() is tree:
            yield node


def swap(tree: exp.Expression, node: exp.Expression, new: exp.Expression) -> exp.Expression:
    """Return `tree` with `node` replaced by `new` (`new` itself when `node` is the tree)."""
    if node is tree:
        return new
    node.replace(new)
    return tree


def is_macro_call(node: exp.Expression) -> bool:
    """Return whether `node` calls a macro of the catalog emulation already."""
    parent = node.parent
    return isinstance(parent, exp.Dot) and name_of(parent.this) == SCHEMA


def macro(name: str, arguments: list[exp.Expression]) -> exp.Expression:
    """Return a call of the catalog emulation's macro `name`."""
    call = exp.Anonymous(this=name, expressions=arguments)
    return exp.Dot(this=exp.to_identifier(SCHEMA), expression=call)
