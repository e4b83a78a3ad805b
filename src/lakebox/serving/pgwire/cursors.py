"""SQL cursors (DECLARE … CURSOR FOR, FETCH, CLOSE), as psycopg's named cursors and
SQLAlchemy's `stream_results` use them: each reads on an engine connection of its own, so
other statements of the session may run between two FETCHes."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import duckdb
import pyarrow as pa

from lakebox.errors import QueryError
from lakebox.serving.stream import QueryStream


@dataclass
class DeclaredCursor:
    """An open cursor: its rows, read on demand, and whether it outlives the transaction."""

    stream: QueryStream
    connection: duckdb.DuckDBPyConnection
    hold: bool
    batches: Iterator[pa.RecordBatch] = field(init=False)
    left_over: pa.RecordBatch | None = None

    def __post_init__(self) -> None:
        self.batches = self.stream.batches()

    def fetch(self, count: int | None) -> list[pa.RecordBatch]:
        """Return the next `count` rows (all that are left when None) as batches."""
        taken: list[pa.RecordBatch] = []
        wanted = count
        while wanted is None or wanted > 0:
            batch = self.left_over if self.left_over is not None else next(self.batches, None)
            self.left_over = None
            if batch is None:
                break
            if wanted is not None and batch.num_rows > wanted:
                self.left_over = batch.slice(wanted)
                batch = batch.slice(0, wanted)
            taken.append(batch)
            wanted = None if wanted is None else wanted - batch.num_rows
        return taken

    def close(self) -> None:
        """Stop the query and release its connection."""
        self.stream.close()
        self.connection.close()


class Cursors:
    """The cursors a session declared, by name."""

    def __init__(self) -> None:
        self.open: dict[str, DeclaredCursor] = {}

    def declare(
        self,
        name: str,
        hold: bool,
        connect: Callable[[], duckdb.DuckDBPyConnection],
        start: Callable[[duckdb.DuckDBPyConnection], QueryStream],
    ) -> None:
        """Open cursor `name`: `start` runs its query on a connection from `connect`."""
        if name in self.open:
            raise QueryError(f'cursor "{name}" already exists', sqlstate="42P03")
        connection = connect()
        try:
            stream = start(connection)
        except BaseException:
            connection.close()
            raise
        self.open[name] = DeclaredCursor(stream, connection, hold)

    def get(self, name: str) -> DeclaredCursor:
        """Return cursor `name`."""
        cursor = self.open.get(name)
        if cursor is None:
            raise QueryError(f'cursor "{name}" does not exist', sqlstate="34000")
        return cursor

    def close(self, name: str) -> None:
        """Close cursor `name` ("ALL": every one)."""
        names = list(self.open)
        if name.lower() != "all":
            self.get(name)  # raises when there is no such cursor
            names = [name]
        for each in names:
            self.open.pop(each).close()

    def end_of_transaction(self) -> None:
        """Close the cursors declared without WITH HOLD, as a transaction's end does."""
        for name in [name for name, cursor in self.open.items() if not cursor.hold]:
            self.open.pop(name).close()
