"""The data dictionary: the description, owner, tags and glossary terms of every table and
column, as they stand. Each field comes from, first to last:

1. the latest edit made in the UI or the API (`edits`), unless it gave the field back;
2. what is declared beside the code (`declared`): a source's lakebox.yaml keys, a model's YAML
   file and SQL comments, lakebox's own words for its bookkeeping columns;
3. for a column's description and terms only: its upstream column, when the column passes it
   through unchanged (every value link into it is "passed" in the lineage graph and the
   upstream columns agree) — shown as inherited from that column.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from lakebox.access.principal import Principal
from lakebox.catalog import TableRef
from lakebox.exploitation.lineages import table_columns
from lakebox.governance import edits
from lakebox.governance.declared import Declared, DeclaredTable, declared_docs
from lakebox.governance.graph import Graph
from lakebox.governance.lineage import project_graph
from lakebox.lakehouse import Lakehouse

PASSED = "passed"
EDITED = "edited"


@dataclass(frozen=True)
class Entry:
    """The docs of a table (`column` "") or of one of its columns."""

    table: str
    column: str = ""
    description: str | None = None
    described_by: str | None = None  # a file, lakebox.yaml, "edited" or "inherited"
    inherited_from: str | None = None  # zone.table.column the description comes from
    owner: str | None = None
    tags: tuple[str, ...] = ()
    terms: tuple[str, ...] = ()
    edited_by: str | None = None  # the author of the latest edit in force
    edited_at: datetime | None = None
    terms_from: str | None = None  # zone.table.column the terms are inherited from
    edited_fields: tuple[str, ...] = ()  # the fields an edit sets
    terms_inherited: bool = False  # the terms come from upstream (`terms_from`, if shown)

    @property
    def id(self) -> str:
        """`zone.table` or `zone.table.column`."""
        return f"{self.table}.{self.column}" if self.column else self.table

    def row(self) -> dict[str, Any]:
        """Return the entry as JSON-able data."""
        return {
            "table": self.table,
            "column": self.column or None,
            "description": self.description,
            "described_by": self.described_by,
            "inherited_from": self.inherited_from,
            **({} if self.column else {"owner": self.owner}),
            "tags": list(self.tags),
            "terms": list(self.terms),
            "terms_from": self.terms_from,
            "edited_by": self.edited_by,
            "edited_at": self.edited_at,
            "edited_fields": list(self.edited_fields),
        }


@dataclass(frozen=True)
class TableDocs:
    """A table's entry and its columns' entries, in the table's order."""

    entry: Entry
    columns: tuple[Entry, ...]

    def column(self, name: str) -> Entry | None:
        return next((column for column in self.columns if column.column == name), None)


@dataclass
class Dictionary:
    """Every table's docs by identifier (`zone.table`)."""

    tables: dict[str, TableDocs] = field(default_factory=dict)

    def table(self, identifier: str) -> TableDocs | None:
        return self.tables.get(identifier)

    def entries(self) -> list[Entry]:
        """Return every table's entry followed by its columns'."""
        return [e for docs in self.tables.values() for e in (docs.entry, *docs.columns)]

    def narrowed(self, who: Principal) -> Dictionary:
        """Return the tables and columns `who` may read, naming no column they may not read
        as the one a description or terms are inherited from."""
        kept = Dictionary()
        for identifier, docs in self.tables.items():
            ref = TableRef.of(identifier)
            if not who.may_read_table(ref.zone, ref.name):
                continue
            names = [column.column for column in docs.columns]
            readable = set(who.readable_columns(ref.zone, ref.name, names))
            columns = tuple(
                _unsourced(column, who) for column in docs.columns if column.column in readable
            )
            kept.tables[identifier] = TableDocs(docs.entry, columns)
        return kept


def _unsourced(entry: Entry, who: Principal) -> Entry:
    """Return `entry` without the upstream columns it inherits from that `who` may not read
    (what it inherits stays: the column passes their values through unchanged)."""
    hidden = {
        name: None
        for name in ("inherited_from", "terms_from")
        if getattr(entry, name) and not _reads_column(who, getattr(entry, name))
    }
    return replace(entry, **hidden) if hidden else entry


def _reads_column(who: Principal, column_id: str) -> bool:
    table, column = _split(column_id)
    ref = TableRef.of(table)
    return who.may_read_table(ref.zone, ref.name) and bool(
        who.readable_columns(ref.zone, ref.name, [column])
    )


