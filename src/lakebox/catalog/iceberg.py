"""The Iceberg SQL catalog (SQLite or PostgreSQL) and commits that carry their batch ids."""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import sqlalchemy as sa
from pyiceberg.catalog.sql import SqlCatalog
from pyiceberg.exceptions import NoSuchTableError
from pyiceberg.expressions import AlwaysTrue, BooleanExpression
from pyiceberg.io.pyarrow import parquet_file_to_data_file
from pyiceberg.manifest import DataFile, ManifestContent
from pyiceberg.table import Table, TableProperties, Transaction
from pyiceberg.table.refs import MAIN_BRANCH
from pyiceberg.table.snapshots import Snapshot
from pyiceberg.table.sorting import NullOrder
from pyiceberg.transforms import IdentityTransform

from lakebox.catalog.refs import (
    BATCH_PROPERTY,
    RETIRED_BATCHES_PROPERTY,
    TableRef,
    absolute_sqlite,
)
from lakebox.errors import CatalogError
from lakebox.redaction import redact_url

logger = logging.getLogger(__name__)
AUDIT_BRANCH = "lakebox-audit"  # staged snapshots wait here while their checks run
ZONES = ("formatted", "quarantine", "exploitation")


class Catalog:
    """Creates, evolves and commits to Iceberg tables; knows which batches each table holds."""

    def __init__(
        self,
        name: str,
        uri: str,
        warehouse_uri: str,
        project_dir: Path,
        io_properties: dict[str, str] | None = None,
    ) -> None:
        self.uri = absolute_sqlite(uri, project_dir)
        try:
            self.iceberg = _opened(name, self.uri, warehouse_uri, io_properties or {})
            for zone in ZONES:
                self.iceberg.create_namespace_if_not_exists(zone)
        except sa.exc.SQLAlchemyError as error:
            raise CatalogError(
                f"cannot open the catalog at {redact_url(self.uri)}: {error.__class__.__name__}",
                hint="check catalog.uri in lakebox.yaml and that the database is running",
            ) from error

    @property
    def sql_engine(self) -> sa.Engine:
        """Return the SQLAlchemy engine of the catalog database (shared with the manifest)."""
        return self.iceberg.engine

    def load(self, ref: TableRef) -> Table | None:
        """Return the table, or None when it does not exist yet."""
        try:
            return self.iceberg.load_table(ref.identifier)
        except NoSuchTableError:
            return None

    def metadata_locations(self) -> dict[TableRef, str]:
        """Return every table's current metadata file, read in one query."""
        query = sa.text(
            "SELECT table_namespace, table_name, metadata_location FROM iceberg_tables "
            "WHERE catalog_name = :catalog"
        )
        with self.sql_engine.connect() as connection:
            rows = connection.execute(query, {"catalog": self.iceberg.name}).fetchall()
        return {TableRef(zone, name): location for zone, name, location in rows if location}

    def create(self, ref: TableRef, schema: pa.Schema) -> Table:
        """Create the table with `schema` (which must have no Iceberg field ids)."""
        logger.info("creating table %s", ref.identifier)
        self.iceberg.create_namespace_if_not_exists(ref.zone)
        return self.iceberg.create_table(ref.identifier, schema=schema)

    def drop(self, ref: TableRef) -> None:
        """Forget the table (its files stay until expired)."""
        if self.iceberg.table_exists(ref.identifier):
            self.iceberg.drop_table(ref.identifier)

    def batches(self, table: Table) -> set[str]:
        """Return every batch id committed to `table`, read from its snapshot properties (and
        those of its expired snapshots, which maintenance keeps in a table property)."""
        found = set(json.loads(table.properties.get(RETIRED_BATCHES_PROPERTY, "[]")))
        for snapshot in table.snapshots():
            value = snapshot_properties(snapshot).get(BATCH_PROPERTY)
            if value:
                found.update(json.loads(value))
        return found

    def sort_by(self, table: Table, key: list[str]) -> Table:
        """Declare `key` (ascending, nulls last) as the sort order of a table that has none, so
        whatever rewrites its files (a compaction here, a Spark job) keeps them in key order."""
        if not table.sort_order().is_unsorted or not key:
            return table
        with table.update_sort_order() as update:
            for column in key:
                update.asc(column, IdentityTransform(), NullOrder.NULLS_LAST)
        return table.refresh()

    def commit_files(
        self,
        table: Table,
        files: list[str],
        batch_ids: list[str],
        properties: dict[str, str] | None = None,
        replace: BooleanExpression | None = None,
    ) -> Table:
        """Add Parquet `files` in one atomic commit tagged with `batch_ids`.

        With `replace`, the rows matching it are deleted in the same commit (AlwaysTrue()
        replaces the whole table).
        """
        tagged = {BATCH_PROPERTY: json.dumps(sorted(batch_ids)), **(properties or {})}
        with table.transaction() as transaction:
            if isinstance(replace, AlwaysTrue) and table.current_snapshot() is not None:
                overwrite_files(transaction, table, files, tagged)
                return table.refresh()
            if replace is not None and table.current_snapshot() is not None:
                transaction.delete(replace, snapshot_properties=tagged)
            if files:
                transaction.add_files(files, snapshot_properties=tagged)
        return table.refresh()

    def replace_all(
        self,
        table: Table,
        files: list[str],
        batch_ids: list[str],
        properties: dict[str, str] | None = None,
    ) -> Table:
        """Replace the whole content of `table` by `files` in one commit and one snapshot
        (an `overwrite`: time travel never sees the table emptied but not yet refilled)."""
        return self.commit_files(table, files, batch_ids, properties, replace=AlwaysTrue())

    def data_files(self, table: Table) -> list[DataFile]:
        """Return the data files of the table's current snapshot (none before the first),
        read from its manifests with their column bounds."""
        snapshot = table.current_snapshot()
        if snapshot is None:
            return []
        manifests = snapshot.manifests(table.io)
        if any(manifest.content != ManifestContent.DATA for manifest in manifests):
            raise CatalogError(
                f"{table.name()}: the table has delete files, which lakebox does not write",
                hint="rewrite the table without them (e.g. with Spark's rewrite_data_files)",
            )
        return [
            entry.data_file
            for manifest in manifests
            for entry in manifest.fetch_manifest_entry(table.io, discard_deleted=True)
        ]

    def swap_files(
        self,
        table: Table,
        removed: list[DataFile],
        added: list[str],
        batch_ids: list[str],
        properties: dict[str, str] | None = None,
    ) -> Table:
        """Replace the data files `removed` by the Parquet files `added` in one commit and
        one snapshot (an `overwrite`; an `append` when nothing is removed)."""
        if not removed:
            return self.commit_files(table, added, batch_ids, properties)
        tagged = {BATCH_PROPERTY: json.dumps(sorted(batch_ids)), **(properties or {})}
        with table.transaction() as transaction:
            overwrite_files(transaction, table, added, tagged, old=removed)
        return table.refresh()

    def summary(self, ref: TableRef) -> dict[str, Any]:
        """Return a table's name, row count and current snapshot id."""
        table = self.load(ref)
        snapshot = table.current_snapshot() if table is not None else None
        rows = int(snapshot_properties(snapshot).get("total-records", 0))
        return {
            "table": ref.identifier,
            "rows": rows,
            "snapshot_id": snapshot.snapshot_id if snapshot else None,
        }

    def stage(
        self,
        table: Table,
        files: list[str],
        batch_ids: list[str],
        properties: dict[str, str] | None = None,
    ) -> tuple[Table, int]:
        """Write a replacement of the table's content as a snapshot on the audit branch,
        a child of the current one that readers never see; return it for `publish`."""
        current = table.current_snapshot()
        if current is None:
            raise CatalogError(f"{table.name()}: stage needs a published snapshot first")
        if AUDIT_BRANCH in table.metadata.refs:
            table.manage_snapshots().remove_branch(AUDIT_BRANCH).commit()
        table.manage_snapshots().create_branch(current.snapshot_id, AUDIT_BRANCH).commit()
        tagged = {BATCH_PROPERTY: json.dumps(sorted(batch_ids)), **(properties or {})}
        table = table.refresh()
        with table.transaction() as transaction:
            overwrite_files(transaction, table, files, tagged, branch=AUDIT_BRANCH)
        table = table.refresh()
        return table, table.metadata.refs[AUDIT_BRANCH].snapshot_id

    def publish(self, table: Table, snapshot_id: int) -> Table:
        """Make a staged snapshot the table's current one (and drop the audit branch)."""
        table.manage_snapshots().set_current_snapshot(snapshot_id=snapshot_id).remove_branch(
            AUDIT_BRANCH
        ).commit()
        return table.refresh()

    def ensure(self, ref: TableRef, schema: pa.Schema, table: Table | None) -> Table:
        """Return `table` able to take files of `schema`: created when None, else evolved
        when `schema` has a column it lacks or a type it would widen."""
        if table is None:
            return self.create(ref, schema)
        if differs(table.schema().as_arrow(), schema):
            return self.evolve(table, schema)
        return table

    def evolve(self, table: Table, schema: pa.Schema) -> Table:
        """Add the columns of `schema` that `table` lacks and widen types Iceberg allows."""
        with table.update_schema() as update:
            update.union_by_name(schema)
        return table.refresh()


