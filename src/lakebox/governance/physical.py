"""A table's physical metadata: how its source's files are read (`reading`), the versions of
its Iceberg schema (columns added, widened, renamed, removed, each with the snapshot it took
effect at), its partitioning, the data files of its current snapshot, and its snapshots with
the landing objects (or, for a model, the input snapshots) behind each. `lakebox describe`,
the table page and `GET /api/tables/{zone}/{name}/physical` show it; `narrowed` gives a
user's view of it."""

from __future__ import annotations

import json
import statistics
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pyiceberg.schema import Schema
from pyiceberg.table import Table
from pyiceberg.table.snapshots import Snapshot

from lakebox.catalog import BATCH_PROPERTY, TableRef
from lakebox.catalog.iceberg import snapshot_properties
from lakebox.catalog.manifest import Entry, Status
from lakebox.catalog.summaries import known_table
from lakebox.errors import LakeboxError
from lakebox.exploitation.builder import INPUTS_PROPERTY, SQL_PROPERTY
from lakebox.exploitation.model import load
from lakebox.governance.reading import Setting, recorded, source_settings
from lakebox.lakehouse import Lakehouse

SNAPSHOTS_SHOWN = 20
SOURCE_ZONES = ("formatted", "quarantine")  # the tables a source's landing objects fill
READ = (Status.FORMATTED, Status.QUARANTINED)


@dataclass
class Column:
    """A column of one schema version, as Iceberg keeps it."""

    id: int
    name: str
    type: str
    required: bool


@dataclass
class Change:
    """How a schema version changed a column: added, widened, changed (a nested type),
    renamed or removed; `previous` is its type (or, renamed, its name) before."""

    column: str
    change: str
    type: str
    previous: str | None = None


@dataclass
class SchemaVersion:
    """One of the table's schemas, the snapshot it took effect at (None: no snapshot kept
    uses it) and what it changed from the version before."""

    schema_id: int
    columns: list[Column]
    changes: list[Change]
    snapshot_id: int | None
    since: datetime | None
    current: bool


@dataclass
class PartitionField:
    """One field of the partition spec: its name, source column and transform."""

    name: str
    column: str
    transform: str


@dataclass
class Files:
    """The data files of the current snapshot: how many, their sizes and rows."""

    count: int = 0
    total_bytes: int = 0
    min_bytes: int | None = None
    median_bytes: int | None = None
    max_bytes: int | None = None
    rows: int | None = 0
    delete_files: int = 0


@dataclass
class LandingObject:
    """A landed object behind a snapshot, as the manifest records it."""

    batch_id: str
    source: str
    status: str
    original_path: str
    landed_path: str | None
    bytes: int
    sha256: str
    received_at: datetime
    formatted_at: datetime | None
    rows_read: int | None
    rows_formatted: int | None
    rows_quarantined: int | None
    read_with: dict[str, dict[str, object]] | None


@dataclass
class SnapshotFacts:
    """One snapshot: when, how, with which schema and rows; the batches it committed and
    their landing objects; for a model, the input snapshots and SQL hash it was built from."""

    snapshot_id: int
    committed_at: datetime
    operation: str | None
    schema_id: int | None
    rows: int | None
    batch_ids: list[str]
    landing: list[LandingObject] = field(default_factory=list)
    inputs: dict[str, int | None] = field(default_factory=dict)
    sql_hash: str | None = None


@dataclass
class ModelFacts:
    """A model's file, the hash of its SQL now, and the hash and input snapshots its current
    snapshot was built from (a model has no reader settings)."""

    name: str
    file: str | None
    sql_hash: str | None
    built_hash: str | None
    inputs: dict[str, int | None]


@dataclass
class Physical:
    """Everything physical about one table (see the module's doc)."""

    table: str
    zone: str
    name: str
    kind: str  # source | model | table
    source: str | None
    settings: list[Setting]
    objects_read: int  # the source's landing objects formatted or quarantined whole
    objects_recorded: int  # those of them whose reader settings were recorded
    schemas: list[SchemaVersion]
    partitioning: list[PartitionField]
    format_version: int
    location: str
    files: Files
    snapshot_count: int
    snapshots: list[SnapshotFacts]  # the newest first, at most the number asked for
    model: ModelFacts | None = None
    hidden_inputs: int = 0  # input tables a user's view leaves out
    landing_hidden: bool = False  # a user's view without the landing objects (the manifest)


