"""Columns a build step made disappear from a model's table: those the data it wrote no
longer carries, though the data written before did. A model whose SQL stops selecting a
column keeps it in its table's schema, empty from then on (unless its types changed and the
table is recreated), so what counts is what the data files hold: the files the step's
snapshots added, against those the snapshot before added — never a table's whole history.

A formatted table keeps every column it has had (its schema only grows), and a file without
one gives it empty values; each formatted commit says which of the table's columns its file
lacked, so a column vanishes from a source when every file a format step read lacked it and
the file before did not.

The run report lists the columns as `vanished`; what still uses them is for the layers that
know the lineage graph to say (the CLI's run summary)."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import islice
from typing import TYPE_CHECKING

from lakebox.catalog import ABSENT_PROPERTY, TableRef
from lakebox.errors import LakeboxError
from lakebox.lakehouse import Lakehouse
from lakebox.orchestration.report import outcome_kind
from lakebox.orchestration.steps.base import Unit

if TYPE_CHECKING:
    from pyiceberg.table import Table
    from pyiceberg.table.snapshots import Snapshot

logger = logging.getLogger(__name__)
VANISHED = outcome_kind("vanished", None)
# How far back to look for the last snapshot that wrote data (one that only deleted, none).
LOOK_BACK = 20


@dataclass(frozen=True)
class VanishedColumn:
    """A column `step` (a unit's name, e.g. `build`) left table `table` without."""

    step: str
    table: str
    column: str


@dataclass(frozen=True)
class Before:
    """A table as a unit found it: its metadata file, current snapshot and columns."""

    location: str
    snapshot_id: int | None
    columns: list[str]


@dataclass(frozen=True)
class Watch:
    """The tables a unit may change, as they were before it ran."""

    step: str
    tables: dict[TableRef, Before]

    def vanished(self, lh: Lakehouse) -> list[VanishedColumn]:
        """Return the columns the changed tables' new data no longer carries."""
        locations = lh.catalog.metadata_locations()
        found = []
        for ref, before in self.tables.items():
            if locations.get(ref) == before.location:
                continue
            try:
                gone = (_gone_from_files if ref.zone == "formatted" else _gone)(lh, ref, before)
            except (LakeboxError, OSError) as error:  # a warning never fails a run
                logger.warning("%s: could not compare the columns of %s: %s", self.step, ref, error)
                continue
            found += [VanishedColumn(self.step, ref.identifier, column) for column in gone]
        return found


def watch(lh: Lakehouse, unit: Unit, step: str) -> Watch:
    """Return the watch of the tables `unit` (named `step`) may change: a build unit's
    models' tables, a collect or format unit's formatted tables (a collect step formats what
    it lands); no table for a unit of another step."""
    if unit.step.kind in ("collect", "format"):
        sources = [unit.item] if unit.item else list(lh.config.formatted_sources)
        refs = {TableRef("formatted", name) for name in sources}
    elif unit.step.kind == "build":
        refs = {TableRef("exploitation", name) for name in _model_names(lh, unit)}
    else:
        return Watch(step, {})
    tables = {}
    for ref, location in lh.catalog.metadata_locations().items():
        table = lh.catalog.load(ref) if ref in refs else None
        if table is not None:
            snapshot = table.current_snapshot()
            names = [field.name for field in table.schema().fields]
            tables[ref] = Before(location, snapshot and snapshot.snapshot_id, names)
    return Watch(step, tables)


def _model_names(lh: Lakehouse, unit: Unit) -> set[str]:
    """Return the models a build unit may build: those it names, else every `*.sql` file's
    (a model is named by its file)."""
    if unit.models is not None:
        return set(unit.models)
    folder = lh.project_dir / lh.config.models.path
    return {path.stem for path in folder.glob("*.sql")} if folder.is_dir() else set()


def _gone(lh: Lakehouse, ref: TableRef, before: Before) -> list[str]:
    """Return the columns the data written before carried and the new data does not (none
    when either cannot be told: no file written, or files without column counts)."""
    table = lh.catalog.load(ref)
    if table is None or table.current_snapshot() is None or before.snapshot_id is None:
        return []
    new = [snapshot.snapshot_id for snapshot in _since(table, before.snapshot_id)]
    now = added_columns(table, new)
    if now is None or now >= set(before.columns):
        return []
    if table.snapshot_by_id(before.snapshot_id) is None:  # recreated: read it as it was
        table = _as_it_was(lh, before)
    then = _last_written(table, before.snapshot_id)
    if then is None:
        return []
    return [column for column in before.columns if column in then and column not in now]


def _gone_from_files(lh: Lakehouse, ref: TableRef, before: Before) -> list[str]:
    """Return the columns every file the unit formatted lacked, which the last file formatted
    before had (a column the table had before the unit, at least)."""
    from pyiceberg.table.snapshots import ancestors_of

    table = lh.catalog.load(ref)
    if table is None or table.current_snapshot() is None or before.snapshot_id is None:
        return []
    lacked = [_absent(s) for s in _since(table, before.snapshot_id)]
    lacked = [found for found in lacked if found is not None]
    if not lacked:
        return []
    missing = set.intersection(*lacked)
    start = table.snapshot_by_id(before.snapshot_id)
    previous = next(
        (
            found
            for s in islice(ancestors_of(start, table.metadata), LOOK_BACK)
            if (found := _absent(s)) is not None
        ),
        None,
    )
    if previous is None:
        return []
    return [column for column in before.columns if column in missing - previous]


def _absent(snapshot: Snapshot) -> set[str] | None:
    """Return the columns a formatted commit's file lacked (None: not a file's commit)."""
    text = snapshot.summary.additional_properties.get(ABSENT_PROPERTY) if snapshot.summary else None
    return set(json.loads(text)) if text is not None else None


def _since(table: Table, snapshot_id: int) -> list[Snapshot]:
    """Return the current snapshot and its ancestors, newest first, down to (without)
    `snapshot_id`."""
    from pyiceberg.table.snapshots import ancestors_of

    found = []
    for snapshot in ancestors_of(table.current_snapshot(), table.metadata):
        if snapshot.snapshot_id == snapshot_id:
            break
        found.append(snapshot)
    return found


def _as_it_was(lh: Lakehouse, before: Before) -> Table:
    """Return the table as its metadata file before the unit describes it (a dropped
    table's files stay until expired)."""
    from pyiceberg.table import StaticTable

    return StaticTable.from_metadata(before.location, properties=lh.catalog.iceberg.properties)


def _last_written(table: Table, snapshot_id: int) -> set[str] | None:
    """Return the columns of the data that the last snapshot that wrote any, at or before
    `snapshot_id`, added."""
    from pyiceberg.table.snapshots import ancestors_of

    start = table.snapshot_by_id(snapshot_id)
    for snapshot in islice(ancestors_of(start, table.metadata), LOOK_BACK):
        found = added_columns(table, [snapshot.snapshot_id])
        if found is not None:
            return found
    return None


def added_columns(table: Table, snapshot_ids: Iterable[int]) -> set[str] | None:
    """Return the columns the data files added by these snapshots hold values (or nulls)
    of; None when they added no file, or their files keep no column counts. Only the
    manifests the snapshots wrote are read."""
    from pyiceberg.manifest import ManifestContent, ManifestEntryStatus

    field_ids: set[int] = set()
    files = 0
    for snapshot_id in snapshot_ids:
        snapshot = table.snapshot_by_id(snapshot_id)
        manifests = snapshot.manifests(table.io) if snapshot is not None else []
        for manifest in manifests:
            if (
                manifest.added_snapshot_id != snapshot_id
                or manifest.content != ManifestContent.DATA
            ):
                continue
            for entry in manifest.fetch_manifest_entry(table.io, discard_deleted=True):
                if entry.status == ManifestEntryStatus.ADDED:
                    files += 1
                    field_ids |= set(entry.data_file.value_counts or {})
    if not files or not field_ids:
        return None
    schema = table.schema()
    return {schema.find_column_name(field_id) or "" for field_id in field_ids} - {""}
