"""A running query of users' SQL on a cursor of its own: its batches up to a row and a byte
limit, interrupted in the engine when it runs over its time or the client cancels it."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import duckdb
import pyarrow as pa

from lakebox.engine.values import CONVERSION_ERRORS
from lakebox.errors import QueryError, QueryInterrupted


@dataclass(frozen=True)
class Limits:
    """How many rows and bytes a result may hold, and how long its query may run."""

    rows: int
    seconds: float
    bytes: int = 64 * 10**6


class QueryStream:
    """A running query on a cursor of its own: its schema, then its rows batch by batch."""

    BATCH_ROWS = 8_192

    def __init__(
        self,
        cursor: duckdb.DuckDBPyConnection,
        sql: str,
        limits: Limits,
        parameters: dict[str, object] | None = None,
        release: Callable[[], None] | None = None,
    ) -> None:
        self.cursor = cursor
        self.sql = sql
        self.rows = limits.rows
        self.seconds = limits.seconds
        self.max_bytes = limits.bytes
        self.truncated = False
        self.notice: str | None = None
        self.sent = 0  # rows yielded so far
        self.on_end: Callable[[QueryStream], None] | None = None  # called once, at close
        self._ended = False
        self._release = release or (lambda: None)
        self._timed_out = threading.Event()
        self._cancelled = threading.Event()
        self._timer = threading.Timer(limits.seconds, self._time_out)
        self._timer.start()
        try:
            result = cursor.execute(sql, parameters)  # type: ignore[arg-type]  # a dict binds by name
            self._reader = result.to_arrow_reader(self.BATCH_ROWS)
        except (duckdb.Error, *CONVERSION_ERRORS) as error:
            self.close()
            raise self._error(error) from None

    @property
    def schema(self) -> pa.Schema:
        """The result's columns."""
        return self._reader.schema

    def batches(self) -> Iterator[pa.RecordBatch]:
        """Yield the result's batches up to the row and byte limits, then stop (setting
        `truncated` and `notice`)."""
        rows, size = self.rows, self.max_bytes
        try:
            for batch in self._reader:
                if self._timed_out.is_set():
                    raise duckdb.InterruptException("the query was interrupted")
                if batch.num_rows > rows:
                    self._truncate(f"{self.rows} rows (the row limit)")
                    batch = batch.slice(0, rows)
                if batch.nbytes > size:
                    batch = self._within(batch, size, self.rows - rows)
                rows, size = rows - batch.num_rows, size - batch.nbytes
                self.sent += batch.num_rows
                if batch.num_rows:
                    yield batch
                if self.truncated:
                    return
        except (duckdb.Error, *CONVERSION_ERRORS) as error:
            raise self._error(error) from None
        finally:
            self.close()

    def _within(self, batch: pa.RecordBatch, size: int, sent: int) -> pa.RecordBatch:
        """Return the first rows of `batch` that fit in `size` bytes (the result is then
        truncated), or raise if not even the result's first row fits."""
        low, high = 0, batch.num_rows  # the most rows whose bytes fit lies in [low, high)
        while high - low > 1:
            middle = (low + high) // 2
            low, high = (middle, high) if batch.slice(0, middle).nbytes <= size else (low, middle)
        if low == 0 and sent == 0:
            raise QueryError(
                f"the result's first row alone is larger than the result size limit "
                f"({_megabytes(self.max_bytes)})",
                hint="select fewer or shorter columns (e.g. left(text, 1000)), or raise "
                "serve.max_result_bytes in lakebox.yaml",
                sql=self.sql,
                sqlstate="54000",
            )
        self._truncate(f"{sent + low} rows (the result size limit of {_megabytes(self.max_bytes)})")
        return batch.slice(0, low)

    def _truncate(self, what: str) -> None:
        self.truncated = True
        self.notice = f"the result was truncated to {what}"

    def cancel(self) -> None:
        """Interrupt the query (a client's cancel request)."""
        self._cancelled.set()
        self.cursor.interrupt()

    def close(self) -> None:
        """Stop the timer and give the query's slot back; the rows not read are dropped."""
        self._timer.cancel()
        self._release()
        if not self._ended:
            self._ended = True
            if self.on_end is not None:
                self.on_end(self)

    def _time_out(self) -> None:
        self._timed_out.set()
        self._release()
        with contextlib.suppress(duckdb.Error):  # the session ended meanwhile
            self.cursor.interrupt()

    def _error(self, error: BaseException) -> QueryError:
        if isinstance(error, QueryError):
            return error
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
        if isinstance(error, duckdb.Error):
            return QueryError(message, sql=self.sql, kind=type(error).__name__)
        return QueryError(
            f"the result cannot be sent: {message}",
            hint="cast the column to a type every client reads, e.g. value::VARCHAR",
            sql=self.sql,
            kind="ConversionException",
        )


def _megabytes(size: int) -> str:
    return f"{size / 10**6:g} MB"
