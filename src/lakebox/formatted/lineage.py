"""The lineage of the formatted zone: each landing column into its formatted column with the
cleaning rules applied to it, and the table versions formatting a landed object committed
(with the object, its batch and the table's previous version they were made from)."""

from __future__ import annotations

from dataclasses import replace

from lakebox.catalog import TableRef
from lakebox.catalog.manifest import Entry
from lakebox.catalog.versions import ColumnSource, TableVersion, Upstream, batch_snapshots
from lakebox.config import SourceConfig
from lakebox.config.columns import ColumnConfig
from lakebox.formatted.schema import META_COLUMNS
from lakebox.lakehouse import Lakehouse

ZONES = ("formatted", "quarantine")  # the tables formatting a source's objects writes
MADE_BY = "format"


def landing_ref(source: str) -> TableRef:
    """Return the node a source's landing objects stand under."""
    return TableRef("landing", source)


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


def raw_names(column: str, config: ColumnConfig | None) -> list[str]:
    """Return the landing columns a formatted column is made from."""
    if config is None:
        return [column]
    names = [config.rename_from[0] if config.rename_from else column]
    return names + [extra for extra in (config.unit_from, config.date_column) if extra]


def column_sources(name: str, source: SourceConfig, committed: list[str]) -> list[ColumnSource]:
    """Return the landing column(s) of each column of `formatted.<name>` with its cleaning
    rules: the declared columns first, then those only the table has (`committed`)."""
    declared = source.columns
    landing = landing_ref(name)
    columns = [*declared, *(c for c in committed if c not in declared and c not in META_COLUMNS)]
    return [
        ColumnSource(column, landing, raw, cleaning_rules(declared.get(column)))
        for column in columns
        for raw in raw_names(column, declared.get(column))
    ]


def current_snapshots(lh: Lakehouse, source: str) -> dict[TableRef, int | None]:
    """Return the current snapshot of each table formatting `source` writes (None: none)."""
    found: dict[TableRef, int | None] = {}
    for zone in ZONES:
        ref = TableRef(zone, source)
        table = lh.catalog.load(ref)
        snapshot = table.current_snapshot() if table is not None else None
        found[ref] = snapshot.snapshot_id if snapshot is not None else None
    return found


def versions_since(
    lh: Lakehouse, entry: Entry, source: SourceConfig, before: dict[TableRef, int | None]
) -> list[TableVersion]:
    """Return the versions formatting `entry` committed to the tables of `before` since
    their snapshots there (`current_snapshots` before it started)."""
    found = []
    for ref, since in before.items():
        table = lh.catalog.load(ref)
        if table is None:
            continue
        for snapshot_id in batch_snapshots(table, entry.batch_id, since):
            snapshot = table.snapshot_by_id(snapshot_id)
            parent = snapshot.parent_snapshot_id if snapshot is not None else None
            committed = [field.name for field in table.schema().columns]
            found.append(_version(ref, snapshot_id, parent, entry, source, committed))
    return found


def group_versions(
    lh: Lakehouse, ref: TableRef, entries: list[Entry], source: SourceConfig
) -> list[TableVersion]:
    """Return the version of `ref` just committed with the rows of the landed objects of
    `entries` (one snapshot for them all), made from each object and the version before."""
    table = lh.catalog.load(ref)
    snapshot = table.current_snapshot() if table is not None else None
    if table is None or snapshot is None:
        return []
    committed = [field.name for field in table.schema().columns]
    parts = [
        _version(ref, snapshot.snapshot_id, snapshot.parent_snapshot_id, entry, source, committed)
        for entry in entries
    ]
    inputs = tuple(item for part in parts for item in part.inputs if item.table != ref)
    previous = tuple(item for item in parts[0].inputs if item.table == ref)
    return [replace(parts[0], inputs=inputs + previous)]


def _version(
    ref: TableRef,
    snapshot_id: int,
    parent: int | None,
    entry: Entry,
    source: SourceConfig,
    committed: list[str],
) -> TableVersion:
    """Return a version made from the landed object of `entry` and, when it keeps the rows
    the table had (an append, a merge by key, a batch's rows replaced), the version before."""
    inputs = [
        Upstream(
            landing_ref(entry.source),
            batch_id=entry.batch_id,
            landing_object=entry.landed_path,
            sha256=entry.sha256,
        )
    ]
    if parent is not None and not (ref.zone == "formatted" and source.replaces):
        inputs.append(Upstream(ref, parent))
    columns = column_sources(entry.source, source, committed) if ref.zone == "formatted" else []
    return TableVersion(ref, snapshot_id, MADE_BY, tuple(inputs), tuple(columns))
