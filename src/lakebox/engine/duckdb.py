"""DuckDB with the pinned extensions loaded offline, and Iceberg tables exposed as views."""

from __future__ import annotations

import contextlib
import functools
import importlib
import logging
import os
import re
import threading
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import duckdb
import pyarrow as pa

from lakebox.catalog import TableRef
from lakebox.config import EngineConfig
from lakebox.errors import EngineError, QueryError
from lakebox.ground.sql import quote_identifier, quote_literal

logger = logging.getLogger(__name__)
EXTENSIONS = ("avro", "iceberg")
# SQL naming one of these may need EXTENSIONS (iceberg_scan, read_avro, duckdb_extensions())
_NEEDS_EXTENSIONS = re.compile(r"iceberg|avro|extension", re.IGNORECASE)


class DuckDBEngine:
    """One DuckDB connection per Lakehouse; Iceberg tables appear as `zone.table` views.

    The Iceberg and Avro extensions load when first needed (a view on a table, SQL naming
    them, or before the engine is confined): SQL that reads no table starts without them.

    `lock` is the engine's own: code that shares one engine between threads (the serve app
    answers requests in threads; the HTTP API and the PostgreSQL endpoint may serve the same
    Lakehouse) holds it around its statements, so that they use the connection one at a time.
    Users' SQL runs on cursors of the reader (`Lakehouse.reading`) and does not take it."""

    SUPPORTS_TIME_TRAVEL = True
    DIALECT = "duckdb"

    def __init__(self, config: EngineConfig, project_dir: Path) -> None:
        self.extension_directory = (project_dir / config.extension_directory).resolve()
        self.extension_directory.mkdir(parents=True, exist_ok=True)
        temp_directory = (project_dir / config.temp_directory).resolve()
        settings = {
            "extension_directory": str(self.extension_directory),
            "autoinstall_known_extensions": "false",
            "autoload_known_extensions": "false",
            "memory_limit": config.memory_limit,
            "temp_directory": str(temp_directory),
        }
        if config.threads:
            settings["threads"] = str(config.threads)
        self.connection = duckdb.connect(config=settings)
        self.connection.execute("SET TimeZone = 'UTC'")
        self._views: dict[TableRef, str] = {}
        self._loaded: set[str] = set()
        self.lock = threading.Lock()

    def ensure_extensions(self) -> None:
        """Load the Iceberg and Avro extensions, if not yet."""
        for name in EXTENSIONS:
            self.load_extension(name)

    def load_extension(self, name: str) -> None:
        """Load a pinned extension from its PyPI wheel, never from the network (once).

        The file is loaded where the wheel installed it, never from a copy in the project:
        the process maps each extension file it loads for good (DuckDB never unloads one), so
        a copy per project would add the extension's size (33 MB for iceberg) to the process
        for every project it opens. DuckDB finds an extension's entry point by its file name
        (`sqlite_scanner`, not `sqlite`), so it loads a link named so in the project's
        extension directory; the loader knows a second link to a loaded file for that file."""
        if name in self._loaded:
            return
        self.connection.execute(f"LOAD {quote_literal(str(self._linked(name)))}")
        self._loaded.add(name)

    def _linked(self, name: str) -> Path:
        """Return a link to extension `name`'s file, named as DuckDB names the extension."""
        target = extension_file(name)
        quoted = quote_literal(name)  # not a bound parameter: binding one imports pandas
        known = self.connection.execute(
            "SELECT extension_name FROM duckdb_extensions() "
            f"WHERE extension_name = {quoted} OR list_contains(aliases, {quoted})"
        ).fetchone()
        folder = self.extension_directory / f"v{duckdb.__version__}"
        link = folder / f"{known[0] if known else name}.duckdb_extension"
        if link.is_symlink() and link.resolve() == target.resolve():
            return link
        folder.mkdir(parents=True, exist_ok=True)
        staged = folder / f".{link.name}.{os.getpid()}.{threading.get_ident()}"
        staged.unlink(missing_ok=True)
        staged.symlink_to(target)
        os.replace(staged, link)  # atomic: a concurrent opener sees the old link or the new
        return link

    def execute(
        self, sql: str, parameters: list[object] | None = None
    ) -> duckdb.DuckDBPyConnection:
        """Run `sql` and return the connection to fetch from; errors become QueryError."""
        if not self._loaded.issuperset(EXTENSIONS) and _NEEDS_EXTENSIONS.search(sql):
            self.ensure_extensions()
        try:
            return self.connection.execute(sql, parameters)
        except duckdb.Error as error:
            raise QueryError(str(error).strip(), sql=sql) from error

    def arrow(self, sql: str, parameters: list[object] | None = None) -> pa.Table:
        """Return the result of `sql` as an Arrow table; a result Arrow cannot carry (e.g. a
        VARIANT column) is a QueryError too."""
        result = self.execute(sql, parameters)
        try:
            return result.to_arrow_reader().read_all()
        except (duckdb.Error, OSError, pa.ArrowException) as error:
            raise QueryError(
                f"the result cannot be sent: {str(error).strip()}",
                hint="cast the column to a type every client reads, e.g. value::VARCHAR",
                sql=sql,
            ) from error

    def copy_to_parquet(self, select_sql: str, path: Path) -> None:
        """Write the result of `select_sql` to one Parquet file, streaming."""
        path.parent.mkdir(parents=True, exist_ok=True)
        target = quote_literal(str(path))
        # on lines of their own, so that a trailing -- comment ends before the ")"
        self.execute(
            f"COPY (\n{select_sql}\n) TO {target} (FORMAT parquet, COMPRESSION zstd, "
            "ROW_GROUP_SIZE 122880)"
        )

    @contextlib.contextmanager
    def bounded(self, seconds: float, temp_bytes: int) -> Iterator[Bound]:
        """Within the block, the connection's statements may spill at most `temp_bytes` to the
        temp directory, and the one running `seconds` after the block starts is interrupted
        (as is any later one in the block): `Bound.expired` then says so. Statements on other
        connections (the reader's cursors) are not bounded."""
        bound = Bound(self.connection, seconds)
        self.execute(f"SET max_temp_directory_size = '{int(temp_bytes)}B'")
        bound.start()
        try:
            yield bound
        finally:
            bound.close()
            self.execute("RESET max_temp_directory_size")

    def expose(self, locations: dict[TableRef, str]) -> None:
        """Point each `zone.table` view at its table's current Iceberg metadata."""
        for ref, location in locations.items():
            if self._views.get(ref) == location:
                continue
            self._create_view(ref, f"iceberg_scan({quote_literal(location)})")
            self._views[ref] = location
        for ref in set(self._views) - set(locations):
            self.execute(
                f"DROP VIEW IF EXISTS {quote_identifier(ref.zone)}.{quote_identifier(ref.name)}"
            )
            del self._views[ref]

    @contextlib.contextmanager
    def as_of(self, scans: dict[TableRef, str]) -> Iterator[None]:
        """Within the block, the views in `scans` read the given iceberg_scan(...) expressions."""
        self.execute("BEGIN TRANSACTION")
        try:
            for ref, scan in scans.items():
                self._create_view(ref, scan)
            yield
        finally:
            self.execute("ROLLBACK")

    def register_arrow(self, name: str, data: pa.Table | pa.RecordBatchReader) -> None:
        """Make an Arrow table or stream queryable as `name`."""
        self.connection.register(name, data)

    def unregister(self, name: str) -> None:
        """Forget a registered Arrow object."""
        self.connection.unregister(name)

    def confine(self, allowed: list[str]) -> None:
        """From now on, read and write files only below `allowed` (folders or URI prefixes):
        users' SQL can no longer reach the rest of the machine. It cannot be undone."""
        self.ensure_extensions()  # a confined engine can no longer load extension files
        external = self.execute("SELECT current_setting('enable_external_access')").fetchone()
        if external and external[0] in (False, "false"):
            return  # confined already (the HTTP API and the pg endpoint share one engine)
        prefixes = _sandbox([item.rstrip("/") + "/" for item in allowed])
        self.execute("SET allowed_directories = ?", [prefixes])
        self.execute("SET enable_external_access = false")

    def lock_down(self, readable: list[str]) -> None:
        """Make this engine a reader for users' SQL, for good: it reads files only below
        `readable` (folders or URI prefixes), looks up no Python objects by name, and its
        settings can no longer change (the time zone stays UTC). Views, macros and
        per-connection settings such as `search_path` still work."""
        self.ensure_extensions()  # users' SQL runs on its cursors, never through execute()
        prefixes = _sandbox([item.removeprefix("file://").rstrip("/") + "/" for item in readable])
        self.execute("SET GLOBAL TimeZone = 'UTC'")
        self.execute("SET GLOBAL python_enable_replacements = false")
        self.execute("SET allowed_directories = ?", [prefixes])
        self.execute("SET enable_external_access = false")
        self.execute("SET lock_configuration = true")

    def close(self) -> None:
        """Close the connection."""
        self.connection.close()

    def _create_view(self, ref: TableRef, source: str) -> None:
        schema = quote_identifier(ref.zone)
        self.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
        self.execute(
            f"CREATE OR REPLACE VIEW {schema}.{quote_identifier(ref.name)} AS "
            f"SELECT * FROM {source}"
        )


