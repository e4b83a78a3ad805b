"""`CatalogWatch`: every table's current metadata file in a SQLite catalog, read again only
when another connection committed to the catalog since (served queries ask before each one)."""

from __future__ import annotations

import os
import sqlite3
import threading
from pathlib import Path

from lakebox.catalog.refs import TableRef, locations_in, read_only


class CatalogWatch:
    """The table locations of the SQLite catalog `path`, kept on a read-only connection of
    its own: SQLite's `data_version` changes whenever another connection (of this process or
    another) commits, so an unchanged catalog costs one pragma, not a read of its tables. A
    file replaced by another (a new inode) is opened anew, and so is it in a forked child."""

    def __init__(self, path: Path, catalog: str) -> None:
        self.path = path
        self.catalog = catalog
        self._lock = threading.Lock()
        self._connection: sqlite3.Connection | None = None
        self._identity: tuple[int, int, int] | None = None
        self._version: int | None = None
        self._locations: dict[TableRef, str] = {}

    def locations(self) -> dict[TableRef, str]:
        """Return every table's current metadata file (none while the catalog is empty)."""
        with self._lock:
            connection = self._connected()
            if connection is None:
                return {}
            (version,) = connection.execute("PRAGMA data_version").fetchone()
            if version != self._version:
                self._locations = locations_in(connection, self.catalog)
                self._version = version
            return dict(self._locations)

    def _connected(self) -> sqlite3.Connection | None:
        """Return the connection to the file now at `path` (None when there is none)."""
        try:
            status = os.stat(self.path)
        except OSError:
            self._drop()
            return None
        identity = (status.st_dev, status.st_ino, os.getpid())
        if self._identity is not None and self._identity[2] != identity[2]:
            self._connection = None  # a forked child: the parent's connection is not its own
        if identity != self._identity or self._connection is None:
            self._drop()
            self._connection = read_only(self.path, same_thread=False)
            self._identity = identity if self._connection is not None else None
        return self._connection

    def _drop(self) -> None:
        if self._connection is not None:
            self._connection.close()
        self._connection, self._identity, self._version = None, None, None

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._drop()
