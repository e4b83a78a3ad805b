"""Sandboxes: named, reproducible extracts `analytics.sandbox_<name>`.

A sandbox is the result of one read-only query, read with every table it names pinned to that
table's current Iceberg snapshot, and written as an Iceberg table whose snapshot properties
record the SQL (`lakebox.sql`) and the snapshot ids read (`lakebox.inputs`, JSON
`{"zone.table": snapshot id}`). New rows in the inputs never change a sandbox, and the same
SQL read at the recorded snapshots gives the same rows again (`reproduce`) for as long as those
snapshots are kept. Feature tables and scores are frozen the same way (`freeze`).
"""

from __future__ import annotations

import json
import re
import uuid
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import sqlglot
from sqlglot import exp

from lakebox.catalog import TableRef
from lakebox.catalog.iceberg import differs, parquet_schema, snapshot_properties
from lakebox.engine.duckdb import snapshot_scan
from lakebox.errors import ModelLifecycleError
from lakebox.ground.readonly import ensure_read_only
from lakebox.lakehouse import Lakehouse
from lakebox.tables import commit_batch

ANALYTICS = "analytics"
PREFIX = "sandbox_"
SQL_PROPERTY = "lakebox.sql"
INPUTS_PROPERTY = "lakebox.inputs"
CREATED_PROPERTY = "lakebox.created-at"
NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")


@dataclass(frozen=True)
class Extract:
    """A frozen table: what it holds, the SQL that made it and the snapshots that SQL read."""

    table: str
    sql: str
    inputs: dict[str, int]
    rows: int
    snapshot_id: int | None
    created_at: str | None

    @property
    def name(self) -> str:
        """Return the table's name without its zone and kind prefix (`sandbox_x` → `x`)."""
        return self.table.split(".", 1)[1].split("_", 1)[1]


def sandbox_ref(name: str) -> TableRef:
    """Return the table of sandbox `name`, once the name is checked."""
    return TableRef(ANALYTICS, PREFIX + checked_name(name, "sandbox"))


def checked_name(name: str, kind: str) -> str:
    """Return `name` if it can name a table, else raise saying what a name may hold."""
    if not NAME.match(name):
        raise ModelLifecycleError(
            f"{kind} name {name!r} is not valid",
            hint="use lower-case letters, digits and _, starting with a letter",
            name=name,
        )
    return name


def create_sandbox(
    lh: Lakehouse, name: str, sql: str, inputs: dict[str, int] | None = None
) -> Extract:
    """Freeze the rows of `sql` as `analytics.sandbox_<name>` and return what was frozen;
    the tables `sql` reads are pinned to `inputs` (zone.table → snapshot id) when given,
    else to their current snapshots."""
    return freeze(lh, sandbox_ref(name), sql, inputs)


def reproduce(lh: Lakehouse, name: str) -> pa.Table:
    """Return the rows of sandbox `name`'s recorded SQL read at its recorded snapshots."""
    frozen = show_sandbox(lh, name)
    pinned = {_parse_ref(table): snapshot for table, snapshot in frozen.inputs.items()}
    return read_pinned(lh, frozen.sql, pinned)


def show_sandbox(lh: Lakehouse, name: str) -> Extract:
    """Return sandbox `name`'s SQL, recorded inputs and row count."""
    ref = sandbox_ref(name)
    if lh.catalog.load(ref) is None:
        raise ModelLifecycleError(
            f"no sandbox named {name!r}",
            hint="list them with 'lakebox sandbox list'; make one with 'lakebox sandbox create'",
            table=ref.identifier,
        )
    return describe(lh, ref)


def list_sandboxes(lh: Lakehouse) -> list[Extract]:
    """Return every sandbox, by name."""
    refs = [
        ref
        for ref in lh.catalog.metadata_locations()
        if ref.zone == ANALYTICS and ref.name.startswith(PREFIX)
    ]
    return [describe(lh, ref) for ref in sorted(refs, key=lambda ref: ref.name)]


def drop_sandbox(lh: Lakehouse, name: str) -> None:
    """Drop sandbox `name` (its data files stay until expired)."""
    show_sandbox(lh, name)
    lh.catalog.drop(sandbox_ref(name))
    lh.refresh()


def describe(lh: Lakehouse, ref: TableRef) -> Extract:
    """Return what a frozen table's current snapshot records."""
    table = lh.catalog.load(ref)
    snapshot = table.current_snapshot() if table is not None else None
    properties = snapshot_properties(snapshot)
    return Extract(
        table=ref.identifier,
        sql=properties.get(SQL_PROPERTY, ""),
        inputs=json.loads(properties.get(INPUTS_PROPERTY, "{}")),
        rows=int(properties.get("total-records", 0)),
        snapshot_id=snapshot.snapshot_id if snapshot else None,
        created_at=properties.get(CREATED_PROPERTY),
    )


