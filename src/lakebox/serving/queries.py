"""Running users' SQL for the serving endpoints: read-only (the allow-list of
`ground.readonly`), on connections of their own to the Lakehouse's reader database, side by
side up to the `serve.max_concurrent_queries` of lakebox.yaml, with a bounded wait beyond it,
a row limit, a byte limit and a timeout (each query is a `stream.QueryStream`)."""

from __future__ import annotations

import copy
import difflib
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import duckdb
import pyarrow as pa

from lakebox.access.audit import AuditEntry
from lakebox.access.control import AccessControl, access_control
from lakebox.access.entry import failure
from lakebox.access.principal import Principal
from lakebox.access.relations import AUDIT_NAME, Relations
from lakebox.access.secure import Secured, secure
from lakebox.catalog import TableRef
from lakebox.engine.values import python_rows
from lakebox.errors import AccessDenied, QueryError
from lakebox.ground.readonly import ensure_read_only
from lakebox.lakehouse import Lakehouse
from lakebox.serving.slots import query_slots
from lakebox.serving.stream import Limits, QueryStream

DEFAULT_ROW_LIMIT = 10_000
MAX_ROW_LIMIT = 1_000_000
DEFAULT_TIMEOUT = 30.0


@dataclass
class QueryResult:
    """A query's rows (at most the limits), whether more existed, and how long it took."""

    table: pa.Table
    truncated: bool
    seconds: float
    notice: str | None = None

    def rows(self) -> list[dict[str, Any]]:
        """Return the rows as Python dicts; values Python cannot hold (dates past year 9999,
        infinite timestamps) come as text."""
        return python_rows(self.table)


