"""The one enforcement point: a user's statement is parsed, every table it reads is resolved
(common table expressions and subqueries by sqlglot's scopes; names by the search path),
refused when no grant covers it, and replaced by the user's secured relation — the granted
columns, each masked as its mask says, and only the rows the row filters let through —
before the engine sees the statement. Catalog listings (`information_schema`, DuckDB's
`duckdb_tables()` and the like) are narrowed to what the user may read."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import sqlglot
from sqlglot import exp
from sqlglot.optimizer.scope import traverse_scope

from lakebox.access.masks import mask_sql
from lakebox.access.principal import ALL_ZONES as ZONES
from lakebox.access.principal import Principal
from lakebox.errors import AccessDenied
from lakebox.ground.sql import quote_identifier, quote_literal

MANIFEST_ALIAS = ("main", "_lakebox_manifest")  # the rows of landing.manifest
# Schemas of catalog objects that show no data, only names (narrowed where they list tables).
CATALOG_SCHEMAS = ("_lakebox_pg", "information_schema", "pg_catalog")
# The pg catalog emulation's schemas (pg-wire only), whose views list no more than the tables
# and columns the session's user may read (`visible`).
EMULATION_SCHEMAS = ("_lakebox_pg", "_lakebox_information_schema")
# Catalog listings narrowed to what the user reads: (schema column, table column, column
# column or None) for each.
LISTINGS: dict[str, tuple[str, str, str | None]] = {
    "information_schema.tables": ("table_schema", "table_name", None),
    "information_schema.views": ("table_schema", "table_name", None),
    "information_schema.columns": ("table_schema", "table_name", "column_name"),
    "duckdb_tables": ("schema_name", "table_name", None),
    "duckdb_views": ("schema_name", "view_name", None),
    "duckdb_columns": ("schema_name", "table_name", "column_name"),
    "duckdb_constraints": ("schema_name", "table_name", None),
    "duckdb_indexes": ("schema_name", "table_name", None),
}
# Table functions that read no table (the rest — histogram_values, pragma_table_info and the
# like, which take a table's name — are refused to users with grants).
SAFE_TABLE_FUNCTIONS = frozenset(
    {
        "range",
        "generate_series",
        "unnest",
        "repeat",
        "repeat_row",
        "json_each",
        "json_tree",
        "pg_timezone_names",
        "icu_calendar_names",
        "duckdb_databases",
        "duckdb_functions",
        "duckdb_keywords",
        "duckdb_schemas",
        "duckdb_types",
        "pragma_collations",
        "pragma_version",
    }
)
# Catalog objects that list nothing of the data (schemas, types, functions, settings).
HARMLESS = frozenset(
    {
        "information_schema.schemata",
        "duckdb_schemas",
        "duckdb_databases",
        "duckdb_types",
        "duckdb_functions",
        "duckdb_keywords",
    }
)


@dataclass(frozen=True)
class Relation:
    """A lakebox table as users' SQL sees it: its zone, name and (column, type) pairs."""

    zone: str
    name: str
    columns: tuple[tuple[str, str], ...]

    @property
    def identifier(self) -> str:
        return f"{self.zone}.{self.name}"


@dataclass
class Secured:
    """A statement as the engine may run it, and what it reads (for the audit log)."""

    sql: str
    reads: dict[str, list[str]] = field(default_factory=dict)


def secure(
    sql: str,
    principal: Principal,
    tables: Mapping[tuple[str, str], Relation],
    search_path: Sequence[str] = ("main", "exploitation"),
    reserved: Collection[str] = (),
    emulation: bool = False,
) -> Secured:
    """Return `sql` as `principal` may run it, over the lakehouse's `tables` (keyed by lower
    case zone and name). `reserved` are other object names users' SQL could reach unqualified
    (a common table expression may not take one); with `emulation`, the pg catalog emulation
    (which narrows its own listings per session) may be read. Raise AccessDenied naming what
    is missing."""
    try:
        tree = sqlglot.parse_one(sql, read="duckdb")
    except (sqlglot.errors.SqlglotError, ValueError, RecursionError) as error:
        if principal.restricted:
            raise AccessDenied(
                f"this statement could not be checked against your grants: {error}",
                hint="write it in plainer SQL",
            ) from None
        return Secured(sql)
    resolver = _Resolver(principal, tables, search_path, reserved, emulation)
    resolver.walk(tree)
    if not principal.restricted:
        return Secured(sql, resolver.reads)
    if isinstance(tree, exp.Show):
        raise AccessDenied(
            "SHOW is not open to users with grants",
            hint="list what you may read with SELECT * FROM information_schema.tables",
        )
    return Secured(resolver.rewrite(tree), resolver.reads)


