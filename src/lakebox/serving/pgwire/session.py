"""One client's session: its settings, search path and transaction state, the statements
answered locally (SET, SHOW, BEGIN, …) and the read-only queries sent to the engine."""

from __future__ import annotations

import contextlib
import logging
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import duckdb
import pyarrow as pa

from lakebox.errors import LakeboxError, QueryError, QueryInterrupted
from lakebox.lakehouse import ZONE_SCHEMAS
from lakebox.serving.pgwire import rewrite
from lakebox.serving.pgwire.cursors import Cursors
from lakebox.serving.pgwire.sqltext import strip_comments
from lakebox.serving.queries import QueryService
from lakebox.serving.stream import QueryStream

logger = logging.getLogger(__name__)
IDLE, IN_TRANSACTION, FAILED = b"I", b"T", b"E"
DEFAULT_SEARCH_PATH = "exploitation"
SERVER_VERSION = "15.0 (lakebox)"

# Reported to the client at start-up (ParameterStatus) and answered by SHOW.
REPORTED: dict[str, str] = {
    "server_version": SERVER_VERSION,
    "server_encoding": "UTF8",
    "client_encoding": "UTF8",
    "DateStyle": "ISO, MDY",
    "IntervalStyle": "postgres",
    "integer_datetimes": "on",
    "standard_conforming_strings": "on",
    "TimeZone": "UTC",
    "is_superuser": "off",
    "default_transaction_read_only": "on",
    "in_hot_standby": "off",
}
SETTINGS: dict[str, str] = {
    **{name.lower(): value for name, value in REPORTED.items()},
    "server_version_num": "150000",
    "search_path": DEFAULT_SEARCH_PATH,
    "transaction_isolation": "read committed",
    "default_transaction_isolation": "read committed",
    "transaction_read_only": "on",
    "max_identifier_length": "63",
    "lc_collate": "C",
    "lc_ctype": "C",
    "statement_timeout": "0",
    "application_name": "",
    "extra_float_digits": "1",
    "max_index_keys": "32",
    "block_size": "8192",
    "default_table_access_method": "heap",
    "max_connections": "100",
    "server_encoding": "UTF8",
}
# PostgreSQL settings clients and BI tools send that change nothing here (or, for
# statement_timeout and search_path, what lakebox honours): SET accepts them and SHOW echoes them.
# A DuckDB setting not among them (threads, enable_external_access, …) is refused: the engine's
# settings are the server's, never a client's.
CLIENT_SETTINGS = frozenset(
    {
        *SETTINGS,
        "timezone",
        "client_min_messages",
        "bytea_output",
        "lock_timeout",
        "idle_in_transaction_session_timeout",
        "idle_session_timeout",
        "jit",
        "session_authorization",
        "role",
        "names",
        "row_security",
        "xmloption",
        "xmlbinary",
        "timezone_abbreviations",
    }
)
# PostgreSQL's units of a time setting, in milliseconds (a bare number is milliseconds)
_TIME_UNITS = {"us": 0.001, "ms": 1, "s": 1000, "min": 60_000, "h": 3_600_000, "d": 86_400_000}
_TIME_VALUE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(us|ms|s|min|h|d)?\s*$")
_SHOW_ALIASES = {
    "transaction isolation level": "transaction_isolation",
    "time zone": "timezone",
    "session authorization": "session_authorization",
}
# Schemas a search path may name; the rest are skipped, as PostgreSQL skips missing ones.
_KNOWN_SCHEMAS = (*ZONE_SCHEMAS, "main")


@dataclass
class Outcome:
    """What a statement gave: its command tag and, for a query, its rows as batches."""

    tag: str
    schema: pa.Schema | None = None
    batches: Iterator[pa.RecordBatch] = field(default_factory=lambda: iter(()))
    stream: QueryStream | None = None


@dataclass
class Statement:
    """A parsed (prepared) statement: its SQL and the parameter types the client declared."""

    sql: str
    parameter_types: list[int]


