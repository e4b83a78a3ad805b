"""What the access section grants, worked out for people to read (`lakebox access show`): each
role with the reads and abilities it ends up with through `extends`, and for one user the
tables they may read, with the columns, masks and row filters that apply to each."""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlglot
from sqlglot import exp

from lakebox.access.principal import BUILTIN, Principal
from lakebox.access.secure import Relation
from lakebox.config.access import AccessConfig


@dataclass(frozen=True)
class RoleView:
    """A role as it ends up: its own settings, and the reads and abilities it has through the
    roles it extends."""

    name: str
    kind: str  # built-in, custom, or "custom over built-in"
    description: str
    extends: str | None
    reads: list[str]
    abilities: list[str]


@dataclass(frozen=True)
class TableView:
    """One table a user may read: the columns they see, the masks on them and the row
    filters on the table (with the user's attributes they use)."""

    table: str
    columns: list[str] | None  # None: every column
    hidden_columns: list[str]
    masks: dict[str, str]  # column → "hash (tag pii)"
    row_filters: list[str]
    missing_attributes: list[str] = field(default_factory=list)  # then no row passes


def roles(access: AccessConfig | None) -> list[RoleView]:
    """Return the built-in roles, then the custom ones, each resolved through `extends`."""
    config = access or AccessConfig()
    names = [*BUILTIN, *(name for name in config.roles if name not in BUILTIN)]
    found = []
    for name in names:
        own = config.roles.get(name) or BUILTIN[name]
        if name in config.roles:
            kind = "custom over built-in" if name in BUILTIN else "custom"
        else:
            kind = "built-in"
        resolved = Principal(name, (name,), {}, config)
        found.append(
            RoleView(
                name,
                kind,
                own.description or (BUILTIN[name].description if name in BUILTIN else ""),
                own.extends,
                list(resolved.reads),
                sorted(resolved.abilities),
            )
        )
    return found


def readable_tables(
    principal: Principal, tables: dict[tuple[str, str], Relation]
) -> list[TableView]:
    """Return the tables of `tables` that `principal` may read, in zone and name order."""
    found = []
    for (zone, name), relation in sorted(tables.items()):
        if not principal.may_read_table(zone, name):
            continue
        names = [column for column, _ in relation.columns]
        readable = principal.readable_columns(zone, name, names)
        masks = {}
        for column in readable:
            mask = principal.mask_of(zone, name, column)
            if mask is not None:
                masks[column] = f"{mask.kind} ({mask.rule})"
        filters = principal.row_filters(zone, name)
        attributes = {key.lower() for key in principal.attributes}
        missing = sorted({used for w in filters for used in used_attributes(w)} - attributes)
        found.append(
            TableView(
                relation.identifier,
                None if len(readable) == len(names) else readable,
                [column for column in names if column not in readable],
                masks,
                filters,
                missing,
            )
        )
    return found


def used_attributes(where: str) -> list[str]:
    """Return the user attributes (`user.<name>`) a row filter reads, lower case."""
    try:
        tree = sqlglot.parse_one(where, read="duckdb")
    except sqlglot.errors.SqlglotError:
        return []
    return sorted(
        {
            column.name.lower()
            for column in tree.find_all(exp.Column)
            if column.table.lower() == "user" and not column.db
        }
    )