def freeze(
    lh: Lakehouse,
    ref: TableRef,
    sql: str,
    inputs: dict[str, int] | None = None,
    properties: dict[str, str] | None = None,
) -> Extract:
    """Write the rows of read-only `sql`, read at pinned snapshots, as the content of `ref`."""
    sql = ensure_read_only(sql)
    pinned = (
        {_parse_ref(table): snapshot for table, snapshot in inputs.items()}
        if inputs is not None
        else current_snapshots(lh, input_tables(lh, sql))
    )
    recorded = {
        SQL_PROPERTY: sql,
        INPUTS_PROPERTY: inputs_json(pinned),
        CREATED_PROPERTY: datetime.now(UTC).isoformat(timespec="seconds"),
        **(properties or {}),
    }
    path = lh.scratch_dir / f"{ref.name}-{uuid.uuid4().hex[:12]}.parquet"
    try:
        with _pinned(lh, pinned):
            lh.engine.copy_to_parquet(sql, path)
        replace_content(lh, ref, path, recorded)
    finally:
        path.unlink(missing_ok=True)
    return describe(lh, ref)


def source_table(lh: Lakehouse, source: str) -> TableRef:
    """Return the table `source` names: `zone.table`, or a sandbox's name."""
    zone, _, table = source.partition(".")
    ref = TableRef(zone, table) if table else TableRef(ANALYTICS, PREFIX + source)
    if lh.catalog.load(ref) is None:
        raise ModelLifecycleError(
            f"no sandbox or table {source!r}",
            hint="give a sandbox's name ('lakebox sandbox list') or a zone.table",
            table=ref.identifier,
        )
    return ref


def input_tables(lh: Lakehouse, sql: str) -> list[TableRef]:
    """Return the lakehouse tables `sql` reads (unqualified names are exploitation's)."""
    known = set(lh.catalog.metadata_locations())
    query = sqlglot.parse_one(sql, read="duckdb")
    local = {cte.alias_or_name.lower() for cte in query.find_all(exp.CTE)}
    found: list[TableRef] = []
    for table in query.find_all(exp.Table):
        name = table.name.lower()
        ref = TableRef(table.db.lower(), name) if table.db else TableRef("exploitation", name)
        if ref in known and ref not in found and (table.db or name not in local):
            found.append(ref)
    return found


def current_snapshots(lh: Lakehouse, refs: list[TableRef]) -> dict[TableRef, int]:
    """Return the current snapshot id of each table; a table without one is an error."""
    pinned: dict[TableRef, int] = {}
    for ref in refs:
        table = lh.catalog.load(ref)
        snapshot = table.current_snapshot() if table is not None else None
        if snapshot is None:
            raise ModelLifecycleError(
                f"{ref.identifier} has no data yet, so there is no snapshot to pin",
                hint="build it first ('lakebox run')",
                table=ref.identifier,
            )
        pinned[ref] = snapshot.snapshot_id
    return pinned


def read_pinned(lh: Lakehouse, sql: str, pinned: dict[TableRef, int]) -> pa.Table:
    """Return the rows of `sql` with each table of `pinned` read at its snapshot id."""
    with _pinned(lh, pinned):
        return lh.engine.arrow(ensure_read_only(sql))


def replace_content(
    lh: Lakehouse, ref: TableRef, parquet: Path, properties: dict[str, str]
) -> None:
    """Make `parquet` the whole content of `ref` in one commit tagged with `properties`; a
    table whose columns change is recreated (its earlier history goes with it)."""
    table = lh.catalog.load(ref)
    if table is not None:
        current, new = table.schema().as_arrow(), parquet_schema(str(parquet))
        if differs(current, new) or set(current.names) - set(new.names):
            lh.catalog.drop(ref)
    batch = f"{ref.name}-{uuid.uuid4().hex[:12]}"
    commit_batch(lh, ref, parquet, batch, properties, replace=True)


def write_rows(lh: Lakehouse, ref: TableRef, rows: pa.Table, properties: dict[str, str]) -> None:
    """Make the Arrow table `rows` the whole content of `ref` in one commit."""
    path = lh.scratch_dir / f"{ref.name}-{uuid.uuid4().hex[:12]}.parquet"
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        pq.write_table(rows, path)
        replace_content(lh, ref, path, properties)
    finally:
        path.unlink(missing_ok=True)


def inputs_json(pinned: dict[TableRef, int]) -> str:
    """Return the `lakebox.inputs` property: JSON `{"zone.table": snapshot id}`."""
    return json.dumps({ref.identifier: snapshot for ref, snapshot in pinned.items()})


def _pinned(lh: Lakehouse, pinned: dict[TableRef, int]) -> AbstractContextManager[None]:
    """Return a context in which the engine's views of `pinned` read their snapshots."""
    lh.refresh()
    locations = lh.catalog.metadata_locations()
    missing = [ref.identifier for ref in pinned if ref not in locations]
    if missing:
        raise ModelLifecycleError(
            f"the table(s) {', '.join(missing)} read by the extract no longer exist",
            hint="rebuild them, or freeze a new extract",
        )
    for ref, snapshot_id in pinned.items():
        if lh.catalog.load(ref).snapshot_by_id(snapshot_id) is None:  # type: ignore[union-attr]
            raise ModelLifecycleError(
                f"{ref.identifier} no longer has snapshot {snapshot_id} (it was expired)",
                hint="freeze a new extract from the current snapshots",
                table=ref.identifier,
            )
    scans = {ref: snapshot_scan(locations[ref], snapshot_id=sid) for ref, sid in pinned.items()}
    return lh.engine.as_of(scans)


def _parse_ref(identifier: str) -> TableRef:
    zone, _, name = identifier.partition(".")
    return TableRef(zone, name)
