"""The statements a session answers itself, without the engine: transactions (BEGIN, COMMIT,
…), settings (SET, RESET, SHOW, DISCARD), prepared statements (DEALLOCATE) and SQL cursors
(DECLARE, FETCH, CLOSE)."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import TYPE_CHECKING

import pyarrow as pa

from lakebox.errors import QueryError
from lakebox.serving.pgwire.results import Outcome
from lakebox.serving.pgwire.settings import (
    CLIENT_SETTINGS,
    DEFAULT_SEARCH_PATH,
    SETTINGS,
    SHOW_ALIASES,
    milliseconds,
    unquote,
)

if TYPE_CHECKING:
    from lakebox.serving.pgwire.session import Session

logger = logging.getLogger(__name__)
Handler = Callable[["Session", re.Match[str]], Outcome]
# a session's transaction status, as ReadyForQuery reports it
IDLE, IN_TRANSACTION, FAILED = b"I", b"T", b"E"

_FLAGS = re.IGNORECASE | re.DOTALL
_BEGIN = re.compile(r"^(?:BEGIN|START\s+TRANSACTION)\b", _FLAGS)
ENDS_TRANSACTION = re.compile(
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
SHOW = re.compile(r"^SHOW\s+([\w.]+(?:\s+[\w.]+)*)\s*$", _FLAGS)
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
SELECTING = re.compile(r"^(?:SELECT|WITH|VALUES|FROM|TABLE|\()", _FLAGS)


def answering(text: str) -> tuple[Handler, re.Match[str]] | None:
    """Return the handler of a statement answered here, and its match (None: the engine's)."""
    for pattern, handler in _LOCAL:
        match = pattern.match(text)
        if match:
            return handler, match
    return None


def _begin(session: Session, match: re.Match[str]) -> Outcome:
    session.status = IN_TRANSACTION if session.status == IDLE else session.status
    return Outcome("BEGIN")


def _end(session: Session, match: re.Match[str]) -> Outcome:
    word = match.group(1).upper()
    if match.group(2):  # ROLLBACK TO SAVEPOINT: the transaction goes on
        session.status = IN_TRANSACTION if session.status != IDLE else IDLE
        return Outcome("ROLLBACK")
    failed = session.status == FAILED
    session.status = IDLE
    session.declared.end_of_transaction()
    committing = word in ("COMMIT", "END")
    return Outcome("COMMIT" if committing and not failed else "ROLLBACK")


def _set(session: Session, match: re.Match[str]) -> Outcome:
    name = (match.group("name") or "timezone").lower()
    value = match.group("value").strip()
    if name in session.engine_settings and name not in CLIENT_SETTINGS:
        raise QueryError(
            f'cannot change setting "{name}" here',
            hint="the engine's settings are the server's (lakebox.yaml), not a client's",
            sqlstate="55P02",
        )
    if value.upper() == "DEFAULT":  # SET x TO DEFAULT: as RESET x
        value = SETTINGS.get(name, "")
    if name == "statement_timeout":
        milliseconds(unquote(value))  # refuses what is not a time
    if name == "search_path":
        session.use_search_path(value)
    elif name == "timezone" and unquote(value).upper() not in ("UTC", "'UTC'", "GMT", "Z"):
        logger.debug("TimeZone %s asked; lakebox answers in UTC", value)
    session.settings[name] = unquote(value) if name != "search_path" else value
    return Outcome("SET")


def _reset(session: Session, match: re.Match[str]) -> Outcome:
    name = match.group(1).lower()
    names = list(SETTINGS) if name == "all" else [name]
    for each in names:
        session.settings[each] = SETTINGS.get(each, "")
    if "search_path" in names:
        session.use_search_path(DEFAULT_SEARCH_PATH)
    return Outcome("RESET")


def _show(session: Session, match: re.Match[str]) -> Outcome:
    asked = " ".join(match.group(1).lower().split())
    name = SHOW_ALIASES.get(asked, asked)
    if name == "all":
        rows = sorted(session.settings.items())
        table = pa.table({"name": [r[0] for r in rows], "setting": [r[1] for r in rows]})
    elif name in session.settings:
        table = pa.table({name: [session.settings[name]]})
    else:
        return session.query(match.group(0))  # DuckDB's SHOW TABLES and the like
    return Outcome("SHOW", table.schema, iter(table.to_batches()))


def _declare(session: Session, match: re.Match[str]) -> Outcome:
    name, hold = unquote(match.group("name")), bool(match.group("hold"))
    query = match.group("query")
    session.declared.declare(
        name, hold, session.new_connection, lambda connection: session.start(connection, query)
    )
    return Outcome("DECLARE CURSOR")


def _fetch(session: Session, match: re.Match[str]) -> Outcome:
    cursor = session.declared.get(unquote(match.group("name")))
    how_many = (match.group("count") or "1").upper()
    batches = cursor.fetch(None if how_many == "ALL" else int(how_many))
    return Outcome("FETCH", cursor.stream.schema, iter(batches))


def _close_cursor(session: Session, match: re.Match[str]) -> Outcome:
    session.declared.close(unquote(match.group(1)))
    return Outcome("CLOSE CURSOR")


def _discard(session: Session, match: re.Match[str]) -> Outcome:
    session.declared.close("all")
    session.settings = dict(SETTINGS, session_authorization=session.user)
    session.statements.clear()
    session.use_search_path(DEFAULT_SEARCH_PATH)
    return Outcome("DISCARD ALL")


def _deallocate(session: Session, match: re.Match[str]) -> Outcome:
    name = unquote(match.group(1))
    if name.lower() == "all":
        session.statements.clear()
        return Outcome("DEALLOCATE ALL")
    session.statements.pop(name, None)
    return Outcome("DEALLOCATE")


_LOCAL: tuple[tuple[re.Pattern[str], Handler], ...] = (
    (_BEGIN, _begin),
    (ENDS_TRANSACTION, _end),
    (_SAVEPOINT, lambda session, match: Outcome(match.group(1).upper())),
    (_SET_TRANSACTION, lambda session, match: Outcome("SET")),
    (_SET, _set),
    (_ANY_SET, lambda session, match: Outcome("SET")),  # SET NAMES, SET SESSION AUTHORIZATION
    (_RESET, _reset),
    (SHOW, _show),
    (_DISCARD, _discard),
    (_DEALLOCATE, _deallocate),
    (_UNLISTEN, lambda session, match: Outcome("UNLISTEN")),
    (_DECLARE, _declare),
    (_FETCH, _fetch),
    (_CLOSE, _close_cursor),
)
