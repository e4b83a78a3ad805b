"""Only reading statements pass the read-only guard, decided on the parsed SQL."""

from __future__ import annotations

import pytest

from lakebox.errors import QueryError
from lakebox.serving.readonly import ensure_read_only


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT 1",
        "WITH a AS (SELECT 1 AS x) SELECT * FROM a",
        "SELECT 1 UNION ALL SELECT 2",
        "DESCRIBE formatted.sales",
        "SHOW TABLES",
        "select 'DROP TABLE x' as text",  # a string that looks like a write is just text
    ],
)
def test_reading_statements_pass(sql):
    assert ensure_read_only(sql + ";") == sql


@pytest.mark.parametrize(
    ("sql", "word"),
    [
        ("INSERT INTO t VALUES (1)", "INSERT"),
        ("UPDATE t SET a = 1", "UPDATE"),
        ("DELETE FROM t", "DELETE"),
        ("DROP TABLE t", "DROP"),
        ("CREATE TABLE t AS SELECT 1", "CREATE"),
        ("COPY t TO 'x.csv'", "COPY"),
        ("ATTACH 'x.db'", "ATTACH"),
        ("SET threads = 1", "SET"),
        ("SELECT * INTO x FROM y", "INTO"),
        ("INSTALL httpfs", "INSTALL"),
        ("LOAD httpfs", "COMMAND"),
    ],
)
def test_writing_or_state_changing_statements_are_refused(sql, word):
    with pytest.raises(QueryError, match=f"not {word}"):
        ensure_read_only(sql)


def test_several_statements_and_bad_sql_are_refused():
    with pytest.raises(QueryError, match="one statement at a time"):
        ensure_read_only("SELECT 1; SELECT 2")
    for broken in ("SELEC 1", 'SELECT "unclosed', '"', "'"):
        with pytest.raises(QueryError, match="does not parse"):
            ensure_read_only(broken)