def overwrite_files(
    transaction: Transaction,
    table: Table,
    files: list[str],
    properties: dict[str, str],
    branch: str = MAIN_BRANCH,
    old: list[DataFile] | None = None,
) -> None:
    """Replace the data files `old` (by default every one of `table`'s `branch`) by `files`
    as ONE `overwrite` snapshot (pyiceberg's delete-then-add would commit two, the first a
    table without the rows)."""
    if transaction.table_metadata.name_mapping() is None:
        name_mapping = transaction.table_metadata.schema().name_mapping.model_dump_json()
        transaction.set_properties(**{TableProperties.DEFAULT_NAME_MAPPING: name_mapping})
    if old is None:
        snapshot = table.snapshot_by_name(branch)
        tasks = table.scan(snapshot_id=snapshot.snapshot_id).plan_files() if snapshot else []
        old = [task.file for task in tasks]
    update = transaction.update_snapshot(snapshot_properties=properties, branch=branch)
    with update.overwrite() as overwrite:
        for file in old:
            overwrite.delete_data_file(file)
        for path in files:
            overwrite.append_data_file(
                parquet_file_to_data_file(table.io, transaction.table_metadata, path)
            )


def snapshot_properties(snapshot: Snapshot | None) -> dict[str, str]:
    """Return the properties a commit carried (batch ids, lineage, cursor, row counts)."""
    return snapshot.summary.additional_properties if snapshot and snapshot.summary else {}


