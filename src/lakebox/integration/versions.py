"""The table versions an entity's resolution published: both tables are made from the input
snapshots of its sources; the golden record's columns from each source's mapped column, as
its survivorship rule chose, and the clusters' `source_id` from each source's id."""

from __future__ import annotations

from lakebox.catalog import TableRef
from lakebox.catalog.versions import ColumnSource, TableVersion, Upstream
from lakebox.config import EntityConfig

MADE_BY = "entity"
LINKED = "linked"  # the columns compared decide which records one cluster holds


def golden_version(
    name: str, snapshot_id: int, entity: EntityConfig, inputs: dict[str, int | None]
) -> TableVersion:
    """Return version `snapshot_id` of `exploitation.<name>`, the golden records."""
    columns = [
        ColumnSource(column, TableRef.of(source.table), mapped, _survived(entity, column))
        for column in entity.columns
        for source in entity.sources
        if (mapped := source.columns.get(column)) is not None
    ]
    ref = TableRef("exploitation", name)
    return _version(ref, snapshot_id, inputs, [*columns, *_linking(entity)])


def clusters_version(
    ref: TableRef, snapshot_id: int, entity: EntityConfig, inputs: dict[str, int | None]
) -> TableVersion:
    """Return version `snapshot_id` of `exploitation.<name>_clusters`, a row per record."""
    ids = [
        ColumnSource("source_id", TableRef.of(source.table), source.id, "transformed")
        for source in entity.sources
    ]
    return _version(ref, snapshot_id, inputs, [*ids, *_linking(entity)])


def _survived(entity: EntityConfig, column: str) -> str:
    return f"survived: {entity.survivorship.rule(column)}"


def _linking(entity: EntityConfig) -> list[ColumnSource]:
    """Return the columns compared or blocked on, which decide every cluster (column "")."""
    used = dict.fromkeys([*entity.compare, *(c for rule in entity.blocking for c in rule)])
    return [
        ColumnSource("", TableRef.of(source.table), mapped, LINKED)
        for column in used
        for source in entity.sources
        if (mapped := source.columns.get(column)) is not None
    ]


def _version(
    ref: TableRef, snapshot_id: int, inputs: dict[str, int | None], columns: list[ColumnSource]
) -> TableVersion:
    """Return the version with the input snapshots filled in on its columns."""
    with_snapshots = tuple(
        ColumnSource(c.column, c.table, c.source, c.how, inputs.get(c.table.identifier))
        for c in columns
    )
    upstream = tuple(Upstream(TableRef.of(table), read) for table, read in sorted(inputs.items()))
    return TableVersion(ref, snapshot_id, MADE_BY, upstream, with_snapshots)