class Session:
    """The state of one client connection; statements run on a cursor of its own."""

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
        self.engine_settings = _engine_settings(self.cursor)
        self.cursor.execute(f"SET VARIABLE lakebox_backend_pid = {int(backend_pid)}")
        self._use_search_path(DEFAULT_SEARCH_PATH)

    # -- running ---------------------------------------------------------------------------

    def run(self, sql: str) -> Outcome:
        """Run one statement (parameters inlined already) and return its outcome."""
        text = strip_comments(sql).strip().rstrip(";").strip()
        if self.status == FAILED and not _ENDS_TRANSACTION.match(text):
            raise QueryError(
                "current transaction is aborted, commands ignored until end of transaction block",
                hint="send ROLLBACK",
                sqlstate="25P02",
            )
        for pattern, handler in self._local():
            match = pattern.match(text)
            if match:
                return handler(match)
        return self._query(sql)

    def describe(self, sql: str) -> pa.Schema | None:
        """Return the columns `sql` would give (None for a command), reading no rows."""
        text = strip_comments(sql).strip().rstrip(";").strip()
        if _SHOW.match(text):
            return self.run(sql).schema
        if any(pattern.match(text) for pattern, _ in self._local()):
            return None
        probe = f"SELECT * FROM ({text}) LIMIT 0" if _SELECTING.match(text) else text
        outcome = self._query(probe)
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

    def _query(self, sql: str) -> Outcome:
        stream = self._start(self.cursor, sql)
        recast = _as_text(sql, self.cursor.description or [])
        if recast is not None:  # DuckDB's Arrow drops TIMETZ offsets and BIT's form: ask again
            stream.close()
            stream = self._start(self.cursor, recast)
        self.running = stream
        return Outcome("SELECT", stream.schema, stream.batches(), stream)

    def _start(self, cursor: duckdb.DuckDBPyConnection, sql: str) -> QueryStream:
        runnable = rewrite.to_duckdb(sql) if rewrite.needs_rewrite(sql) else sql
        logger.debug("backend %d runs: %s", self.backend_pid, runnable)
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
        milliseconds = _milliseconds(self.settings.get("statement_timeout", "0"))
        return milliseconds / 1000 if milliseconds else None

    def _connection(self) -> duckdb.DuckDBPyConnection:
        """Return a new engine connection with this session's search path."""
        connection = self.queries.cursor()
        path = self.cursor.execute("SELECT current_setting('search_path')").fetchone()
        connection.execute("SET search_path = ?", [path[0] if path else "main"])
        return connection

    # -- statements answered locally -------------------------------------------------------

    def _local(self) -> tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], Outcome]], ...]:
        return (
            (_BEGIN, self._begin),
            (_ENDS_TRANSACTION, self._end),
            (_SAVEPOINT, lambda match: Outcome(match.group(1).upper())),
            (_SET_TRANSACTION, lambda match: Outcome("SET")),
            (_SET, self._set),
            (_ANY_SET, lambda match: Outcome("SET")),  # SET NAMES, SET SESSION AUTHORIZATION
            (_RESET, self._reset),
            (_SHOW, self._show),
            (_DISCARD, self._discard),
            (_DEALLOCATE, self._deallocate),
            (_UNLISTEN, lambda match: Outcome("UNLISTEN")),
            (_DECLARE, self._declare),
            (_FETCH, self._fetch),
            (_CLOSE, self._close_cursor),
        )

    def _begin(self, match: re.Match[str]) -> Outcome:
        self.status = IN_TRANSACTION if self.status == IDLE else self.status
        return Outcome("BEGIN")

    def _end(self, match: re.Match[str]) -> Outcome:
        word = match.group(1).upper()
        if match.group(2):  # ROLLBACK TO SAVEPOINT: the transaction goes on
            self.status = IN_TRANSACTION if self.status != IDLE else IDLE
            return Outcome("ROLLBACK")
        failed = self.status == FAILED
        self.status = IDLE
        self.declared.end_of_transaction()
        committing = word in ("COMMIT", "END")
        return Outcome("COMMIT" if committing and not failed else "ROLLBACK")

    def _set(self, match: re.Match[str]) -> Outcome:
        name = (match.group("name") or "timezone").lower()
        value = match.group("value").strip()
        if name in self.engine_settings and name not in CLIENT_SETTINGS:
            raise QueryError(
                f'cannot change setting "{name}" here',
                hint="the engine's settings are the server's (lakebox.yaml), not a client's",
                sqlstate="55P02",
            )
        if value.upper() == "DEFAULT":  # SET x TO DEFAULT: as RESET x
            value = SETTINGS.get(name, "")
        if name == "statement_timeout":
            _milliseconds(_unquote(value))  # refuses what is not a time
        if name == "search_path":
            self._use_search_path(value)
        elif name == "timezone" and _unquote(value).upper() not in ("UTC", "'UTC'", "GMT", "Z"):
            logger.debug("TimeZone %s asked; lakebox answers in UTC", value)
        self.settings[name] = _unquote(value) if name != "search_path" else value
        return Outcome("SET")

    def _reset(self, match: re.Match[str]) -> Outcome:
        name = match.group(1).lower()
        names = list(SETTINGS) if name == "all" else [name]
        for each in names:
            self.settings[each] = SETTINGS.get(each, "")
        if "search_path" in names:
            self._use_search_path(DEFAULT_SEARCH_PATH)
        return Outcome("RESET")

    def _show(self, match: re.Match[str]) -> Outcome:
        asked = " ".join(match.group(1).lower().split())
        name = _SHOW_ALIASES.get(asked, asked)
        if name == "all":
            rows = sorted(self.settings.items())
            table = pa.table({"name": [r[0] for r in rows], "setting": [r[1] for r in rows]})
        elif name in self.settings:
            table = pa.table({name: [self.settings[name]]})
        else:
            return self._query(match.group(0))  # DuckDB's SHOW TABLES and the like
        return Outcome("SHOW", table.schema, iter(table.to_batches()))

    def _declare(self, match: re.Match[str]) -> Outcome:
        name, hold = _unquote(match.group("name")), bool(match.group("hold"))
        query = match.group("query")
        self.declared.declare(
            name, hold, self._connection, lambda connection: self._start(connection, query)
        )
        return Outcome("DECLARE CURSOR")

    def _fetch(self, match: re.Match[str]) -> Outcome:
        cursor = self.declared.get(_unquote(match.group("name")))
        how_many = (match.group("count") or "1").upper()
        batches = cursor.fetch(None if how_many == "ALL" else int(how_many))
        return Outcome("FETCH", cursor.stream.schema, iter(batches))

    def _close_cursor(self, match: re.Match[str]) -> Outcome:
        self.declared.close(_unquote(match.group(1)))
        return Outcome("CLOSE CURSOR")

    def _discard(self, match: re.Match[str]) -> Outcome:
        self.declared.close("all")
        self.settings = dict(SETTINGS, session_authorization=self.user)
        self.statements.clear()
        self._use_search_path(DEFAULT_SEARCH_PATH)
        return Outcome("DISCARD ALL")

    def _deallocate(self, match: re.Match[str]) -> Outcome:
        name = _unquote(match.group(1))
        if name.lower() == "all":
            self.statements.clear()
            return Outcome("DEALLOCATE ALL")
        self.statements.pop(name, None)
        return Outcome("DEALLOCATE")

    def _use_search_path(self, value: str) -> None:
        names = [_unquote(part.strip()) for part in value.split(",")]
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
    if not odd or len(set(names)) != len(names) or not _SELECTING.match(text):
        return None
    quoted = ['"' + name.replace('"', '""') + '"' for name in odd]
    casts = ", ".join(f"CAST({name} AS VARCHAR) AS {name}" for name in quoted)
    return f"SELECT * REPLACE ({casts}) FROM ({text}) AS _lakebox_text"