class Bound:
    """The time limit of `DuckDBEngine.bounded`: once `seconds` have passed, a watcher thread
    interrupts the connection's statement, and keeps doing so (a statement may start just
    after an interrupt) until the block ends; never after. `expired` says whether it did."""

    POLL = 0.1  # seconds between interrupts once expired

    def __init__(self, connection: duckdb.DuckDBPyConnection, seconds: float) -> None:
        self.connection = connection
        self.seconds = seconds
        self.expired = False
        self._done = threading.Event()
        self._lock = threading.Lock()
        self._watcher = threading.Thread(target=self._watch, name="lakebox-bound", daemon=True)

    def start(self) -> None:
        """Start counting."""
        self._watcher.start()

    def close(self) -> None:
        """End the block: nothing is interrupted any more."""
        with self._lock:
            self._done.set()
        self._watcher.join()

    def _watch(self) -> None:
        if self._done.wait(self.seconds):
            return
        self.expired = True
        while True:
            with self._lock:
                if self._done.is_set():
                    return
                self.connection.interrupt()
            if self._done.wait(self.POLL):
                return


def _sandbox(prefixes: list[str]) -> list[str]:
    """Return `prefixes`, or refuse a sandbox that would allow the whole disk."""
    if any(os.path.normpath(prefix) == "/" for prefix in prefixes):
        raise EngineError(
            f"the engine would let SQL read the whole disk: '/' is among {prefixes}",
            hint="keep the project, storage.root and the engine's folders below a folder of "
            "their own",
        )
    return prefixes


