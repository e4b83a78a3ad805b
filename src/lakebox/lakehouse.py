"""`Lakehouse`: the one object holding config, storage, catalog and engine."""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa

from lakebox import config as config_module
from lakebox.catalog import TableRef, manifest_arrow
from lakebox.catalog.refs import absolute_sqlite, sqlite_file
from lakebox.catalog.watch import CatalogWatch
from lakebox.config import ProjectConfig
from lakebox.engine import DuckDBEngine
from lakebox.engine.duckdb import snapshot_scan
from lakebox.errors import CatalogError, ConfigError, QueryError
from lakebox.ground.clock import moment_of
from lakebox.ground.sql import quote_identifier
from lakebox.storage import Storage
from lakebox.storage.s3 import DEFAULT_REGION, S3Settings

if TYPE_CHECKING:
    from lakebox.catalog import Catalog
    from lakebox.catalog.manifest import Manifest

logger = logging.getLogger(__name__)
LANDING_PREFIX = "landing"
WAREHOUSE_PREFIX = "warehouse"
MANIFEST_NAME = "_lakebox_manifest"
ZONE_SCHEMAS = ("landing", "formatted", "quarantine", "exploitation", "analytics", "ops")


class Lakehouse:
    """Everything a component needs to read or write the lakehouse of one project.

    The Iceberg catalog (pyiceberg) and the manifest (SQLAlchemy) open on first use: reading
    SQL over a SQLite catalog needs neither (see `metadata_locations`)."""

    def __init__(self, project_dir: Path, config: ProjectConfig) -> None:
        self.project_dir = project_dir.resolve()
        self.config = config
        s3 = S3Settings(config.storage.s3_endpoint, config.storage.s3_region or DEFAULT_REGION)
        self.storage = Storage(config.storage.root, self.project_dir, s3)
        self.catalog_uri = absolute_sqlite(config.catalog.uri, self.project_dir)
        self._catalog: Catalog | None = None
        self._manifest: Manifest | None = None
        self._opening = threading.Lock()
        self.engine = DuckDBEngine(config.engine, self.project_dir)
        if self.storage.s3:
            self.engine.load_extension("httpfs")
            self.engine.execute(self.storage.s3.duckdb_secret_sql())
        self.temporal_dir = (self.project_dir / config.storage.temporal).resolve()
        self.scratch_dir = (self.project_dir / config.engine.temp_directory).resolve()
        for zone in ZONE_SCHEMAS:
            self.engine.execute(f"CREATE SCHEMA IF NOT EXISTS {zone}")
        self.engine.execute("SET search_path = 'main,exploitation'")
        self._reader: DuckDBEngine | None = None
        self._reader_lock = threading.RLock()
        path = sqlite_file(self.catalog_uri)
        self._watch = CatalogWatch(path, config.catalog.name) if path is not None else None
        self.refresh()

    @property
    def catalog(self) -> Catalog:
        """The Iceberg catalog (opened on first use)."""
        with self._opening:
            if self._catalog is None:
                from lakebox.catalog import Catalog

                self._catalog = Catalog(
                    self.config.catalog.name,
                    self.catalog_uri,
                    self.storage.uri(WAREHOUSE_PREFIX),
                    self.project_dir,
                    self.storage.s3.fileio_properties() if self.storage.s3 else None,
                )
            return self._catalog

    @property
    def manifest(self) -> Manifest:
        """The manifest of landed objects, kept in the catalog database (opened on first use)."""
        catalog = self.catalog
        with self._opening:
            if self._manifest is None:
                from lakebox.catalog.manifest import Manifest

                self._manifest = Manifest(catalog.sql_engine)
            return self._manifest

    def metadata_locations(self) -> dict[TableRef, str]:
        """Return every table's current metadata file: read straight from a SQLite catalog's
        file (without pyiceberg, and only when it changed: `CatalogWatch`), else through the
        catalog."""
        if self._watch is None:
            return self.catalog.metadata_locations()
        return self._watch.locations()

    def manifest_arrow(self) -> pa.Table:
        """Return the manifest as it is now as an Arrow table (for `landing.manifest`)."""
        return manifest_arrow.rows_to_arrow(self._manifest_rows())

    def _manifest_rows(self) -> list[dict[str, object]]:
        path = sqlite_file(self.catalog_uri)
        if path is None:
            return [dataclasses.asdict(entry) for entry in self.manifest.entries()]
        return manifest_arrow.read_sqlite(path)

    def refresh(self, manifest: bool = False) -> None:
        """Point the engine's `zone.table` views at every table's current snapshot; with
        `manifest`, also show `landing.manifest` as it is now (done for SQL that users write,
        not after every internal commit)."""
        self.engine.expose(self.metadata_locations())
        if manifest:
            self._expose_manifest()

    def readable_places(self) -> list[str]:
        """Return where users' SQL may read files: the warehouse and the landing zone."""
        return [self.storage.uri(WAREHOUSE_PREFIX), self.storage.uri(LANDING_PREFIX)]

    def project_places(self) -> list[str]:
        """Return where the project keeps files: a served engine may read there and nowhere
        else (`DuckDBEngine.confine`)."""
        places = [str(self.project_dir), str(self.scratch_dir), str(self.temporal_dir)]
        return [*places, self.storage.root_uri.removeprefix("file://")]

    def reader(self) -> DuckDBEngine:
        """Return the engine users' SQL runs on, its views pointed at the tables' current
        snapshots (and `landing.manifest` as it is now): a database of its own, apart from
        the engine lakebox writes with, that reads files only in `readable_places()` and
        whose settings are locked. Opened on first use, closed with the Lakehouse. Code that
        uses its connection itself (a cursor, the pg catalog) does so in `reading()`."""
        with self._reader_lock:
            reader = self._reader
            if reader is None:
                reader = self._reader = self._open_reader()
            else:
                reader.expose(self.metadata_locations())
            return reader

    @contextlib.contextmanager
    def reading(self) -> Iterator[DuckDBEngine]:
        """Yield the reader (as `reader()` returns it) for use of its connection: no other
        thread opens, refreshes, uses in `reading()` or closes it until the block ends."""
        with self._reader_lock:
            yield self.reader()

    def _open_reader(self) -> DuckDBEngine:
        reader = DuckDBEngine(self.config.engine, self.project_dir)
        try:
            if self.storage.s3:
                reader.load_extension("httpfs")
                reader.execute(self.storage.s3.duckdb_secret_sql())
            for zone in ZONE_SCHEMAS:
                reader.execute(f"CREATE SCHEMA IF NOT EXISTS {zone}")
            reader.execute("SET search_path = 'main,exploitation'")
            reader.expose(self.metadata_locations())
            self._expose_manifest(reader)  # each query's connection registers its own copy
            reader.lock_down(self.readable_places())
        except BaseException:
            reader.close()
            raise
        return reader

    def query(self, sql: str, as_of: str | None = None) -> pa.Table:
        """Return the result of `sql` over every zone; `as_of` is a snapshot id or a time."""
        self.refresh(manifest=True)

        if as_of is None:
            return self.engine.arrow(sql)
        scans, unborn = self._scans_as_of(as_of)
        with self.engine.as_of(scans):
            for ref in unborn:  # rolled back with the rest when the block ends
                self.engine.execute(
                    f"DROP VIEW IF EXISTS {quote_identifier(ref.zone)}.{quote_identifier(ref.name)}"
                )
            try:
                return self.engine.arrow(sql)
            except QueryError as error:
                raise _not_yet(error, unborn, as_of) or error from error

    def table_named(self, name: str) -> TableRef:
        """Return the table `name` means: `zone.table`, or an unqualified name that exactly one
        table of the lakehouse has (an ambiguous or unknown name is a CatalogError)."""
        known = sorted(self.metadata_locations(), key=lambda ref: ref.identifier)
        zone, _, table = name.partition(".")
        if table:
            ref = TableRef(zone, table)
            if ref in known:
                return ref
            matching = [each for each in known if each.name == table]
        else:
            matching = [each for each in known if each.name == name]
            held = [each for each in matching if each.zone != "quarantine"]
            if len(held) == 1:  # a source's quarantine table goes with its formatted one
                return held[0]
            if len(matching) == 1:
                return matching[0]
        if len(matching) > 1 and not table:
            tables = ", ".join(ref.identifier for ref in matching)
            raise CatalogError(
                f"{name!r} names several tables: {tables}", hint="give the zone, e.g. " + tables
            )
        hint = "list tables with 'lakebox tables'"
        if matching:
            hint = f"did you mean {', '.join(ref.identifier for ref in matching)}?"
        raise CatalogError(f"no table {name!r}", hint=hint)

    def source(self, name: str) -> config_module.SourceConfig:
        """Return the config of source `name`."""
        try:
            return self.config.formatted_sources[name]
        except KeyError:
            known = ", ".join(sorted(self.config.formatted_sources)) or "none"
            raise ConfigError(
                f"no source named {name!r} (known: {known})",
                hint="add it with 'lakebox source add'",
            ) from None

    def close(self) -> None:
        """Release the engines and the catalog's connections."""
        with self._reader_lock:
            if self._reader is not None:
                self._reader.close()
                self._reader = None
        self.engine.close()
        if self._watch is not None:
            self._watch.close()
        with self._opening:
            if self._catalog is not None:
                self._catalog.sql_engine.dispose()

    def __enter__(self) -> Lakehouse:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _expose_manifest(self, engine: DuckDBEngine | None = None) -> None:
        """Make `landing.manifest` show the manifest as it is now (read only for queries):
        in lakebox's engine a temporary table (no Arrow object: scanning one makes DuckDB
        import pandas), in the reader a registered Arrow table each query's connection
        replaces with its own copy."""
        if engine is None:
            engine = self.engine
            engine.execute(manifest_arrow.duckdb_table_sql(MANIFEST_NAME, self._manifest_rows()))
        else:
            engine.register_arrow(MANIFEST_NAME, self.manifest_arrow())
        engine.execute("CREATE OR REPLACE VIEW landing.manifest AS SELECT * FROM _lakebox_manifest")

    def _scans_as_of(self, as_of: str) -> tuple[dict[TableRef, str], dict[TableRef, str]]:
        """Return the scans pinning every table to its state as of `as_of`, and, for a time,
        the tables that had no snapshot yet then (name → when their first one came)."""
        from lakebox.catalog import timetravel

        locations = self.metadata_locations()
        if as_of.strip().isdigit():
            return self._scans_at_snapshot(locations, int(as_of)), {}
        try:
            moment = moment_of(as_of)
        except ValueError:
            raise QueryError(
                f"--as-of {as_of!r} is neither a snapshot id nor an ISO timestamp",
                hint="e.g. --as-of 2026-11-23T10:00:00 or a snapshot id from 'lakebox history'",
            ) from None
        scans, unborn = {}, {}
        for ref, location in locations.items():
            table = self.catalog.load(ref)
            snapshot_id = timetravel.snapshot_at(table, moment) if table is not None else None
            if snapshot_id is not None:
                scans[ref] = snapshot_scan(location, snapshot_id=snapshot_id)
            else:
                first = timetravel.first_commit(table) if table is not None else None
                unborn[ref] = first.isoformat() if first else "none yet"
        return scans, unborn

    def _scans_at_snapshot(
        self, locations: dict[TableRef, str], snapshot_id: int
    ) -> dict[TableRef, str]:
        from lakebox.catalog import timetravel

        for ref in locations:
            table = self.catalog.load(ref)
            if table is not None and table.snapshot_by_id(snapshot_id) is not None:
                shown = timetravel.published(table, snapshot_id)
                return {ref: snapshot_scan(locations[ref], snapshot_id=shown)}
        raise QueryError(
            f"no table has a snapshot with id {snapshot_id}",
            hint="list snapshots with 'lakebox history TABLE'",
        )


def _not_yet(error: QueryError, unborn: dict[TableRef, str], as_of: str) -> QueryError | None:
    """Return the error saying a table the query reads had no snapshot yet at `as_of`, when
    `error` is the engine not finding it (its view is gone for the query), else None."""
    text = str(error)
    for ref, first in unborn.items():
        if f"name {ref.name} does not exist" in text or f"{ref.identifier} does not exist" in text:
            return QueryError(
                f"{ref.identifier} has no snapshot at or before {as_of.strip()}; its first "
                f"snapshot is at {first}",
                hint="pick a later time, or a snapshot id from 'lakebox history TABLE'",
            )
    return None


def open_project(path: str | Path = ".") -> Lakehouse:
    """Return the Lakehouse of the project in `path` (a folder holding lakebox.yaml)."""
    project_dir = Path(path)
    return Lakehouse(project_dir, config_module.load(project_dir))
