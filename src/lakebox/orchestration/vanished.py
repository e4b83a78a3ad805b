"""Columns a step made disappear from a table: the columns its data files carried before a
format or build unit ran, and no longer carry after. A model whose SQL stops selecting a
column keeps it in the table's schema (empty from then on) unless its types changed (then the
table is recreated without it), so what counts is what the current snapshot's files hold.

The run report lists them as `vanished`; what still uses them is for the layers that know the
lineage graph to say (the CLI's run summary)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from lakebox.catalog import TableRef
from lakebox.errors import LakeboxError
from lakebox.exploitation.builder import models
from lakebox.lakehouse import Lakehouse
from lakebox.orchestration.report import outcome_kind
from lakebox.orchestration.steps.base import Unit

if TYPE_CHECKING:
    from pyiceberg.table import Table


@dataclass(frozen=True)
class VanishedColumn:
    """A column `step` (a unit's name, e.g. `build`) left table `table` without."""

    step: str
    table: str
    column: str


logger = logging.getLogger(__name__)
VANISHED = outcome_kind("vanished", None)


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
        """Return the columns the changed tables' files no longer carry."""
        locations = lh.catalog.metadata_locations()
        found = []
        for ref, before in self.tables.items():
            if locations.get(ref) == before.location:
                continue
            try:
                gone = _gone(lh.catalog.load(ref), before)
            except (LakeboxError, OSError) as error:  # a warning never fails a run
                logger.warning("%s: could not compare the columns of %s: %s", self.step, ref, error)
                continue
            found += [VanishedColumn(self.step, ref.identifier, column) for column in gone]
        return found


def watch(lh: Lakehouse, unit: Unit, step: str) -> Watch:
    """Return the watch of the tables `unit` (named `step`) may change: a format unit's
    formatted table, a build unit's models' tables."""
    if unit.step.kind == "format" and unit.item:
        refs = {TableRef("formatted", unit.item)}
    elif unit.step.kind == "build":
        try:
            refs = {model.ref for model in models(lh)}
        except LakeboxError:  # the build step reports it
            return Watch(step, {})
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


def _gone(table: Table | None, before: Before) -> list[str]:
    """Return the columns of `before` carried then and not now (none when either cannot be
    told: no data file, or files without column counts)."""
    if table is None:
        return []
    snapshot = table.current_snapshot()
    if snapshot is None or snapshot.snapshot_id == before.snapshot_id:
        return []
    now = carried(table, snapshot.snapshot_id)
    old = table.snapshot_by_id(before.snapshot_id) if before.snapshot_id is not None else None
    then = carried(table, old.snapshot_id) if old is not None else set(before.columns)
    if now is None or then is None:
        return []
    return [column for column in before.columns if column in then and column not in now]


def carried(table: Table, snapshot_id: int) -> set[str] | None:
    """Return the columns the data files of a snapshot hold values (or nulls) of; None when
    it has no file, or its files keep no column counts."""
    scan = table.scan(snapshot_id=snapshot_id)
    schema = scan.projection()
    ids: set[int] = set()
    files = 0
    for task in scan.plan_files():
        files += 1
        ids |= set(task.file.value_counts or {})
    if not files or not ids:
        return None
    return {schema.find_column_name(field_id) or "" for field_id in ids} - {""}
