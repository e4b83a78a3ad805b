"""One client's session: its settings, search path and transaction state, and the read-only
queries it sends to the engine (the statements it answers itself are `commands`)."""

from __future__ import annotations

import contextlib
import logging
import threading
from dataclasses import dataclass

import duckdb
import pyarrow as pa

from lakebox.access.secure import visible
from lakebox.errors import QueryError, QueryInterrupted
from lakebox.lakehouse import ZONE_SCHEMAS
from lakebox.serving.pgwire import catalog, commands, rewrite
from lakebox.serving.pgwire.commands import (
    ENDS_TRANSACTION,
    FAILED,
    IDLE,
    IN_TRANSACTION,
    SELECTING,
    SHOW,
)
from lakebox.serving.pgwire.cursors import Cursors
from lakebox.serving.pgwire.results import Outcome
from lakebox.serving.pgwire.settings import (
    DEFAULT_SEARCH_PATH,
    SETTINGS,
    engine_settings,
    milliseconds,
    unquote,
)
from lakebox.serving.pgwire.sqltext import strip_comments
from lakebox.serving.queries import QueryService
from lakebox.serving.stream import QueryStream

logger = logging.getLogger(__name__)
# Schemas a search path may name; the rest are skipped, as PostgreSQL skips missing ones.
_KNOWN_SCHEMAS = (*ZONE_SCHEMAS, "main")


@dataclass
class Statement:
    """A parsed (prepared) statement: its SQL and the parameter types the client declared."""

    sql: str
    parameter_types: list[int]