class QueryService:
    """Runs users' read-only SQL on one Lakehouse's reader database, several at once, as one
    user (`as_user`): their grants decide what the SQL may read, their masks and row filters
    what it sees, and each query is written to the audit log."""

    def __init__(
        self,
        lh: Lakehouse,
        row_limit: int = DEFAULT_ROW_LIMIT,
        timeout: float = DEFAULT_TIMEOUT,
        max_result_bytes: int | None = None,
    ) -> None:
        self.lh = lh
        self.row_limit = row_limit
        self.timeout = timeout
        self.max_result_bytes = max_result_bytes or lh.config.serve.max_result_bytes
        self.lock = lh.engine.lock  # lakebox's own (trusted) SQL; users' SQL does not take it
        self.slots = query_slots(lh)
        self.principal = Principal.local()
        self.door = "http"
        self.client: str | None = None
        self.relations = Relations()

    @property
    def access(self) -> AccessControl:
        """The project's users, sessions and audit log."""
        return access_control(self.lh)

    def as_user(self, principal: Principal, door: str, client: str | None = None) -> QueryService:
        """Return this service running queries as `principal`, coming through `door`."""
        bound = copy.copy(self)
        bound.principal, bound.door, bound.client = principal, door, client
        return bound

    def run(
        self,
        sql: str,
        limit: int | None = None,
        timeout: float | None = None,
        parameters: dict[str, object] | None = None,
        *,
        ability: str | None = "query",
        action: str = "query",
    ) -> QueryResult:
        """Return at most `limit` rows of read-only `sql`, interrupted after `timeout` s;
        `parameters` are bound to its `$name` placeholders (never pasted into the SQL).
        `ability` is what the user needs besides reading the tables (their own SQL needs
        `query`; None for SQL lakebox wrote, e.g. a table's rows or a dashboard's chart)."""
        rows, seconds = self._limits(limit, timeout)
        started = time.monotonic()
        cursor = self.cursor()
        try:
            checked = self.check(sql, ability, cursor, action)
            # on lines of their own, so that a trailing -- comment ends before the ")"
            wrapped = f"SELECT * FROM (\n{checked.sql}\n) LIMIT {rows + 1}"
            stream = self._start(cursor, wrapped, rows, seconds, parameters)
            table = pa.Table.from_batches(list(stream.batches()), schema=stream.schema)
        except QueryError as error:
            if not isinstance(error, AccessDenied):
                self._audit(action, None, None, started, "failed", failure(error))
            raise
        finally:
            cursor.close()
        elapsed = time.monotonic() - started
        self._audit(action, checked, table.num_rows, started)
        return QueryResult(table, stream.truncated, elapsed, stream.notice)

    def check(
        self,
        sql: str,
        ability: str | None = "query",
        cursor: duckdb.DuckDBPyConnection | None = None,
        action: str = "query",
    ) -> Secured:
        """Return `sql` as this user may run it (read-only, allowed functions and files, only
        granted tables, masked and filtered), or raise QueryError or AccessDenied (audited)."""
        started = time.monotonic()
        try:
            if ability is not None and not self.principal.can(ability):
                raise AccessDenied(
                    f"{self.principal.name} may not {_ABILITY_WORDS.get(ability, ability)}: "
                    f"no grant of {ability!r} in their roles ({', '.join(self.principal.roles)})",
                    hint="an admin can grant it under access.roles (can: [...]) in lakebox.yaml",
                )
            restricted = self.principal.restricted
            places = [] if restricted else self.lh.readable_places()
            checked = ensure_read_only(sql, places)
            tables, reserved, path = self.relations.of(self.lh, cursor)
            if restricted:
                self._prepare()
            return secure(checked, self.principal, tables, path, reserved, self.door == "pg")
        except AccessDenied as error:
            refused = error.fields.get("table")
            checked = Secured(sql, {str(refused): []}) if refused else None
            self._audit(action, checked, None, started, "refused", error.message)
            raise

    def _prepare(self) -> None:
        with self.lh.reading() as reader:
            self.access.prepare(reader.connection)

    def _audit(
        self,
        action: str,
        checked: Secured | None,
        rows: int | None,
        started: float,
        outcome: str = "ok",
        detail: str | None = None,
    ) -> None:
        reads = checked.reads if checked is not None else {}
        columns = [f"{table}.{column}" for table, names in reads.items() for column in names]
        self.access.record(
            AuditEntry(
                self.principal.name,
                self.door,
                action,
                tables=list(reads),
                columns=columns,
                rows=rows,
                duration_ms=round((time.monotonic() - started) * 1000, 3),
                client=self.client,
                outcome=outcome,
                detail=detail,
            )
        )

    def catalog(self, sql: str, parameters: list[object] | None = None) -> pa.Table:
        """Run lakebox's own (trusted) SQL, e.g. for listing tables, on lakebox's engine."""
        with self.lock:
            self.lh.refresh(manifest=True)
            return self.lh.engine.arrow(sql, parameters)

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """Return a connection of its own to the reader database (one per client session, or
        per HTTP query): its queries run beside others' and can be interrupted alone."""
        with self.lh.reading() as reader:
            cursor = reader.connection.cursor()
        cursor.execute("SET search_path = 'main,exploitation'")
        return cursor

    def stream(
        self,
        cursor: duckdb.DuckDBPyConnection,
        sql: str,
        limit: int | None = None,
        timeout: float | None = None,
        *,
        ability: str | None = "query",
        action: str = "query",
    ) -> QueryStream:
        """Start read-only `sql` on `cursor` (from `cursor()`) and return its batches' stream:
        at most `limit` rows and the byte limit, interrupted after `timeout` s. It holds a
        query slot until it is read to its end, closed or timed out; then it is audited."""
        started = time.monotonic()
        checked = self.check(sql, ability, cursor, action)
        rows, seconds = self._limits(limit, timeout)
        stream = self._start(cursor, checked.sql, rows, seconds)
        stream.on_end = lambda ended: self._audit(action, checked, ended.sent, started)
        return stream

    def _limits(self, limit: int | None, timeout: float | None) -> tuple[int, float]:
        rows = max(1, min(limit or self.row_limit, MAX_ROW_LIMIT))
        seconds = min(timeout or self.timeout, self.timeout) if timeout else self.timeout
        return rows, seconds

    def _start(
        self,
        cursor: duckdb.DuckDBPyConnection,
        sql: str,
        rows: int,
        seconds: float,
        parameters: dict[str, object] | None = None,
    ) -> QueryStream:
        release = self.slots.acquire()
        try:
            self.lh.reader()  # the views follow the tables' current snapshots
            if "manifest" in sql.lower():
                cursor.register("_lakebox_manifest", self.lh.manifest_arrow())
            if "audit" in sql.lower():
                cursor.register(AUDIT_NAME, self.access.audit.arrow())
            limits = Limits(rows, seconds, self.max_result_bytes)
            return QueryStream(cursor, sql, limits, parameters, release)
        except QueryError as error:
            release()
            raise explain_missing_table(error, self.lh.metadata_locations()) from None
        except BaseException:
            release()
            raise


_ABILITY_WORDS = {
    "query": "write their own SQL",
    "sandboxes": "use sandboxes",
    "train": "train models",
    "runs": "start runs",
    "admin": "administer the project",
}
_MISSING_TABLE = re.compile(r'Table with name "?([^"\s!]+)"? does not exist')


def explain_missing_table(error: QueryError, tables: Iterable[TableRef]) -> QueryError:
    """Return `error` with the lakebox tables whose name matches an unknown table's as its
    hint (DuckDB suggests names of its own catalogs instead), else `error` itself."""
    match = _MISSING_TABLE.search(error.message)
    if match is None:
        return error
    name = match.group(1).rsplit(".", 1)[-1].lower()
    known = sorted(tables, key=lambda ref: ref.identifier)
    alike = [ref.identifier for ref in known if ref.name.lower() == name]
    if not alike:
        close = set(difflib.get_close_matches(name, [ref.name.lower() for ref in known], 3))
        alike = [ref.identifier for ref in known if ref.name.lower() in close]
    lines = [line for line in error.message.splitlines() if not line.startswith("Did you mean")]
    hint = (
        f"did you mean {' or '.join(alike)}? lakebox tables are named zone.table"
        if alike
        else "list the tables with SHOW ALL TABLES (or 'lakebox tables')"
    )
    fields = {key: value for key, value in error.fields.items() if key != "hint"}
    return QueryError("\n".join(lines).strip(), hint=hint, **fields)
