"""The models of the registry (`analytics.models`) as consumers of the lineage graph
(`trained:<name>`): each reads the feature and target columns of the table it was trained on.

The registry records a version's features, target and the snapshots it learned from: the
table trained on and, when that table was frozen from SQL (a sandbox, a feature table), the
tables that SQL read. The table trained on is the one of those the others fed; a frozen
table's columns are traced from its recorded SQL, so a change upstream reaches the model."""

from __future__ import annotations

from sqlglot import exp

from lakebox.analysis import registry
from lakebox.analysis.registry import ModelVersion
from lakebox.analysis.sandbox import ANALYTICS, describe
from lakebox.catalog import TableRef
from lakebox.errors import LakeboxError
from lakebox.exploitation.lineage import Lineage, Schema, column_lineage
from lakebox.exploitation.lineages import table_columns
from lakebox.governance.graph import Consumer, Graph
from lakebox.lakehouse import Lakehouse


def trained_consumers(lh: Lakehouse, schema: Schema) -> list[Consumer]:
    """Return a consumer per registered model: its production version's reads, else its
    newest version's."""
    found = []
    for version in _current(registry.list_versions(lh)):
        table = trained_table(lh, version)
        columns = (*version.features, version.target)
        reads = tuple((table, column) for column in dict.fromkeys(columns)) if table else ()
        found.append(Consumer(f"trained:{version.name}", "trained", version.name, reads))
    return found


def trained_table(lh: Lakehouse, version: ModelVersion) -> TableRef | None:
    """Return the table `version` was trained on: of the tables it learned from, the one no
    other was made from (None when the registry names none)."""
    refs = [TableRef.of(identifier) for identifier in version.training_snapshots]
    fed = {TableRef.of(name) for ref in refs for name in _inputs(lh, ref)}
    trained = [ref for ref in refs if ref not in fed]
    return min(trained or refs, key=lambda ref: ref.identifier, default=None)


def add_frozen_tables(lh: Lakehouse, graph: Graph, consumers: list[Consumer]) -> Graph:
    """Add to `graph` the column lineage of each table the `consumers` read that was frozen
    from SQL (a sandbox, a feature table), and of the frozen tables that SQL read: traced
    from the SQL each snapshot records, against the tables' columns as committed."""
    schema = {**graph.schema(), **table_columns(lh)}
    waiting = sorted({ref for c in consumers for ref, _ in c.reads}, key=lambda r: r.identifier)
    seen = set(waiting)
    while waiting:
        ref = waiting.pop(0)
        lineage = _frozen_lineage(lh, ref, schema)
        if lineage is None:
            continue
        graph.lineage(ref, lineage)
        upstream = {edge.table for edge in lineage.edges} - seen
        seen |= upstream
        waiting += sorted(upstream, key=lambda r: r.identifier)
    return graph


def _frozen_lineage(lh: Lakehouse, ref: TableRef, schema: Schema) -> Lineage | None:
    if ref.zone != ANALYTICS or lh.catalog.load(ref) is None:
        return None
    sql = describe(lh, ref).sql
    if not sql:
        return None
    try:
        return column_lineage(ref.name, sql, schema, _resolve)
    except LakeboxError:
        return None


def _resolve(table: exp.Table) -> TableRef | None:
    """Resolve a table of frozen SQL as the sandbox did: a bare name is exploitation's."""
    name = table.name.lower()
    return TableRef(table.db.lower(), name) if table.db else TableRef("exploitation", name)


def _inputs(lh: Lakehouse, ref: TableRef) -> list[str]:
    if lh.catalog.load(ref) is None:
        return []
    return list(describe(lh, ref).inputs)


def _current(versions: list[ModelVersion]) -> list[ModelVersion]:
    """Return each name's production version, else its newest."""
    chosen: dict[str, ModelVersion] = {}
    for version in versions:  # by name and version: the newest comes last
        held = chosen.get(version.name)
        if held is None or held.status != registry.PRODUCTION:
            chosen[version.name] = version
    return list(chosen.values())