def dictionary(lh: Lakehouse, graph: Graph | None = None) -> Dictionary:
    """Return the dictionary of `lh`'s tables: those the lineage graph knows (sources and
    models, built or not) and every other table of the catalog."""
    graph = graph if graph is not None else project_graph(lh)
    declared = declared_docs(lh.config, lh.project_dir / lh.config.models.path)
    latest = edits.latest(lh.catalog.sql_engine)
    builder = _Builder(graph, declared, latest)
    found = Dictionary()
    for table, columns in _tables(lh, graph).items():
        found.tables[table] = builder.table(table, columns)
    return found


def _tables(lh: Lakehouse, graph: Graph) -> dict[str, list[str]]:
    """Return every table's columns: the graph's (landing left out), then the catalog's, then
    those a source's `docs:` block names (columns it infers, before it is first formatted)."""
    found: dict[str, list[str]] = {}
    for node in graph.nodes.values():
        if node.kind == "table":
            found.setdefault(node.id, [])
        elif node.kind == "column" and graph.nodes[node.table].kind == "table":
            found.setdefault(node.table, []).append(node.column)
    named = {ref.identifier: columns for ref, columns in table_columns(lh).items()}
    for name, source in lh.config.formatted_sources.items():
        named.setdefault(f"formatted.{name}", []).extend(source.docs.columns)
    for table, columns in named.items():
        known = found.setdefault(table, [])
        known.extend(column for column in columns if column not in known)
    return dict(sorted(found.items()))


class _Builder:
    """Works out each entry from the edits, the declarations and the lineage graph."""

    def __init__(
        self,
        graph: Graph,
        declared: dict[str, DeclaredTable],
        latest: dict[tuple[str, str], dict[str, edits.Edit]],
    ) -> None:
        self.declared = declared
        self.latest = latest
        self.upstream: dict[str, list[tuple[str, str]]] = {}
        for link in graph.links.values():
            source, target = graph.nodes[link.source], graph.nodes[link.target]
            if source.kind == "column" and target.kind == "column":
                self.upstream.setdefault(link.target, []).append((link.source, link.how))
        self.resolved: dict[str, Entry] = {}

    def table(self, table: str, columns: list[str]) -> TableDocs:
        entry = self._own(table, "")
        return TableDocs(entry, tuple(self.column(table, column) for column in columns))

    def column(self, table: str, column: str) -> Entry:
        identifier = f"{table}.{column}"
        if identifier not in self.resolved:
            self.resolved[identifier] = self._own(table, column)  # a guard against a circle
            self.resolved[identifier] = self._inherit(self.resolved[identifier])
        return self.resolved[identifier]

    def _own(self, table: str, column: str) -> Entry:
        """Return the entry from the edits laid over the declarations."""
        docs = self.declared.get(table, DeclaredTable())
        declared = docs.columns.get(column, Declared()) if column else docs.table
        latest = self.latest.get((table, column), {})
        made = {name: edit for name, edit in latest.items() if edit.value is not None}
        value = {name: getattr(declared, name) for name in edits.FIELDS}
        value.update({name: edit.value for name, edit in made.items()})
        newest = max(made.values(), key=lambda edit: edit.at, default=None)
        return Entry(
            table,
            column,
            str(value["description"]) if value["description"] else None,
            EDITED if "description" in made else declared.origin,
            None,
            str(value["owner"]) if value["owner"] and not column else None,
            tuple(value["tags"] or ()),
            tuple(value["terms"] or ()),
            newest.author if newest else None,
            newest.at if newest else None,
            edited_fields=tuple(made),
        )

    def _inherit(self, entry: Entry) -> Entry:
        """Return `entry` with the description and terms of the columns it passes through,
        where it has none of its own."""
        links = self.upstream.get(entry.id, [])
        if not links or any(how != PASSED for _, how in links):
            return entry
        above = [self.column(*_split(source)) for source, _ in sorted(links)]
        described = [e for e in above if e.description]
        texts = {e.description for e in described}
        if not entry.description and "description" not in entry.edited_fields and len(texts) == 1:
            source = described[0]
            entry = replace(
                entry,
                description=source.description,
                described_by="inherited",
                inherited_from=source.inherited_from or source.id,
            )
        carrying = [e for e in above if e.terms]
        if not entry.terms and "terms" not in entry.edited_fields and carrying:
            terms = tuple(dict.fromkeys(term for e in carrying for term in e.terms))
            source = carrying[0].terms_from or carrying[0].id
            entry = replace(entry, terms=terms, terms_from=source, terms_inherited=True)
        return entry


def _split(column_id: str) -> tuple[str, str]:
    zone, name, column = column_id.split(".", 2)
    return f"{zone}.{name}", column