_ENGINE_SETTINGS: frozenset[str] | None = None


def _engine_settings(cursor: duckdb.DuckDBPyConnection) -> frozenset[str]:
    """Return the names (and aliases) of DuckDB's settings, lower case, read once."""
    global _ENGINE_SETTINGS
    if _ENGINE_SETTINGS is None:
        rows = cursor.execute("SELECT name, aliases FROM duckdb_settings()").fetchall()
        names = [each for name, aliases in rows for each in (name, *(aliases or ()))]
        _ENGINE_SETTINGS = frozenset(name.lower() for name in names)
    return _ENGINE_SETTINGS


def _milliseconds(value: str) -> float:
    """Return a PostgreSQL time setting ('8s', '500ms', '1min', '2000': milliseconds) in
    milliseconds, or raise QueryError (22023) for anything else."""
    match = _TIME_VALUE.match(value.strip("'\""))
    if match is None:
        raise QueryError(
            f'invalid value for parameter "statement_timeout": "{value}"',
            hint='valid units for this parameter are "us", "ms", "s", "min", "h", and "d"',
            sqlstate="22023",
        )
    return float(match.group(1)) * _TIME_UNITS[match.group(2) or "ms"]


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1].replace(value[0] * 2, value[0])
    return value


def sqlstate(error: LakeboxError) -> str:
    """Return the SQLSTATE a client gets for `error`."""
    given = error.fields.get("sqlstate")
    if isinstance(given, str):
        return given
    if isinstance(error, QueryInterrupted):
        return "57014"
    message = error.message
    if message.startswith("only reading statements"):
        return "25006"
    if message.startswith(("the SQL does not parse", "send one statement")):
        return "42601"
    kind = error.fields.get("kind", "")
    if kind == "ParserException":
        return "42601"
    if kind == "CatalogException" and "does not exist" in message:
        return "42883" if "Function" in message else "42P01"
    if kind == "BinderException" and "not found" in message:
        return "42703"
    return _BY_KIND.get(str(kind), "XX000")


