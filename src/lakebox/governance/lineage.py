"""The project's lineage graph built from what it declares: its sources (each landing column
into its formatted column, with the cleaning rules applied), its models (traced from their SQL)
and the consumers the caller adds (dashboards live above this package, so they come in)."""

from __future__ import annotations

from collections.abc import Iterable

from lakebox.catalog import TableRef
from lakebox.config import SourceConfig
from lakebox.config.columns import ColumnConfig
from lakebox.exploitation.builder import models
from lakebox.exploitation.lineages import model_lineages, table_columns
from lakebox.formatted.schema import META_COLUMNS
from lakebox.governance.graph import READS, Consumer, Graph
from lakebox.lakehouse import Lakehouse


def project_graph(lh: Lakehouse, consumers: Iterable[Consumer] = ()) -> Graph:
    """Return the lineage graph of `lh`'s project, with `consumers` attached."""
    graph = Graph()
    columns = table_columns(lh)
    for name, source in lh.config.formatted_sources.items():
        _source(graph, name, source, columns.get(TableRef("formatted", name), []))
    references = {model.name: model.references for model in models(lh)}
    for name, lineage in model_lineages(lh).items():
        model = TableRef("exploitation", name)
        graph.table(model)
        for reference in references.get(name, ()):  # also when its columns cannot be followed
            graph.link(graph.table(reference.table), model.identifier, READS)
        for column in lineage.columns:
            graph.column(model, column)
        for edge in lineage.edges:
            upstream = graph.column(edge.table, edge.source)
            if edge.column:
                graph.link(upstream, graph.column(model, edge.column), edge.how)
            else:  # shapes every row: the column links to the whole table
                graph.link(upstream, model.identifier, edge.how)
                graph.link(graph.nodes[upstream].table, model.identifier, READS)
    return graph.merge(consumers)


def landing_ref(source: str) -> TableRef:
    """Return the node a source's landing objects stand under."""
    return TableRef("landing", source)


def _source(graph: Graph, name: str, source: SourceConfig, committed: list[str]) -> None:
    formatted, landing = TableRef("formatted", name), landing_ref(name)
    graph.table(landing, "landing")
    graph.table(formatted)
    declared = source.columns
    names = [*declared, *(c for c in committed if c not in declared and c not in META_COLUMNS)]
    for column in names:
        config = declared.get(column)
        target = graph.column(formatted, column)
        for raw in _raw_names(column, config):
            graph.link(graph.column(landing, raw, "landing"), target, cleaning_rules(config))


def _raw_names(column: str, config: ColumnConfig | None) -> list[str]:
    if config is None:
        return [column]
    names = [config.rename_from[0] if config.rename_from else column]
    return names + [extra for extra in (config.unit_from, config.date_column) if extra]


def cleaning_rules(config: ColumnConfig | None) -> str:
    """Return the cleaning rules a formatted column's values go through, in words."""
    if config is None:
        return "type inferred"
    rules = [f"cast to {config.type}"]
    if config.rename_from:
        rules.append(f"renamed from {' or '.join(config.rename_from)}")
    if config.formats:
        rules.append(f"parsed with {', '.join(config.formats)}")
    if config.timezone:
        rules.append(f"in time zone {config.timezone}")
    if config.unit:
        rules.append(f"converted to {config.unit}")
    if config.tax:
        rules.append("tax removed")
    if config.name_format:
        rules.append(f"name as {config.name_format}")
    if config.required:
        rules.append("required")
    return "; ".join(rules)
