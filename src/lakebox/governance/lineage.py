"""The project's lineage graph built from what it declares: its sources (each landing column
into its formatted column, with the cleaning rules applied), its models (traced from their SQL)
and the consumers the caller adds (dashboards live above this package, so they come in)."""

from __future__ import annotations

from collections.abc import Iterable

from lakebox.catalog import TableRef
from lakebox.config import SourceConfig
from lakebox.exploitation.builder import buildable
from lakebox.exploitation.lineages import model_lineages, table_columns
from lakebox.formatted.lineage import cleaning_rules, column_sources, landing_ref
from lakebox.governance.graph import READS, Consumer, Graph
from lakebox.lakehouse import Lakehouse

__all__ = ["cleaning_rules", "landing_ref", "project_graph"]


def project_graph(lh: Lakehouse, consumers: Iterable[Consumer] = ()) -> Graph:
    """Return the lineage graph of `lh`'s project, with `consumers` attached."""
    columns = table_columns(lh)
    graph = Graph(known=columns)
    for name, source in lh.config.formatted_sources.items():
        _source(graph, name, source, columns.get(TableRef("formatted", name), []))
    ordered = buildable(lh)
    references = {model.name: model.references for model in ordered}
    for name, lineage in model_lineages(lh, ordered, columns).items():
        model = TableRef("exploitation", name)
        graph.table(model)
        for reference in references.get(name, ()):  # also when its columns cannot be followed
            graph.link(graph.table(reference.table), model.identifier, READS)
        graph.lineage(model, lineage)
    return graph.merge(consumers)


def _source(graph: Graph, name: str, source: SourceConfig, committed: list[str]) -> None:
    formatted, landing = TableRef("formatted", name), landing_ref(name)
    graph.table(landing, "landing")
    graph.table(formatted)
    for edge in column_sources(name, source, committed):
        target = graph.column(formatted, edge.column)
        graph.link(graph.column(landing, edge.source, "landing"), target, edge.how)
