"""Statements split and parameters inlined without touching quoted text."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from lakebox.errors import QueryError
from lakebox.serving.pgwire import types
from lakebox.serving.pgwire.sqltext import (
    inline_parameters,
    literal,
    parameter_count,
    split_statements,
)


def test_statements_split_outside_quotes_and_comments():
    sql = "BEGIN; SELECT ';' AS \"a;b\" -- c;d\n; /* x; */ ; SELECT $$e;f$$;"
    assert split_statements(sql) == ["BEGIN", "SELECT ';' AS \"a;b\" -- c;d", "SELECT $$e;f$$"]
    assert split_statements(" ; -- nothing\n") == []


def test_parameters_are_inlined_outside_quotes():
    assert parameter_count("SELECT $1, '$7', $12") == 12
    assert inline_parameters("SELECT $1, '$2', $2", ["1", "'x'"]) == "SELECT 1, '$2', 'x'"
    with pytest.raises(QueryError, match=r"no parameter \$3"):
        inline_parameters("SELECT $3", ["1"])


@pytest.mark.parametrize(
    ("value", "oid", "expected"),
    [
        (None, types.INT4, "NULL"),
        ("it's", 0, "'it''s'"),
        ("42", types.INT8, "42"),
        (True, types.BOOL, "true"),
        ("t", types.BOOL, "CAST('t' AS BOOLEAN)"),
        ("12.50", types.NUMERIC, "CAST(12.50 AS DECIMAL(38, 2))"),
        (Decimal("-3"), 0, "CAST(-3 AS DECIMAL(38, 0))"),
        (dt.date(2024, 1, 2), types.DATE, "CAST('2024-01-02' AS DATE)"),
        (b"\x00\xff", types.BYTEA, "unhex('00ff')"),
        ("\\x00ff", types.BYTEA, "unhex('00ff')"),
    ],
)
def test_literals_are_typed_and_quoted(value, oid, expected):
    assert literal(value, oid) == expected


def test_a_bad_number_is_refused():
    with pytest.raises(QueryError, match="not a number"):
        literal("1; DROP", types.NUMERIC)
    with pytest.raises(ValueError):
        literal("1; DROP", types.INT4)
