"""Running users' SQL for the serving endpoints: read-only, one at a time, with a row limit
and a timeout (a query over its time is interrupted in the engine)."""

from __future__ import annotations

import contextlib
import threading
import time
import weakref
from collections.abc import Iterator
from dataclasses import dataclass

import duckdb
import pyarrow as pa

from lakebox.errors import QueryError, QueryInterrupted
from lakebox.lakehouse import Lakehouse
from lakebox.serving.readonly import ensure_read_only

DEFAULT_ROW_LIMIT = 10_000
MAX_ROW_LIMIT = 1_000_000
DEFAULT_TIMEOUT = 30.0


_LOCKS: weakref.WeakKeyDictionary[Lakehouse, threading.Lock] = weakref.WeakKeyDictionary()
_LOCKS_LOCK = threading.Lock()


def engine_lock(lh: Lakehouse) -> threading.Lock:
    """Return the one lock guarding `lh`'s engine connection, shared by every QueryService
    of it (the HTTP API and the PostgreSQL endpoint may serve the same Lakehouse)."""
    with _LOCKS_LOCK:
        return _LOCKS.setdefault(lh, threading.Lock())


@dataclass
class QueryResult:
    """A query's rows (at most the limit), whether more existed, and how long it took."""

    table: pa.Table
    truncated: bool
    seconds: float


class QueryService:
    """Runs read-only SQL on one Lakehouse; the engine runs one query at a time."""

    def __init__(
        self,
        lh: Lakehouse,
        row_limit: int = DEFAULT_ROW_LIMIT,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        self.lh = lh
        self.row_limit = row_limit
        self.timeout = timeout
        self.lock = engine_lock(lh)

    def run(
        self,
        sql: str,
        limit: int | None = None,
        timeout: float | None = None,
        parameters: dict[str, object] | None = None,
    ) -> QueryResult:
        """Return at most `limit` rows of read-only `sql`, interrupted after `timeout` s;
        `parameters` are bound to its `$name` placeholders (never pasted into the SQL)."""
        checked = ensure_read_only(sql)
        rows = max(1, min(limit or self.row_limit, MAX_ROW_LIMIT))
        seconds = min(timeout or self.timeout, self.timeout) if timeout else self.timeout
        with self.lock:
            return self._run_locked(checked, rows, seconds, parameters)

    def catalog(self, sql: str, parameters: list[object] | None = None) -> pa.Table:
        """Run lakebox's own (trusted) SQL, e.g. for listing tables, under the same lock."""
        with self.lock:
            self.lh.refresh(manifest=True)
            return self.lh.engine.arrow(sql, parameters)

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """Return a connection of its own to the engine's database (one per client session):
        its queries run beside others' and can be interrupted alone."""
        with self.lock:
            cursor = self.lh.engine.connection.cursor()
        cursor.execute("SET TimeZone = 'UTC'")
        return cursor

    def stream(
        self,
        cursor: duckdb.DuckDBPyConnection,
        sql: str,
        limit: int | None = None,
        timeout: float | None = None,
    ) -> QueryStream:
        """Start read-only `sql` on `cursor` (from `cursor()`) and return its batches' stream:
        at most `limit` rows, interrupted after `timeout` s. The lock is held only while the
        tables' views are refreshed, not while the rows are read."""
        checked = ensure_read_only(sql)
        rows = max(1, min(limit or self.row_limit, MAX_ROW_LIMIT))
        seconds = min(timeout or self.timeout, self.timeout) if timeout else self.timeout
        with self.lock:
            self.lh.refresh(manifest=True)
            manifest = self._manifest() if "manifest" in checked.lower() else None
        if manifest is not None:
            cursor.register("_lakebox_manifest", manifest)
        return QueryStream(cursor, checked, rows, seconds)

    def _manifest(self) -> pa.Table:
        return self.lh.engine.arrow("SELECT * FROM _lakebox_manifest")

    def _run_locked(
        self, sql: str, rows: int, seconds: float, parameters: dict[str, object] | None = None
    ) -> QueryResult:
        self.lh.refresh(manifest=True)
        interrupted = threading.Event()

        def interrupt() -> None:
            interrupted.set()
            self.lh.engine.connection.interrupt()

        timer = threading.Timer(seconds, interrupt)
        started = time.monotonic()
        timer.start()
        try:
            table = self.lh.engine.arrow(
                f"SELECT * FROM ({sql}) LIMIT {rows + 1}",
                parameters,  # type: ignore[arg-type]  # DuckDB binds a dict by name
            )
        except QueryError as error:
            if interrupted.is_set():
                raise QueryError(
                    f"the query ran longer than {seconds:g} s and was stopped",
                    hint="narrow it down, or ask for fewer rows",
                    sql=sql,
                ) from None
            raise QueryError(error.message.strip(), sql=sql) from None
        finally:
            timer.cancel()
        truncated = table.num_rows > rows
        return QueryResult(table.slice(0, rows), truncated, time.monotonic() - started)


class QueryStream:
    """A running query on a cursor of its own: its schema, then its rows batch by batch."""

    BATCH_ROWS = 65_536

    def __init__(
        self, cursor: duckdb.DuckDBPyConnection, sql: str, rows: int, seconds: float
    ) -> None:
        self.cursor = cursor
        self.sql = sql
        self.rows = rows
        self.seconds = seconds
        self.truncated = False
        self._timed_out = threading.Event()
        self._cancelled = threading.Event()
        self._timer = threading.Timer(seconds, self._time_out)
        self._timer.start()
        try:
            self._reader = cursor.execute(sql).to_arrow_reader(self.BATCH_ROWS)
        except duckdb.Error as error:
            self.close()
            raise self._error(error) from None

    @property
    def schema(self) -> pa.Schema:
        """The result's columns."""
        return self._reader.schema

    def batches(self) -> Iterator[pa.RecordBatch]:
        """Yield the result's batches up to the row limit, then stop (setting `truncated`)."""
        left = self.rows
        try:
            for batch in self._reader:
                if batch.num_rows > left:
                    self.truncated = True
                    if left:
                        yield batch.slice(0, left)
                    return
                left -= batch.num_rows
                yield batch
        except duckdb.Error as error:
            raise self._error(error) from None
        finally:
            self.close()

    def cancel(self) -> None:
        """Interrupt the query (a client's cancel request)."""
        self._cancelled.set()
        self.cursor.interrupt()

    def close(self) -> None:
        """Stop the timer; the rows not read are dropped."""
        self._timer.cancel()

    def _time_out(self) -> None:
        self._timed_out.set()
        with contextlib.suppress(duckdb.Error):  # the session ended meanwhile
            self.cursor.interrupt()

    def _error(self, error: duckdb.Error) -> QueryError:
        if self._timed_out.is_set():
            return QueryInterrupted(
                f"the query ran longer than {self.seconds:g} s and was stopped",
                hint="narrow it down, or ask for fewer rows",
                sql=self.sql,
                reason="timeout",
            )
        if self._cancelled.is_set():
            return QueryInterrupted("the query was cancelled at the client's request", sql=self.sql)
        message = str(error).strip()
        return QueryError(message, sql=self.sql, kind=type(error).__name__)
