"""A user's view of a table's physical metadata: only the columns they may read (in every
schema version, partition field and per-column reader setting), no row counts when row
filters hide some rows (they would tell how many), only the input tables they may read, and
the landing objects only to a user who may read the manifest (`landing.manifest`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from lakebox.governance.physical import (
    LandingObject,
    ModelFacts,
    Physical,
    SchemaVersion,
    SnapshotFacts,
)
from lakebox.governance.reading import Setting

# Reader settings whose value names columns: a mapping from column, or a list of columns.
COLUMN_KEYED = ("decimal_marks", "file_types")
COLUMN_LISTS = ("key",)
Readable = Callable[[str], bool]  # whether the user may read a table, by `zone.name`


MANIFEST = "landing.manifest"


def narrowed(
    physical: Physical, columns: set[str] | None, readable: Readable, rows_hidden: bool
) -> Physical:
    """Return `physical` as a user sees it who reads `columns` of the table (None: all), the
    tables `readable` lets through (the landing objects with `landing.manifest`), and no row
    counts when `rows_hidden`."""
    view = _View(columns, readable, rows_hidden)
    snapshots = [view.snapshot(snapshot) for snapshot in physical.snapshots]
    model = view.model(physical.model) if physical.model else None
    return replace(
        physical,
        settings=[view.setting(setting) for setting in physical.settings],
        schemas=[view.schema(version) for version in physical.schemas],
        partitioning=[p for p in physical.partitioning if view.shows(p.column)],
        files=replace(physical.files, rows=None) if rows_hidden else physical.files,
        snapshots=snapshots,
        model=model,
        hidden_inputs=len(view.hidden),
        landing_hidden=not readable(MANIFEST),
    )


class _View:
    """What one user may see, applied part by part; remembers the input tables it hid."""

    def __init__(self, columns: set[str] | None, readable: Readable, rows_hidden: bool) -> None:
        self.columns = columns
        self.readable = readable
        self.rows_hidden = rows_hidden
        self.hidden: set[str] = set()

    def shows(self, column: str) -> bool:
        return self.columns is None or column in self.columns

    def schema(self, version: SchemaVersion) -> SchemaVersion:
        return replace(
            version,
            columns=[column for column in version.columns if self.shows(column.name)],
            changes=[change for change in version.changes if self.shows(change.column)],
        )

    def setting(self, setting: Setting) -> Setting:
        return replace(
            setting,
            value=self.value(setting.name, setting.value),
            seen=[(self.value(setting.name, value), count) for value, count in setting.seen],
        )

    def value(self, name: str, value: object) -> object:
        """Return a setting's value without the columns the user may not read."""
        if name in COLUMN_KEYED and isinstance(value, dict):
            return {column: item for column, item in value.items() if self.shows(column)}
        if name in COLUMN_LISTS and isinstance(value, list):
            return [column for column in value if self.shows(str(column))]
        return value

    def inputs(self, inputs: dict[str, int | None]) -> dict[str, int | None]:
        self.hidden |= {table for table in inputs if not self.readable(table)}
        return {table: snapshot for table, snapshot in inputs.items() if self.readable(table)}

    def snapshot(self, snapshot: SnapshotFacts) -> SnapshotFacts:
        return replace(
            snapshot,
            rows=None if self.rows_hidden else snapshot.rows,
            landing=[self.landing(found) for found in snapshot.landing]
            if self.readable(MANIFEST)
            else [],
            inputs=self.inputs(snapshot.inputs),
        )

    def landing(self, found: LandingObject) -> LandingObject:
        read_with = found.read_with and {
            name: {**setting, "value": self.value(name, setting.get("value"))}
            for name, setting in found.read_with.items()
        }
        if not self.rows_hidden:
            return replace(found, read_with=read_with)
        counts = {"rows_read": None, "rows_formatted": None, "rows_quarantined": None}
        return replace(found, read_with=read_with, **counts)

    def model(self, model: ModelFacts) -> ModelFacts:
        return replace(model, inputs=self.inputs(model.inputs))
