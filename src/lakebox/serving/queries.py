"""Running users' SQL for the serving endpoints: read-only, one at a time, with a row limit
and a timeout (a query over its time is interrupted in the engine)."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import pyarrow as pa

from lakebox.errors import QueryError
from lakebox.lakehouse import Lakehouse
from lakebox.serving.readonly import ensure_read_only

DEFAULT_ROW_LIMIT = 10_000
MAX_ROW_LIMIT = 1_000_000
DEFAULT_TIMEOUT = 30.0


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
        self.lock = threading.Lock()

    def run(self, sql: str, limit: int | None = None, timeout: float | None = None) -> QueryResult:
        """Return at most `limit` rows of read-only `sql`, interrupted after `timeout` s."""
        checked = ensure_read_only(sql)
        rows = max(1, min(limit or self.row_limit, MAX_ROW_LIMIT))
        seconds = min(timeout or self.timeout, self.timeout) if timeout else self.timeout
        with self.lock:
            return self._run_locked(checked, rows, seconds)

    def catalog(self, sql: str, parameters: list[object] | None = None) -> pa.Table:
        """Run lakebox's own (trusted) SQL, e.g. for listing tables, under the same lock."""
        with self.lock:
            self.lh.refresh(manifest=True)
            return self.lh.engine.arrow(sql, parameters)

    def _run_locked(self, sql: str, rows: int, seconds: float) -> QueryResult:
        self.lh.refresh(manifest=True)
        interrupted = threading.Event()

        def interrupt() -> None:
            interrupted.set()
            self.lh.engine.connection.interrupt()

        timer = threading.Timer(seconds, interrupt)
        started = time.monotonic()
        timer.start()
        try:
            table = self.lh.engine.arrow(f"SELECT * FROM ({sql}) LIMIT {rows + 1}")
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