def table_refusal(principal: Principal, zone: str, name: str) -> AccessDenied:
    """Return the refusal of table `zone.name` to `principal`, naming the missing grant."""
    identifier = f"{zone}.{name}"
    return AccessDenied(
        f"{principal.name} may not read {identifier}: no grant of read on {identifier} "
        f"(or its zone {zone}) in their roles ({', '.join(principal.roles) or 'none'})",
        hint="an admin can grant it under access.roles in lakebox.yaml",
        table=identifier,
    )


def secured_select(
    principal: Principal, relation: Relation, source: str | None = None
) -> str | None:
    """Return the SELECT giving `principal` their view of `relation` — its granted columns,
    each masked as its mask says, and only the rows its row filters let through — read from
    `source` (a FROM item, e.g. a snapshot's scan; by default the table itself), or None when
    they see it whole and as it is. Raise AccessDenied when they may read none of it."""
    if not principal.restricted:
        return None
    zone, name = relation.zone, relation.name
    if not principal.may_read_table(zone, name):
        raise table_refusal(principal, zone, name)
    names = [column for column, _ in relation.columns]
    readable = set(principal.readable_columns(zone, name, names))
    items, changed = [], len(readable) < len(names)
    for column, data_type in relation.columns:
        if column not in readable:
            continue
        mask = principal.mask_of(zone, name, column)
        quoted = quote_identifier(column)
        if mask is None:
            items.append(quoted)
        else:
            items.append(f"{mask_sql(mask.kind, column, data_type)} AS {quoted}")
            changed = True
    filters = [_filter(principal, where) for where in principal.row_filters(zone, name)]
    if not changed and not filters:
        return None
    if not items:
        raise AccessDenied(f"{principal.name} may read no column of {relation.identifier}")
    where = f" WHERE {' AND '.join(f'({f})' for f in filters)}" if filters else ""
    source = source or f"{quote_identifier(zone)}.{quote_identifier(name)}"
    return f"SELECT {', '.join(items)} FROM {source}{where}"


def _filter(principal: Principal, where: str) -> str:
    """Return the row filter `where` with `user.<attribute>` made a literal (NULL for an
    attribute the user does not have: then no row passes)."""
    tree = sqlglot.parse_one(where, read="duckdb")
    attributes = {key.lower(): value for key, value in principal.attributes.items()}

    def literal(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Column) and node.table.lower() == "user" and not node.db:
            value = attributes.get(node.name.lower())
            return exp.Null() if value is None else exp.Literal.string(value)
        return node

    return tree.transform(literal).sql(dialect="duckdb")