class Session:
    """The state of one client connection; statements run on a cursor of its own, as the user
    `queries` is bound to (`QueryService.as_user`)."""

    def __init__(self, queries: QueryService, backend_pid: int, user: str) -> None:
        self.queries = queries
        self.backend_pid = backend_pid
        self.user = user
        self.status = IDLE
        self.settings = dict(SETTINGS, session_authorization=user)
        self.statements: dict[str, Statement] = {}
        self.running: QueryStream | None = None
        self._cancelled = threading.Event()
        self.declared = Cursors()
        self.cursor = queries.cursor()
        self.engine_settings = engine_settings(self.cursor)
        self.cursor.execute(f"SET VARIABLE lakebox_backend_pid = {int(backend_pid)}")
        self._shown = self._narrow(self.cursor)
        self.use_search_path(DEFAULT_SEARCH_PATH)

    # -- running ---------------------------------------------------------------------------

    def run(self, sql: str) -> Outcome:
        """Run one statement (parameters inlined already) and return its outcome."""
        text = strip_comments(sql).strip().rstrip(";").strip()
        if self.status == FAILED and not ENDS_TRANSACTION.match(text):
            raise QueryError(
                "current transaction is aborted, commands ignored until end of transaction block",
                hint="send ROLLBACK",
                sqlstate="25P02",
            )
        answered = commands.answering(text)
        if answered is not None:
            handler, match = answered
            return handler(self, match)
        return self.query(sql)

    def describe(self, sql: str) -> pa.Schema | None:
        """Return the columns `sql` would give (None for a command), reading no rows."""
        text = strip_comments(sql).strip().rstrip(";").strip()
        if SHOW.match(text):
            return self.run(sql).schema
        if commands.answering(text) is not None:
            return None
        probe = f"SELECT * FROM ({text}) LIMIT 0" if SELECTING.match(text) else text
        outcome = self.query(probe)
        if outcome.stream is not None:
            outcome.stream.close()
        return outcome.schema

    def cancel(self) -> None:
        """Interrupt the running query, if any (a client's CancelRequest)."""
        self._cancelled.set()
        running = self.running
        if running is not None:
            running.cancel()
        else:  # still starting: interrupt the cursor itself
            with contextlib.suppress(duckdb.Error):  # closed already (the server stopped)
                self.cursor.interrupt()

    def failed(self) -> None:
        """Note that a statement failed: an open transaction is now aborted."""
        if self.status == IN_TRANSACTION:
            self.status = FAILED

    def close(self) -> None:
        """Stop what runs and release the session's cursors."""
        running = self.running
        if running is not None:
            running.close()
        self.cancel()
        with contextlib.suppress(duckdb.Error):  # the reader database may be closed already
            self.declared.close("all")
            self.cursor.close()

    def query(self, sql: str) -> Outcome:
        """Return the outcome of `sql` run by the engine on the session's cursor."""
        stream = self.start(self.cursor, sql)
        recast = _as_text(sql, self.cursor.description or [])
        if recast is not None:  # DuckDB's Arrow drops TIMETZ offsets and BIT's form: ask again
            stream.close()
            stream = self.start(self.cursor, recast)
        self.running = stream
        return Outcome("SELECT", stream.schema, stream.batches(), stream)

    def start(self, cursor: duckdb.DuckDBPyConnection, sql: str) -> QueryStream:
        """Return the stream of `sql` started on `cursor` (catalog SQL rewritten first)."""
        runnable = rewrite.to_duckdb(sql) if rewrite.needs_rewrite(sql) else sql
        logger.debug("backend %d runs: %s", self.backend_pid, runnable)
        if cursor is self.cursor and self._shown is not None:
            tables = self.queries.relations.of(self.queries.lh)[0]
            if tables is not self._shown:  # the lakehouse's tables changed since
                self._shown = self._narrow(cursor)
        self._cancelled.clear()
        try:
            return self.queries.stream(cursor, runnable, timeout=self.statement_timeout())
        except QueryError as error:
            if self._cancelled.is_set() and not isinstance(error, QueryInterrupted):
                raise QueryInterrupted("the query was cancelled at the client's request") from None
            raise

    def statement_timeout(self) -> float | None:
        """Return the session's statement_timeout in seconds (None: the server's timeout;
        QueryService never lets it run longer than that)."""
        timeout = milliseconds(self.settings.get("statement_timeout", "0"))
        return timeout / 1000 if timeout else None

    def new_connection(self) -> duckdb.DuckDBPyConnection:
        """Return a new engine connection with this session's search path."""
        connection = self.queries.cursor()
        self._narrow(connection)
        path = self.cursor.execute("SELECT current_setting('search_path')").fetchone()
        connection.execute("SET search_path = ?", [path[0] if path else "main"])
        return connection

    def _narrow(self, cursor: duckdb.DuckDBPyConnection) -> object:
        """Let the catalog views on `cursor` list only what the user may read; return the
        lakehouse's tables that was worked out from (None: the user may read everything)."""
        principal = self.queries.principal
        if not principal.restricted:
            catalog.narrow(cursor, None)
            return None
        tables = self.queries.relations.of(self.queries.lh)[0]
        catalog.narrow(cursor, visible(principal, tables))
        return tables

    def use_search_path(self, value: str) -> None:
        """Point the cursor's search path at the known schemas `value` names (then main)."""
        names = [unquote(part.strip()) for part in value.split(",")]
        chosen = [name for name in names if name in _KNOWN_SCHEMAS]
        path = ",".join(dict.fromkeys([*chosen, "main"]))
        self.cursor.execute(f"SET search_path = '{path}'")


# DuckDB types whose Arrow form loses what PostgreSQL shows (TIMETZ's offset, BIT's digits):
# such columns are sent as DuckDB's text of them, which is PostgreSQL's
_TEXT_ONLY_TYPES = frozenset({"TIME WITH TIME ZONE", "BIT"})


def _as_text(sql: str, description: list[tuple[object, ...]]) -> str | None:
    """Return `sql` with its TIMETZ and BIT columns cast to VARCHAR, or None when it has
    none (or is not a plain query whose columns can be named one by one)."""
    names = [str(column[0]) for column in description]
    odd = [str(column[0]) for column in description if str(column[1]) in _TEXT_ONLY_TYPES]
    text = strip_comments(sql).strip().rstrip(";").strip()
    if not odd or len(set(names)) != len(names) or not SELECTING.match(text):
        return None
    quoted = ['"' + name.replace('"', '""') + '"' for name in odd]
    casts = ", ".join(f"CAST({name} AS VARCHAR) AS {name}" for name in quoted)
    return f"SELECT * REPLACE ({casts}) FROM ({text}) AS _lakebox_text"