def describe(lh: Lakehouse, ref: TableRef, snapshots: int = SNAPSHOTS_SHOWN) -> Physical:
    """Return the physical metadata of table `ref` (a CatalogError when there is none) with
    its `snapshots` newest snapshots."""
    ref = known_table(lh.catalog, ref.zone, ref.name)
    table = lh.catalog.load(ref)
    assert table is not None
    source = lh.config.formatted_sources.get(ref.name) if ref.zone in SOURCE_ZONES else None
    model = _model(lh, ref, table.current_snapshot())
    entries = lh.manifest.entries(ref.name, READ) if source is not None else []
    return Physical(
        table=ref.identifier,
        zone=ref.zone,
        name=ref.name,
        kind="source" if source else "model" if model else "table",
        source=ref.name if source else None,
        settings=source_settings(source, entries) if source else [],
        objects_read=len(entries),
        objects_recorded=sum(1 for entry in entries if entry.read_with),
        schemas=schema_versions(table),
        partitioning=partitioning(table),
        format_version=table.metadata.format_version,
        location=_relative(lh, table.location()),
        files=data_files(table),
        snapshot_count=len(table.snapshots()),
        snapshots=snapshot_facts(lh, table, snapshots),
        model=model,
    )


def schema_versions(table: Table) -> list[SchemaVersion]:
    """Return the table's schemas, oldest first, each with what it changed."""
    started = _first_snapshots(table)
    current = table.metadata.current_schema_id
    versions, previous = [], None
    for schema in sorted(table.metadata.schemas, key=lambda each: each.schema_id):
        snapshot = started.get(schema.schema_id)
        versions.append(
            SchemaVersion(
                schema_id=schema.schema_id,
                columns=[
                    Column(f.field_id, f.name, str(f.field_type), f.required) for f in schema.fields
                ],
                changes=changes(previous, schema),
                snapshot_id=snapshot.snapshot_id if snapshot else None,
                since=_moment(snapshot.timestamp_ms) if snapshot else None,
                current=schema.schema_id == current,
            )
        )
        previous = schema
    return versions


def changes(previous: Schema | None, schema: Schema) -> list[Change]:
    """Return how `schema` changed the columns of `previous` (none for the first schema)."""
    if previous is None:
        return []
    before = {f.field_id: f for f in previous.fields}
    now = {f.field_id: f for f in schema.fields}
    found = []
    for field_id, column in now.items():
        old = before.get(field_id)
        kind = str(column.field_type)
        if old is None:
            found.append(Change(column.name, "added", kind))
            continue
        if old.name != column.name:
            found.append(Change(column.name, "renamed", kind, old.name))
        if str(old.field_type) != kind:
            how = "widened" if old.field_type.is_primitive else "changed"
            found.append(Change(column.name, how, kind, str(old.field_type)))
    removed = [f for field_id, f in before.items() if field_id not in now]
    return found + [Change(f.name, "removed", str(f.field_type)) for f in removed]


def _first_snapshots(table: Table) -> dict[int, Snapshot]:
    """Return, per schema id, the first snapshot (in time) written with it."""
    found: dict[int, Snapshot] = {}
    for snapshot in sorted(table.snapshots(), key=lambda each: each.timestamp_ms):
        if snapshot.schema_id is not None:
            found.setdefault(snapshot.schema_id, snapshot)
    return found


def partitioning(table: Table) -> list[PartitionField]:
    """Return the fields of the table's partition spec (none: unpartitioned)."""
    schema = table.schema()
    return [
        PartitionField(f.name, schema.find_column_name(f.source_id) or "", str(f.transform))
        for f in table.spec().fields
    ]