def column_types(schema: pa.Schema) -> dict[str, pa.DataType]:
    """Return name → type, with Arrow's large variants folded into the plain ones."""
    folded = {pa.large_string(): pa.string(), pa.large_binary(): pa.binary()}
    return {field.name: folded.get(field.type, field.type) for field in schema}


def differs(current: pa.Schema, new: pa.Schema) -> bool:
    """Return whether `new` has a column `current` lacks, or another type for one."""
    old_types = column_types(current)
    return any(old_types.get(name) != kind for name, kind in column_types(new).items())


def parquet_schema(path: str) -> pa.Schema:
    """Return the Arrow schema of a local Parquet file, without its metadata."""
    return pq.read_schema(path).remove_metadata()


def _opened(
    name: str, uri: str, warehouse_uri: str, io_properties: dict[str, str], tries: int = 5
) -> SqlCatalog:
    """Return the SQL catalog; when two processes open a new project at once, the second
    finds the catalog's tables made under it ("already exists") and tries again."""
    for attempt in range(tries):
        try:
            return SqlCatalog(name, uri=uri, warehouse=warehouse_uri, **io_properties)
        except sa.exc.OperationalError as error:
            if "already exists" not in str(error) or attempt == tries - 1:
                raise
            time.sleep(0.1 * (attempt + 1))
    raise AssertionError("unreachable")
