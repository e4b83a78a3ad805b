"""`landing.manifest`: one row per landed object or sighting, kept in the catalog database."""

from __future__ import annotations

import enum
from dataclasses import dataclass, fields
from datetime import UTC, datetime

import pyarrow as pa
import sqlalchemy as sa

from lakebox.catalog.manifest_arrow import TABLE, rows_to_arrow

_metadata = sa.MetaData()
manifest_table = sa.Table(
    TABLE,
    _metadata,
    sa.Column("batch_id", sa.String(64), primary_key=True),
    sa.Column("source", sa.String(200), nullable=False, index=True),
    sa.Column("original_path", sa.Text, nullable=False),
    sa.Column("landed_path", sa.Text),
    sa.Column("sha256", sa.String(64), nullable=False, index=True),
    sa.Column("bytes", sa.BigInteger, nullable=False),
    sa.Column("modified_at", sa.DateTime(timezone=True)),
    sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("status", sa.String(20), nullable=False, index=True),
    sa.Column("rows_read", sa.BigInteger),
    sa.Column("rows_formatted", sa.BigInteger),
    sa.Column("rows_quarantined", sa.BigInteger),
    sa.Column("rows_duplicate", sa.BigInteger),
    sa.Column("error", sa.Text),
    sa.Column("formatted_at", sa.DateTime(timezone=True)),
    sa.Column("cursor", sa.Text),
    sa.Column("http_status", sa.Integer),
    sa.Column("pages", sa.Integer),
    sa.Column("backfill", sa.Text),
    sa.Column("attempts", sa.Integer),
    sa.Column("failed_with", sa.String(64)),
    sa.Column("read_with", sa.Text),
    sa.Column("final_url", sa.Text),
)


class Status(enum.StrEnum):
    """Where a landed object is on its way."""

    LANDING = "landing"  # recorded, bytes being moved into the persistent zone
    LANDED = "landed"  # in the persistent zone, not formatted yet
    FORMATTED = "formatted"
    QUARANTINED = "quarantined"  # the whole file was refused; the reason is in `error`
    FAILED = "failed"  # formatting raised; a run retries it once its config or lakebox changed
    DUPLICATE = "duplicate"  # the same bytes were landed before; `landed_path` is the first one
    SUPERSEDED = "superseded"  # a pull never committed; a later pull re-read its rows


@dataclass
class Entry:
    """One row of the manifest."""

    batch_id: str
    source: str
    original_path: str
    sha256: str
    bytes: int
    received_at: datetime
    status: str
    landed_path: str | None = None
    modified_at: datetime | None = None
    rows_read: int | None = None
    rows_formatted: int | None = None
    rows_quarantined: int | None = None
    rows_duplicate: int | None = None
    error: str | None = None
    formatted_at: datetime | None = None
    cursor: str | None = None  # a pulled source's state after this batch (JSON)
    http_status: int | None = None  # an HTTP pull's last response status
    pages: int | None = None  # an HTTP pull's page count
    backfill: str | None = None  # a backfill's window (JSON); its batch moves no state
    attempts: int | None = None  # how many times formatting was tried
    failed_with: str | None = None  # a failure's config and version fingerprint
    # how formatting read the object (JSON: setting → value and origin); None before lakebox
    # recorded it, and for objects never read
    read_with: str | None = None
    final_url: str | None = None  # an HTTP pull's last page's URL, after redirects


