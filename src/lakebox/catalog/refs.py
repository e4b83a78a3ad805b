"""What the data path needs to name tables, and to read where they are without pyiceberg.

Reading SQL only needs every table's current metadata file: for a SQLite catalog that is one
query on its file (the `iceberg_tables` table pyiceberg's SqlCatalog keeps), done here with
the standard library, so a read-only command never imports pyiceberg or SQLAlchemy.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path
from urllib.request import pathname2url

BATCH_PROPERTY = "lakebox.batch-ids"
CURSOR_PROPERTY = "lakebox.cursor"  # a landed batch's cursor, on its formatted commit
# the table's columns a landed file did not have (JSON list), on its formatted commit
ABSENT_PROPERTY = "lakebox.absent-columns"
# the batch ids of a table's expired snapshots (JSON list, a table property): still committed
RETIRED_BATCHES_PROPERTY = "lakebox.retired-batch-ids"
SQLITE_PREFIX = "sqlite:///"
BUSY_TIMEOUT = 5.0  # seconds to wait for a writer's lock, as SQLAlchemy's SQLite driver does


@dataclass(frozen=True)
class TableRef:
    """A table's place in the catalog: its zone (namespace) and name."""

    zone: str
    name: str

    @property
    def identifier(self) -> str:
        return f"{self.zone}.{self.name}"

    @classmethod
    def of(cls, identifier: str) -> TableRef:
        """Return the table `zone.name` names (the name is all after the first dot)."""
        zone, _, name = identifier.partition(".")
        return cls(zone, name)


def absolute_sqlite(uri: str, project_dir: Path) -> str:
    """Return `uri` with a relative SQLite path made absolute (below `project_dir`), its
    folder created; any other URI as it is."""
    if not uri.startswith(SQLITE_PREFIX) or uri.startswith(SQLITE_PREFIX + "/"):
        return uri
    path = (project_dir / uri.removeprefix(SQLITE_PREFIX)).resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    return f"{SQLITE_PREFIX}{path}"


def sqlite_file(uri: str) -> Path | None:
    """Return the file of an absolute `sqlite:////path` URI without options, else None (a
    server database, an in-memory one, or a URI with options is read through SQLAlchemy)."""
    if not uri.startswith(SQLITE_PREFIX + "/") or "?" in uri:
        return None
    return Path(uri.removeprefix(SQLITE_PREFIX))


def read_only(path: Path, same_thread: bool = True) -> sqlite3.Connection | None:
    """Return a read-only connection to the SQLite file `path`, or None if it does not
    exist (no catalog was ever written: it holds no table yet); with `same_thread` False,
    any thread may use it (one at a time)."""
    if not path.is_file():
        return None
    address = f"file:{pathname2url(str(path))}?mode=ro"
    return sqlite3.connect(address, uri=True, timeout=BUSY_TIMEOUT, check_same_thread=same_thread)


def has_table(connection: sqlite3.Connection, name: str) -> bool:
    """Whether the SQLite database holds table `name`."""
    found = connection.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)
    ).fetchone()
    return found is not None


def sqlite_metadata_locations(path: Path, catalog: str) -> dict[TableRef, str]:
    """Return every table's current metadata file in the SQLite catalog `path`, read in one
    query (no table when the file or pyiceberg's table does not exist yet)."""
    connection = read_only(path)
    if connection is None:
        return {}
    try:
        return locations_in(connection, catalog)
    finally:
        connection.close()


def locations_in(connection: sqlite3.Connection, catalog: str) -> dict[TableRef, str]:
    """Return every table's current metadata file in the SQLite catalog of `connection`."""
    if not has_table(connection, "iceberg_tables"):
        return {}
    rows = connection.execute(
        "SELECT table_namespace, table_name, metadata_location FROM iceberg_tables "
        "WHERE catalog_name = ?",
        (catalog,),
    ).fetchall()
    return {TableRef(zone, name): location for zone, name, location in rows if location}
