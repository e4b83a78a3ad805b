"""The lineage graph of a project: each source's landing objects → its formatted columns (with
the cleaning rules applied to each) → the models' columns → what uses them (dashboards' charts,
checks, forecasts, anomaly rules, trained models, stream windows).

A node is a table (`zone.name`), a column (`zone.name.column`) or a consumer (`kind:name`);
a link runs from an upstream node to a downstream one and says how. Tables are linked when any
of their columns are, so the graph reads at either grain.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Literal

from lakebox.catalog import TableRef
from lakebox.exploitation.lineage import Edge, Lineage

Direction = Literal["upstream", "downstream"]
# A table link says the downstream table reads the upstream one.
READS = "reads"


@dataclass(frozen=True)
class Node:
    """A table, a column or a consumer. `table` is the identifier of the table a column belongs
    to (a table's own for a table); a consumer has none."""

    id: str
    kind: str  # landing | table | column | chart | check | forecast | anomaly | trained | alert
    label: str
    table: str = ""
    column: str = ""


@dataclass(frozen=True)
class Link:
    """`source` flows into `target`; `how` says in what way (passed, transformed, aggregated,
    filtered, joined, grouped, a cleaning rule, reads)."""

    source: str
    target: str
    how: str


@dataclass(frozen=True)
class Consumer:
    """Something that reads columns without being a table: a dashboard's chart, a check, a
    forecast, an anomaly rule, a trained model, a stream's alert. A column "" reads the table."""

    id: str
    kind: str
    label: str
    reads: tuple[tuple[TableRef, str], ...]


@dataclass(frozen=True)
class Step:
    """A node reached by a walk, how many links away and through which link."""

    node: Node
    depth: int
    how: str
    via: str


@dataclass
class Graph:
    """Nodes by id and the links between them. Column links into a column are its lineage; a
    column that filters, joins or groups a table's rows links into the table itself."""

    nodes: dict[str, Node] = field(default_factory=dict)
    links: dict[tuple[str, str], Link] = field(default_factory=dict)
    # the columns of the tables outside the graph's nodes (analytics, ops …), for tracing SQL
    known: dict[TableRef, list[str]] = field(default_factory=dict, repr=False, compare=False)
    # the adjacency of each kind of walk, kept while the links are the same (links are only
    # ever added, so the same dict of the same length holds the same links)
    _adjacent: dict[tuple[str, bool], dict[str, list[Link]]] = field(
        default_factory=dict, repr=False, compare=False
    )
    _adjacent_stamp: tuple[int, int] = field(default=(0, -1), repr=False, compare=False)

    def table(self, ref: TableRef, kind: str = "table") -> str:
        """Add the node of table `ref` (if new); return its id."""
        node_id = ref.identifier
        self.nodes.setdefault(node_id, Node(node_id, kind, node_id, table=node_id))
        return node_id

    def column(self, ref: TableRef, column: str, kind: str = "table") -> str:
        """Add the node of `ref`'s `column` (and of its table); return the column's id."""
        table_id = self.table(ref, kind)
        node_id = f"{table_id}.{column}"
        self.nodes.setdefault(node_id, Node(node_id, "column", column, table_id, column))
        return node_id

    def link(self, source: str, target: str, how: str) -> None:
        """Link `source` into `target`, and their tables when both are columns."""
        self.links.setdefault((source, target), Link(source, target, how))
        upper, lower = self.nodes[source], self.nodes[target]
        if upper.kind == "column" and lower.kind == "column" and upper.table != lower.table:
            self.links.setdefault((upper.table, lower.table), Link(upper.table, lower.table, READS))

    def edge(self, edge: Edge, into: TableRef) -> None:
        """Add one traced edge of table `into`: a column's value from an upstream column, or
        an upstream column that shapes every row of `into` (linked into the table itself)."""
        upstream = self.column(edge.table, edge.source)
        if edge.column:
            self.link(upstream, self.column(into, edge.column), edge.how)
        else:
            self.link(upstream, into.identifier, edge.how)
            self.link(self.nodes[upstream].table, into.identifier, READS)

    def lineage(self, ref: TableRef, lineage: Lineage) -> None:
        """Add table `ref` with its traced columns and every edge into them."""
        self.table(ref)
        for column in lineage.columns:
            self.column(ref, column)
        for edge in lineage.edges:
            self.edge(edge, ref)

    def consumer(self, consumer: Consumer) -> None:
        """Add a consumer, linked from each column (or table) it reads."""
        self.nodes[consumer.id] = Node(consumer.id, consumer.kind, consumer.label)
        for ref, column in consumer.reads:
            source = self.column(ref, column) if column else self.table(ref)
            self.links.setdefault((source, consumer.id), Link(source, consumer.id, READS))
            if column:
                table = self.nodes[source].table
                self.links.setdefault((table, consumer.id), Link(table, consumer.id, READS))

    def walk(self, start: str, direction: Direction, depth: int | None = None) -> list[Step]:
        """Return the nodes reachable from `start` upstream or downstream, nearest first, each
        once. From a table, only links between tables (and consumers) are followed. From a
        column, column links, and the links of a column that filters, joins or groups a
        table's rows into that table (and on from it: every row of it depends on the column);
        a consumer reaches the columns and tables it reads."""
        at_tables = self.nodes[start].kind in ("table", "landing")
        adjacent = self._adjacency(direction, at_tables)
        seen, found = {start}, []
        queue: deque[tuple[str, int]] = deque([(start, 0)])
        while queue:
            node_id, distance = queue.popleft()
            if depth is not None and distance >= depth:
                continue
            for link in adjacent.get(node_id, []):
                following = link.source if direction == "upstream" else link.target
                if following not in seen:
                    seen.add(following)
                    found.append(Step(self.nodes[following], distance + 1, link.how, node_id))
                    queue.append((following, distance + 1))
        return found

    def _adjacency(self, direction: Direction, at_tables: bool) -> dict[str, list[Link]]:
        key = (direction, at_tables)
        stamp = (id(self.links), len(self.links))
        if self._adjacent_stamp != stamp:
            self._adjacent, self._adjacent_stamp = {}, stamp
        if key in self._adjacent:
            return self._adjacent[key]
        adjacent: dict[str, list[Link]] = {}
        for link in sorted(self.links.values(), key=lambda link: (link.source, link.target)):
            if at_tables and "column" in (
                self.nodes[link.source].kind,
                self.nodes[link.target].kind,
            ):
                continue
            start = link.target if direction == "upstream" else link.source
            adjacent.setdefault(start, []).append(link)
        self._adjacent[key] = adjacent
        return adjacent

    def columns_of(self, table_id: str) -> Iterator[Node]:
        """Yield the column nodes of a table, in the order they were added."""
        for node in self.nodes.values():
            if node.kind == "column" and node.table == table_id:
                yield node

    def schema(self) -> dict[TableRef, list[str]]:
        """Return the columns of every table node (not the landing ones), and of the tables
        the graph knows beside them, for tracing SQL."""
        found: dict[TableRef, list[str]] = {ref: list(names) for ref, names in self.known.items()}
        drawn: dict[TableRef, list[str]] = {}
        for node in self.nodes.values():
            if node.kind == "column" and self.nodes[node.table].kind == "table":
                drawn.setdefault(TableRef.of(node.table), []).append(node.column)
        return {**found, **drawn}

    def merge(self, consumers: Iterable[Consumer]) -> Graph:
        """Add every consumer; return the graph."""
        for consumer in consumers:
            self.consumer(consumer)
        return self
