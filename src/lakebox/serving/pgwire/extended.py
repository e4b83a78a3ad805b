"""The extended query protocol: Parse, Bind, Describe, Execute and Close, with the prepared
statements they name (kept by the session) and the portals they open (kept here)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lakebox.errors import QueryError
from lakebox.serving.pgwire import messages as m
from lakebox.serving.pgwire import sqltext, types
from lakebox.serving.pgwire.binary_format import decode_binary_parameter
from lakebox.serving.pgwire.messages import Cursor, Message, ProtocolViolation
from lakebox.serving.pgwire.portals import Portal, stream
from lakebox.serving.pgwire.results import Outcome, ResultEncoder
from lakebox.serving.pgwire.session import Session, Statement

if TYPE_CHECKING:
    from lakebox.serving.pgwire.connection import Connection


class ExtendedQuery:
    """Answers one connection's extended-protocol messages."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.portals: dict[str, Portal] = {}

    @property
    def session(self) -> Session:
        session = self.connection.session
        assert session is not None
        return session

    def parse(self, message: Message) -> None:
        """Parse: keep a prepared statement, named or not."""
        body = Cursor(message.body)
        name, sql = body.cstring(), body.cstring()
        parameter_types = body.int32s(body.int16())
        if name and name in self.session.statements:
            raise QueryError(f'prepared statement "{name}" already exists', sqlstate="42P05")
        self.session.statements[name] = Statement(sql, parameter_types)
        self.connection.send(m.PARSE_COMPLETE)

    def bind(self, message: Message) -> None:
        """Bind: open a portal on a prepared statement with its parameters' values."""
        body = Cursor(message.body)
        portal_name, statement_name = body.cstring(), body.cstring()
        statement = self._statement(statement_name)
        formats = body.int16s()
        values = []
        for _ in range(body.int16()):
            length = body.int32()
            values.append(None if length < 0 else body.take(length))
        literals = _literals(statement, formats, values)
        sql = sqltext.inline_parameters(statement.sql, literals) if literals else statement.sql
        self.drop(portal_name)
        self.portals[portal_name] = Portal(sql, body.int16s())
        self.connection.send(m.BIND_COMPLETE)

    def drop(self, name: str) -> None:
        """Close portal `name`, if there is one."""
        portal = self.portals.pop(name, None)
        if portal is not None:
            portal.close()

    def drop_all(self) -> None:
        """Close every portal (the client left)."""
        for name in list(self.portals):
            self.drop(name)

    def _statement(self, name: str) -> Statement:
        statement = self.session.statements.get(name)
        if statement is None:
            raise QueryError(f'prepared statement "{name}" does not exist', sqlstate="26000")
        return statement

    def describe(self, message: Message) -> None:
        """Describe: a statement's parameter types and columns, or a portal's columns."""
        body = Cursor(message.body)
        kind, name = _subtype(body, "DESCRIBE"), body.cstring()
        if kind == b"S":
            self._describe_statement(name)
            return
        declared = self.session.declared.open.get(name)
        if declared is not None and name not in self.portals:  # a SQL cursor, as psycopg asks
            fields = ResultEncoder(declared.stream.schema).fields()
            self.connection.send(m.row_description(fields))
            return
        portal = self._portal(name)
        self._start(portal)
        encoder = portal.encoder
        self.connection.send(
            m.row_description(encoder.fields()) if encoder is not None else m.NO_DATA
        )

    def _describe_statement(self, name: str) -> None:
        statement = self._statement(name)
        count = max(len(statement.parameter_types), sqltext.parameter_count(statement.sql))
        declared = statement.parameter_types + [0] * count
        oids = [oid or types.TEXT for oid in declared[:count]]
        self.connection.send(m.parameter_description(oids))
        probe = sqltext.inline_parameters(statement.sql, ["NULL"] * count)
        self.buffer_suspended()
        schema = self.session.describe(probe)
        self.connection.send(
            m.row_description(ResultEncoder(schema).fields()) if schema is not None else m.NO_DATA
        )

    def _portal(self, name: str) -> Portal:
        portal = self.portals.get(name)
        if portal is None:
            raise QueryError(f'portal "{name}" does not exist', sqlstate="34000")
        return portal

    def _start(self, portal: Portal) -> None:
        if portal.outcome is not None:
            return
        statements = sqltext.split_statements(portal.sql)
        if not statements:
            portal.outcome = Outcome("")
            return
        if len(statements) > 1:
            raise QueryError(
                "cannot insert multiple commands into a prepared statement",
                hint="send them one by one, or as one simple query",
                sqlstate="42601",
            )
        self.buffer_suspended()
        portal.outcome = self.session.run(portal.sql)
        if portal.outcome.schema is not None:
            portal.encoder = ResultEncoder(portal.outcome.schema, portal.formats)

    def execute(self, message: Message) -> None:
        """Execute: run a portal, sending all its rows or the number asked for."""
        body = Cursor(message.body)
        portal = self._portal(body.cstring())
        limit = body.int32()
        self._start(portal)
        assert portal.outcome is not None
        if portal.outcome.tag == "":
            self.connection.send(m.EMPTY_QUERY)
            return
        stream(portal, limit, self.session, self.connection.send)

    def buffer_suspended(self) -> None:
        """Read suspended portals' rows into memory, so the session's cursor can run anew."""
        for portal in self.portals.values():
            portal.buffer()

    def close(self, message: Message) -> None:
        """Close: forget a prepared statement, or close a portal."""
        body = Cursor(message.body)
        kind, name = _subtype(body, "CLOSE"), body.cstring()
        if kind == b"S":
            self.session.statements.pop(name, None)
        else:
            self.drop(name)
        self.connection.send(m.CLOSE_COMPLETE)


def _subtype(body: Cursor, what: str) -> bytes:
    """Return the S (statement) or P (portal) of a Describe or Close message."""
    kind = body.take(1)
    if kind not in (b"S", b"P"):
        raise ProtocolViolation(f"invalid {what} message subtype {kind[0]}")
    return kind


def _literals(statement: Statement, formats: list[int], values: list[bytes | None]) -> list[str]:
    """Return the bound values as SQL literals, decoded by their declared types."""
    literals = []
    for index, value in enumerate(values):
        oid = statement.parameter_types[index] if index < len(statement.parameter_types) else 0
        binary = (formats[index] if len(formats) > 1 else (formats[0] if formats else 0)) == 1
        if value is None:
            literals.append("NULL")
        elif binary:
            literals.append(sqltext.literal(decode_binary_parameter(oid, value), oid))
        else:
            literals.append(sqltext.literal(m.utf8(value), oid))
    return literals