def data_files(table: Table) -> Files:
    """Return the count, sizes and rows of the current snapshot's live data files (from its
    manifests: a scan plan would leave out the files with no rows)."""
    from pyiceberg.manifest import DataFileContent

    snapshot = table.current_snapshot()
    if snapshot is None:
        return Files()
    files = [
        entry.data_file
        for manifest in snapshot.manifests(table.io)
        for entry in manifest.fetch_manifest_entry(table.io, discard_deleted=True)
    ]
    data = [file for file in files if file.content == DataFileContent.DATA]
    sizes = sorted(file.file_size_in_bytes for file in data)
    return Files(
        count=len(sizes),
        total_bytes=sum(sizes),
        min_bytes=sizes[0] if sizes else None,
        median_bytes=statistics.median_low(sizes) if sizes else None,
        max_bytes=sizes[-1] if sizes else None,
        rows=sum(file.record_count for file in data),
        delete_files=len(files) - len(data),
    )


def snapshot_facts(lh: Lakehouse, table: Table, limit: int) -> list[SnapshotFacts]:
    """Return the table's `limit` newest snapshots, newest first, with their landing objects."""
    newest = sorted(table.snapshots(), key=lambda each: each.timestamp_ms, reverse=True)[:limit]
    facts = [_snapshot(snapshot) for snapshot in newest]
    batches = sorted({batch for fact in facts for batch in fact.batch_ids})
    entries = lh.manifest.of_batches(batches) if batches else {}
    for fact in facts:
        fact.landing = [_landing(entries[b]) for b in fact.batch_ids if b in entries]
    return facts


def _snapshot(snapshot: Snapshot) -> SnapshotFacts:
    extra = snapshot_properties(snapshot)
    return SnapshotFacts(
        snapshot_id=snapshot.snapshot_id,
        committed_at=_moment(snapshot.timestamp_ms),
        operation=snapshot.summary.operation.value if snapshot.summary else None,
        schema_id=snapshot.schema_id,
        rows=int(extra.get("total-records", 0)),
        batch_ids=_json(extra.get(BATCH_PROPERTY), []),
        inputs=_json(extra.get(INPUTS_PROPERTY), {}),
        sql_hash=extra.get(SQL_PROPERTY),
    )


def _landing(entry: Entry) -> LandingObject:
    return LandingObject(
        batch_id=entry.batch_id,
        source=entry.source,
        status=entry.status,
        original_path=entry.original_path,
        landed_path=entry.landed_path,
        bytes=entry.bytes,
        sha256=entry.sha256,
        received_at=entry.received_at,
        formatted_at=entry.formatted_at,
        rows_read=entry.rows_read,
        rows_formatted=entry.rows_formatted,
        rows_quarantined=entry.rows_quarantined,
        read_with=recorded(entry),
    )


def _model(lh: Lakehouse, ref: TableRef, current: Snapshot | None) -> ModelFacts | None:
    """Return the facts of the model behind exploitation table `ref` (None: no model file,
    and no snapshot built from one)."""
    folder = lh.project_dir / lh.config.models.path
    path = folder / f"{ref.name}.sql"
    extra = snapshot_properties(current)
    if ref.zone != "exploitation" or not (path.is_file() or SQL_PROPERTY in extra):
        return None
    return ModelFacts(
        name=ref.name,
        file=str(path.relative_to(lh.project_dir)) if path.is_file() else None,
        sql_hash=_fingerprint(path, folder),
        built_hash=extra.get(SQL_PROPERTY),
        inputs=_json(extra.get(INPUTS_PROPERTY), {}),
    )


def _fingerprint(path: Path, folder: Path) -> str | None:
    """Return the hash of the model's SQL now (None: no such file, or it does not load)."""
    if not path.is_file():
        return None
    try:
        return load(path, {each.stem for each in folder.glob("*.sql")}).fingerprint
    except LakeboxError:
        return None


def _relative(lh: Lakehouse, location: str) -> str:
    """Return a table's location under the storage root (as landed paths are shown)."""
    return location.removeprefix(lh.storage.root_uri.rstrip("/") + "/")


def _json(text: str | None, empty: Any) -> Any:
    """Return the JSON `text` of a snapshot property, `empty` when absent or unreadable."""
    try:
        return json.loads(text) if text else empty
    except ValueError:
        return empty


def _moment(timestamp_ms: int) -> datetime:
    return datetime.fromtimestamp(timestamp_ms / 1000, UTC)
