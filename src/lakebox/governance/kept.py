"""Columns a change just removed, put back in the lineage graph as if their tables still had
them: each with the links to what reads it by name, so the run summary can say what a column
that disappeared was used by (a model's SQL that selects it is traced against its table with
the column put back)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from lakebox.catalog import TableRef
from lakebox.errors import ModelError
from lakebox.exploitation.builder import buildable
from lakebox.exploitation.lineages import lineage_of, table_columns
from lakebox.governance.graph import Graph
from lakebox.lakehouse import Lakehouse

# Columns to trace as if their table still had them: table -> column names.
Kept = Mapping[TableRef, Iterable[str]]


def add_kept_columns(lh: Lakehouse, graph: Graph, kept: Kept) -> Graph:
    """Add the `kept` columns to `graph`, linked into the models that read them; return it.
    Add them before the other consumers, which are traced against the graph's columns."""
    wanted = {ref: list(columns) for ref, columns in kept.items()}
    for ref, columns in wanted.items():
        for column in columns:
            graph.column(ref, column)
    schema = {**table_columns(lh), **graph.schema()}
    ordered = buildable(lh)
    names = {model.name for model in ordered}
    for model in ordered:
        if not any(reference.table in wanted for reference in model.references):
            continue
        try:
            lineage = lineage_of(model, schema, names)
        except ModelError:
            continue  # its SQL cannot be followed: the graph already says so
        for edge in lineage.edges:
            if edge.source in wanted.get(edge.table, ()):
                graph.edge(edge, model.ref)
    return graph