class _Resolver:
    """Finds the tables of one statement and builds its secured form."""

    def __init__(
        self,
        principal: Principal,
        tables: Mapping[tuple[str, str], Relation],
        search_path: Sequence[str],
        reserved: Collection[str],
        emulation: bool = False,
    ) -> None:
        self.principal = principal
        self.emulation = emulation
        self.tables = tables
        self.search_path = [schema.lower() for schema in search_path]
        self.reserved = {name.lower() for name in reserved} | {n for _, n in tables}
        self.replaced: list[tuple[exp.Table, exp.Expression]] = []
        self.reads: dict[str, list[str]] = {}
        self._seen: dict[int, Relation] = {}

    def walk(self, tree: exp.Expression) -> None:
        ctes = self._cte_references(tree)
        for table in list(tree.find_all(exp.Table)):
            if id(table) in ctes:
                continue
            self._visit(table)
        self._note_columns(tree)

    def _cte_references(self, tree: exp.Expression) -> set[int]:
        """Return the ids of Table nodes that name a common table expression in scope."""
        found: set[int] = set()
        try:
            scopes = traverse_scope(tree)
        except (sqlglot.errors.SqlglotError, RecursionError, ValueError, KeyError):
            scopes = []
        for scope in scopes:
            for table in scope.tables:
                name = table.name.lower()
                if not table.db and not table.catalog and table.name in scope.cte_sources:
                    self._check_cte_name(name)
                    found.add(id(table))
        return found

    def _check_cte_name(self, name: str) -> None:
        if self.principal.restricted and name in self.reserved:
            raise AccessDenied(
                f"a common table expression may not be named {name!r}, like a table",
                hint="give the WITH query another name",
            )

    def _visit(self, table: exp.Table) -> None:
        function = table.this if isinstance(table.this, exp.Func) else None
        if function is not None:
            self._visit_function(table, function)
            return
        relation = self._resolve(table)
        if relation is None:
            self._visit_catalog(table)
            return
        self._seen[id(table)] = relation
        self._grant_table(relation)
        self.reads.setdefault(relation.identifier, [])
        if self.principal.restricted:
            secured = self._secured(relation)
            if secured is not None:
                self.replaced.append((table, secured))

    def _resolve(self, table: exp.Table) -> Relation | None:
        """Return the lakebox table `table` names, or None for another object."""
        catalog, schema, name = table.catalog.lower(), table.db.lower(), table.name.lower()
        if catalog and catalog not in ("memory",) and self.principal.restricted:
            raise AccessDenied(
                f"{table.sql(dialect='duckdb')} is outside the lakehouse",
                hint="name lakebox tables as zone.table",
            )
        if (schema, name) == MANIFEST_ALIAS or (not schema and name == MANIFEST_ALIAS[1]):
            return self.tables.get(("landing", "manifest"))
        if schema:
            return self.tables.get((schema, name))
        for each in self.search_path:
            if (each, name) in self.tables:
                return self.tables[(each, name)]
        return None

    def _grant_table(self, relation: Relation) -> None:
        if not self.principal.may_read_table(relation.zone, relation.name):
            raise table_refusal(self.principal, relation.zone, relation.name)

    def _visit_function(self, table: exp.Table, function: exp.Func) -> None:
        name = function.name if isinstance(function, exp.Anonymous) else function.sql_name()
        name = name.lower()
        if not self.principal.restricted or name in SAFE_TABLE_FUNCTIONS:
            return
        if name in LISTINGS:
            self.replaced.append((table, self._listing(table, name)))
            return
        if self.emulation and _emulated(table.db.lower(), name):
            return
        raise AccessDenied(
            f"{self.principal.name} may not call the table function {name}: it can read "
            "tables around their grants",
            hint="read tables by name (zone.table); list them with information_schema.tables",
        )

    def _visit_catalog(self, table: exp.Table) -> None:
        """Check a name that is no lakebox table: a catalog object, or one the user may not
        reach (then refused the same way whether or not it exists)."""
        if not self.principal.restricted:
            return
        schema, name = table.db.lower(), table.name.lower()
        qualified = f"{schema}.{name}"
        if qualified in LISTINGS:
            self.replaced.append((table, self._listing(table, qualified)))
            return
        if qualified in HARMLESS or (self.emulation and _emulated(schema, name)):
            return
        if schema in ZONES:  # the same answer whether or not the table exists
            self._grant_table(Relation(schema, name, ()))
        shown = f"{schema}.{name}" if schema else name
        raise AccessDenied(
            f"no table {shown} that {self.principal.name} may read",
            hint="list what you may read with SELECT * FROM information_schema.tables",
        )

    def _secured(self, relation: Relation) -> exp.Expression | None:
        """Return the secured relation replacing `relation`, or None when it needs none."""
        sql = secured_select(self.principal, relation)
        return None if sql is None else sqlglot.parse_one(sql, read="duckdb")

    def _listing(self, table: exp.Table, name: str) -> exp.Expression:
        """Return the catalog listing `name` narrowed to the tables and columns the user may
        read (catalog schemas stay listed; they hold no data)."""
        schema_column, table_column, column_column = LISTINGS[name]
        whole, partial, columns = visible(self.principal, self.tables)
        source = table.copy()
        source.set("alias", None)
        qualified = f"lower({schema_column} || '.' || {table_column})"
        keep = [
            f"{schema_column} IN ({_literals(CATALOG_SCHEMAS)})",
            f"{qualified} IN ({_literals(whole)})",
        ]
        if column_column is None:
            keep.append(f"{qualified} IN ({_literals(partial)})")
        else:
            keep.append(
                f"lower({schema_column} || '.' || {table_column} || '.' || "
                f"{column_column}) IN ({_literals(columns)})"
            )
        sql = f"SELECT * FROM {source.sql(dialect='duckdb')} WHERE {' OR '.join(keep)}"
        return sqlglot.parse_one(sql, read="duckdb")

    def rewrite(self, tree: exp.Expression) -> str:
        for table, secured in self.replaced:
            alias = table.args.get("alias")
            if alias is None:
                alias = exp.TableAlias(this=exp.to_identifier(table.name or "_lakebox_listing"))
            subquery = exp.Subquery(this=secured, alias=alias)
            table.replace(subquery)
        if isinstance(tree, (exp.Describe, exp.Summarize)) and isinstance(tree.this, exp.Subquery):
            kind = "DESCRIBE" if isinstance(tree, exp.Describe) else "SUMMARIZE"
            return f"{kind} SELECT * FROM {tree.this.sql(dialect='duckdb')}"
        return tree.sql(dialect="duckdb")

    def _note_columns(self, tree: exp.Expression) -> None:
        """Record the columns each table gives the statement (all of them for a star)."""
        named = {column.name.lower() for column in tree.find_all(exp.Column)}
        # a star reads every column, but not the one of count(*)
        star = any(not isinstance(s.parent, exp.Count) for s in tree.find_all(exp.Star))
        for relation in self._seen.values():
            names = [column for column, _ in relation.columns]
            readable = self.principal.readable_columns(relation.zone, relation.name, names)
            used = readable if star else [c for c in readable if c.lower() in named]
            known = self.reads[relation.identifier]
            self.reads[relation.identifier] = sorted(set(known) | set(used))
            self._check_columns(relation, named, names, readable)

    def _check_columns(
        self, relation: Relation, named: set[str], names: list[str], readable: list[str]
    ) -> None:
        hidden = {c.lower() for c in names} - {c.lower() for c in readable}
        others = {
            column.lower()
            for other in self._seen.values()
            if other is not relation
            for column, _ in other.columns
        }
        missing = sorted((hidden & named) - others)
        if missing:
            raise AccessDenied(
                f"{self.principal.name} may not read column {relation.identifier}.{missing[0]}: "
                f"no grant of read on it in their roles ({', '.join(self.principal.roles)})",
                hint="an admin can grant it under access.roles in lakebox.yaml",
                table=relation.identifier,
            )


def _emulated(schema: str, name: str) -> bool:
    """Whether `schema.name` is a view of the pg catalog emulation a client may name (its
    internals, named with a leading _, are lakebox's own)."""
    return schema in EMULATION_SCHEMAS and not name.startswith("_")


def visible(
    principal: Principal, tables: Mapping[tuple[str, str], Relation]
) -> tuple[list[str], list[str], list[str]]:
    """Return the tables `principal` may read whole and in part ('zone.table', lower case),
    and the readable columns of the latter ('zone.table.column')."""
    whole: list[str] = []
    partial: list[str] = []
    columns: list[str] = []
    for (zone, name), relation in tables.items():
        if not principal.may_read_table(zone, name):
            continue
        names = [column for column, _ in relation.columns]
        readable = principal.readable_columns(zone, name, names)
        if len(readable) == len(names):
            whole.append(f"{zone}.{name}")
        else:
            partial.append(f"{zone}.{name}")
            columns.extend(f"{zone}.{name}.{column.lower()}" for column in readable)
    return whole, partial, columns


def _literals(values: Iterable[str]) -> str:
    listed = [quote_literal(value) for value in values]
    return ", ".join(listed) if listed else "NULL"