_BY_KIND = {
    "ConversionException": "22P02",
    "OutOfRangeException": "22003",
    "PermissionException": "42501",
    "InterruptException": "57014",
}


_FLAGS = re.IGNORECASE | re.DOTALL
_BEGIN = re.compile(r"^(?:BEGIN|START\s+TRANSACTION)\b", _FLAGS)
_ENDS_TRANSACTION = re.compile(
    r"^(COMMIT|END|ROLLBACK|ABORT)\b(?:\s+(?:WORK|TRANSACTION))?(\s+TO\b.*)?$", _FLAGS
)
_SAVEPOINT = re.compile(r"^(SAVEPOINT|RELEASE)\b", _FLAGS)
_SET_TRANSACTION = re.compile(r"^SET\s+(?:SESSION\s+CHARACTERISTICS|TRANSACTION)\b", _FLAGS)
_SET = re.compile(
    r"^SET\s+(?:SESSION\s+|LOCAL\s+|GLOBAL\s+)?(?:(?P<name>[\w.]+)\s*(?:=|\bTO\b)|TIME\s+ZONE\b)"
    r"\s*(?P<value>.*)$",
    _FLAGS,
)
_ANY_SET = re.compile(r"^SET\b", _FLAGS)
_RESET = re.compile(r"^RESET\s+([\w.]+)\s*$", _FLAGS)
_SHOW = re.compile(r"^SHOW\s+([\w.]+(?:\s+[\w.]+)*)\s*$", _FLAGS)
_DISCARD = re.compile(r"^DISCARD\s+ALL\s*$", _FLAGS)
_DEALLOCATE = re.compile(r"^DEALLOCATE\s+(?:PREPARE\s+)?(\S+)\s*$", _FLAGS)
_UNLISTEN = re.compile(r"^UNLISTEN\b", _FLAGS)
_DECLARE = re.compile(
    r"^DECLARE\s+(?P<name>\S+)\s+(?:BINARY\s+)?(?:ASENSITIVE\s+|INSENSITIVE\s+)?"
    r"(?:NO\s+SCROLL\s+|SCROLL\s+)?CURSOR\s+(?:(?P<hold>WITH\s+HOLD)\s+|WITHOUT\s+HOLD\s+)?"
    r"FOR\s+(?P<query>.+)$",
    _FLAGS,
)
_FETCH = re.compile(
    r"^FETCH\s+(?:(?:FORWARD|NEXT)\s+)?(?P<count>ALL|\d+)?\s*(?:FROM\s+|IN\s+)?(?P<name>\S+)$",
    _FLAGS,
)
_CLOSE = re.compile(r"^CLOSE\s+(\S+)$", _FLAGS)
_SELECTING = re.compile(r"^(?:SELECT|WITH|VALUES|FROM|TABLE|\()", _FLAGS)