def sealed_database() -> duckdb.DuckDBPyConnection:
    """Return a new in-memory DuckDB with no data, no extensions and no file or network
    access, in UTC as the engine: for computing values with the engine's own SQL where no
    lakehouse is at hand (the hot path's reading of events)."""
    settings = {"autoinstall_known_extensions": "false", "autoload_known_extensions": "false"}
    database = duckdb.connect(config=settings)
    database.execute("SET GLOBAL TimeZone = 'UTC'")
    database.execute("SET enable_external_access = false")
    return database


def snapshot_scan(
    location: str, snapshot_id: int | None = None, timestamp: datetime | None = None
) -> str:
    """Return an iceberg_scan(...) expression pinned to a snapshot id or a point in time."""
    scan = f"iceberg_scan({quote_literal(location)}"
    if snapshot_id is not None:
        scan += f", snapshot_from_id={int(snapshot_id)}"
    if timestamp is not None:
        scan += f", snapshot_from_timestamp={quote_literal(timestamp.isoformat())}::TIMESTAMP"
    return scan + ")"


@functools.cache
def extension_file(name: str) -> Path:
    """Return the file of extension `name` in its PyPI package `duckdb-extension-<name>`."""
    found = None
    with contextlib.suppress(ModuleNotFoundError):
        package = importlib.import_module(f"duckdb_extension_{name}")
        folder = Path(package.__file__ or "").parent
        found = folder / "extensions" / f"v{duckdb.__version__}" / f"{name}.duckdb_extension"
    if found is None or not found.is_file():
        raise EngineError(
            f"DuckDB extension {name!r} is not installed",
            hint=f"pip install duckdb-extension-{name}=={duckdb.__version__}",
        )
    return found