class Manifest:
    """Reads and writes the manifest rows in the catalog's SQL database."""

    def __init__(self, engine: sa.Engine) -> None:
        self._engine = engine
        _metadata.create_all(engine, checkfirst=True)
        _add_missing_columns(engine)

    def add(self, entry: Entry) -> None:
        """Record a new object or sighting."""
        with self._engine.begin() as connection:
            connection.execute(manifest_table.insert().values(**_row(entry)))

    def update(self, batch_id: str, **changes: object) -> None:
        """Change fields of one entry."""
        statement = manifest_table.update().where(manifest_table.c.batch_id == batch_id)
        with self._engine.begin() as connection:
            connection.execute(statement.values(**changes))

    def update_each(self, changes: dict[str, dict[str, object]]) -> None:
        """Change fields of several entries (batch id → its changes) in one transaction,
        one statement per set of fields changed."""
        by_fields: dict[tuple[str, ...], list[dict[str, object]]] = {}
        for batch_id, values in changes.items():
            rows = by_fields.setdefault(tuple(sorted(values)), [])
            rows.append(
                {**{f"new_{name}": value for name, value in values.items()}, "id": batch_id}
            )
        with self._engine.begin() as connection:
            for names, rows in by_fields.items():
                statement = (
                    manifest_table.update()
                    .where(manifest_table.c.batch_id == sa.bindparam("id"))
                    .values({name: sa.bindparam(f"new_{name}") for name in names})
                )
                connection.execute(statement, rows)

    def delete(self, batch_id: str) -> None:
        """Remove an entry whose landing never completed."""
        statement = manifest_table.delete().where(manifest_table.c.batch_id == batch_id)
        with self._engine.begin() as connection:
            connection.execute(statement)

    def entries(
        self, source: str | None = None, status: str | tuple[str, ...] | None = None
    ) -> list[Entry]:
        """Return the entries, oldest first, optionally of one source and status."""
        query = sa.select(manifest_table).order_by(
            manifest_table.c.received_at, manifest_table.c.batch_id
        )
        if source is not None:
            query = query.where(manifest_table.c.source == source)
        if status is not None:
            wanted = (status,) if isinstance(status, str) else status
            query = query.where(manifest_table.c.status.in_(wanted))
        with self._engine.connect() as connection:
            return [_entry(row) for row in connection.execute(query).mappings()]

    def sightings(self, source: str) -> set[tuple[str, int, datetime | None]]:
        """Return (original path, bytes, modification time) of every entry of `source`: what
        a files source has seen (read without building an Entry per row)."""
        columns = manifest_table.c
        query = sa.select(columns.original_path, columns.bytes, columns.modified_at).where(
            columns.source == source
        )
        with self._engine.connect() as connection:
            rows = connection.execute(query).fetchall()
        return {(path, size, _aware(stamp)) for path, size, stamp in rows}

    def get(self, batch_id: str) -> Entry | None:
        """Return the entry of `batch_id`, if there is one."""
        query = sa.select(manifest_table).where(manifest_table.c.batch_id == batch_id)
        with self._engine.connect() as connection:
            row = connection.execute(query).mappings().first()
        return _entry(row) if row is not None else None

    def of_batches(self, batch_ids: list[str]) -> dict[str, Entry]:
        """Return the entries of `batch_ids` that have one, by batch id."""
        found: dict[str, Entry] = {}
        for start in range(0, len(batch_ids), 500):  # bounded IN lists
            query = sa.select(manifest_table).where(
                manifest_table.c.batch_id.in_(batch_ids[start : start + 500])
            )
            with self._engine.connect() as connection:
                rows = connection.execute(query).mappings()
                found |= {row["batch_id"]: _entry(row) for row in rows}
        return found

    def batch_ids(self, source: str, prefix: str) -> list[str]:
        """Return the batch ids of `source` that start with `prefix`."""
        pattern = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = sa.select(manifest_table.c.batch_id).where(
            manifest_table.c.source == source,
            manifest_table.c.batch_id.like(pattern, escape="\\"),
        )
        with self._engine.connect() as connection:
            return [row[0] for row in connection.execute(query)]

    def find_landed(self, source: str, sha256: str) -> Entry | None:
        """Return the first landed entry of `source` with these bytes, if any."""
        landed = (Status.LANDED, Status.FORMATTED, Status.QUARANTINED, Status.FAILED)
        query = (
            sa.select(manifest_table)
            .where(
                manifest_table.c.source == source,
                manifest_table.c.sha256 == sha256,
                manifest_table.c.status.in_(landed),
            )
            .order_by(manifest_table.c.received_at)
            .limit(1)
        )
        with self._engine.connect() as connection:
            row = connection.execute(query).mappings().first()
        return _entry(row) if row is not None else None

    def to_arrow(self) -> pa.Table:
        """Return the whole manifest as an Arrow table (for `landing.manifest` in SQL)."""
        return rows_to_arrow(_row(entry) for entry in self.entries())

    # --- many entries at once (bulk landing) ----------------------------------------------

    def add_many(self, entries: list[Entry]) -> None:
        """Record many new objects or sightings in one transaction."""
        if entries:
            with self._engine.begin() as connection:
                connection.execute(manifest_table.insert(), [_row(entry) for entry in entries])

    def settle_landing(
        self, landed: list[str], sightings: list[Entry], forgotten: list[str]
    ) -> None:
        """In one transaction: mark the `landing` entries `landed` as landed, record the
        `sightings` (duplicates of landed bytes) and remove the entries `forgotten`."""
        column = manifest_table.c.batch_id
        with self._engine.begin() as connection:
            for start in range(0, len(landed), 500):  # bounded IN lists
                chosen = column.in_(landed[start : start + 500])
                statement = manifest_table.update().where(
                    chosen, manifest_table.c.status == Status.LANDING
                )
                connection.execute(statement.values(status=Status.LANDED))
            if sightings:
                connection.execute(manifest_table.insert(), [_row(entry) for entry in sightings])
            for start in range(0, len(forgotten), 500):
                chosen = column.in_(forgotten[start : start + 500])
                connection.execute(manifest_table.delete().where(chosen))

    def find_landed_many(self, source: str, sha256s: set[str]) -> dict[str, Entry]:
        """Return, by hash, the first landed entry of `source` with each of these bytes (as
        `find_landed` does for one); hashes never landed are left out."""
        landed = (Status.LANDED, Status.FORMATTED, Status.QUARANTINED, Status.FAILED)
        wanted = sorted(sha256s)
        found: dict[str, Entry] = {}
        for start in range(0, len(wanted), 500):
            query = (
                sa.select(manifest_table)
                .where(
                    manifest_table.c.source == source,
                    manifest_table.c.sha256.in_(wanted[start : start + 500]),
                    manifest_table.c.status.in_(landed),
                )
                .order_by(manifest_table.c.received_at)
            )
            with self._engine.connect() as connection:
                for row in connection.execute(query).mappings():
                    found.setdefault(row["sha256"], _entry(row))
        return found


def _add_missing_columns(engine: sa.Engine) -> None:
    """Add the columns a newer lakebox defines to a manifest an older one created."""
    present = {column["name"] for column in sa.inspect(engine).get_columns(manifest_table.name)}
    with engine.begin() as connection:
        for column in manifest_table.columns:
            if column.name not in present:
                kind = column.type.compile(dialect=engine.dialect)
                connection.execute(
                    sa.text(f"ALTER TABLE {manifest_table.name} ADD COLUMN {column.name} {kind}")
                )


def _row(entry: Entry) -> dict[str, object]:
    return {field.name: getattr(entry, field.name) for field in fields(Entry)}


def _entry(row: sa.RowMapping) -> Entry:
    values = dict(row)
    for name in ("received_at", "modified_at", "formatted_at"):
        values[name] = _aware(values.get(name))
    return Entry(**values)


def _aware(stamp: datetime | None) -> datetime | None:
    """Return `stamp` in UTC when the database gave it without a time zone."""
    if isinstance(stamp, datetime) and stamp.tzinfo is None:
        return stamp.replace(tzinfo=UTC)
    return stamp
