"""Only reading statements pass the read-only guard, decided on the parsed SQL."""

from __future__ import annotations

import pytest

from lakebox.errors import QueryError
from lakebox.ground.readonly import ensure_read_only


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


# -- the allow-list of functions --------------------------------------------------------------

PLACES = ["/p/data/warehouse", "file:///p/data/landing"]


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT store, sum(amount), count(*), count(DISTINCT id) FROM formatted.sales GROUP BY 1",
        "SELECT date_trunc('month', d), strftime(d, '%Y'), epoch_ms(1), d::DATE FROM t",
        "SELECT row_number() OVER (PARTITION BY a ORDER BY b), lag(x) OVER w FROM t "
        "WINDOW w AS (ORDER BY b)",
        "SELECT list_transform([1, 2], x -> x + 1), {'a': 1}, map([1], [2]), [1, 2][1]",
        "SELECT regexp_extract(s, 'a(b)', 1), json_extract_string(j, '$.a'), upper(s) FROM t",
        "SELECT COLUMNS(c -> c LIKE 'a%') FROM t",
        "SELECT * EXCLUDE (a) REPLACE (b + 1 AS b) FROM t",
        "SELECT * FROM range(3) AS s(x)",
        "SELECT * FROM unnest([1, 2])",
        "WITH t(a) AS (SELECT 1) SELECT * FROM t",
        "SUMMARIZE formatted.sales",
        "PIVOT formatted.sales ON store USING sum(amount)",
        "FROM formatted.sales SELECT id",
        "SELECT coalesce(a, b), if(a, 1, 2), left('ab', 1), replace('a', 'b', 'c') FROM t",
        "SELECT * FROM iceberg_scan('/p/data/warehouse/formatted/sales/metadata/v1.json')",
        "SELECT * FROM read_parquet(['/p/data/warehouse/a.parquet', '/p/data/landing/b'])",
        "FROM '/p/data/landing/sales/x.csv'",
        "SELECT _lakebox_pg.format_type(23, -1), _lakebox_pg.pg_backend_pid()",
    ],
)
def test_what_an_analyst_needs_passes(sql):
    assert ensure_read_only(sql, PLACES) == sql


@pytest.mark.parametrize(
    ("sql", "name"),
    [
        ("SELECT * FROM pandas_scan(NULL)", "pandas_scan"),
        ("SELECT * FROM arrow_scan(1, 2, 3)", "arrow_scan"),
        ("SELECT * FROM python_map_function(1)", "python_map_function"),
        ("SELECT * FROM enable_logging(storage='file', storage_path='/p/x.csv')", "enable_logging"),
        ("SELECT * FROM enable_profiling()", "enable_profiling"),
        ("SELECT * FROM disable_logging()", "disable_logging"),
        ("SELECT * FROM checkpoint()", "checkpoint"),
        ("SELECT * FROM force_checkpoint()", "force_checkpoint"),
        ("SELECT * FROM truncate_duckdb_logs()", "truncate_duckdb_logs"),
        ("SELECT * FROM duckdb_secrets()", "duckdb_secrets"),
        ("SELECT * FROM duckdb_settings()", "duckdb_settings"),
        ("SELECT * FROM pg_catalog.pg_settings", "duckdb_settings"),
        ("SELECT * FROM query('SELECT 1')", "query"),
        ("SELECT nextval('s')", "nextval"),
        ("SELECT setseed(0.5)", "setseed"),
        ("SELECT current_setting('allowed_directories')", "current_setting"),
        ("SELECT getvariable('x')", "getvariable"),
        ("SELECT list_transform([1], x -> nextval('s'))", "nextval"),  # in a lambda
        ("SELECT CAST(nextval('s') AS INT)", "nextval"),  # in a cast
        ("SELECT 's'.nextval()", "nextval"),  # dot-call syntax
        ('SELECT "pandas_scan"(1)', "pandas_scan"),  # quoted name
        ("SELECT main.pandas_scan(1)", "pandas_scan"),  # qualified name
        ("DESCRIBE pandas_scan(NULL)", "pandas_scan"),  # parsed as a table with columns
        ("SUMMARIZE SELECT * FROM pandas_scan(NULL)", "pandas_scan"),
        ("SELECT * FROM TABLE(pandas_scan(NULL))", "pandas_scan"),
        ("WITH pandas_scan(a) AS (SELECT 1) SELECT * FROM pandas_scan(NULL)", "pandas_scan"),
        ("SELECT no_such_function_yet(1)", "no_such_function_yet"),
    ],
)
def test_functions_off_the_list_are_refused(sql, name):
    with pytest.raises(QueryError) as raised:
        ensure_read_only(sql, PLACES)
    assert raised.value.message == f"function {name} is not allowed in read-only SQL"
    assert "What SQL may call" in (raised.value.hint or "")
    assert raised.value.fields["sqlstate"] == "42501"


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM read_csv('/etc/passwd')",
        "SELECT * FROM read_text('/p/data/warehouse/../../secret')",
        "SELECT * FROM glob('/etc/*')",
        "SELECT * FROM read_blob('~/.ssh/id_rsa')",
        "SELECT * FROM read_parquet(['/p/data/warehouse/a', '/b'])",
        "FROM 'file.csv'",
        'SELECT * FROM "/etc/hosts.csv"',
        "SELECT * FROM 'https://example.com/x.csv'",
        "SELECT * FROM read_csv(concat('/et', 'c/passwd'))",
        "SELECT * FROM read_csv(header = true)",
        "SELECT * FROM read_csv('/p/data/warehouse/a.csv') JOIN read_json('/tmp/x') ON true",
    ],
)
def test_files_outside_the_lakehouse_or_not_literal_are_refused(sql):
    with pytest.raises(QueryError, match=r"outside the project's lakehouse|as a literal string"):
        ensure_read_only(sql, PLACES)


def test_with_no_places_no_file_may_be_read():
    with pytest.raises(QueryError, match="outside"):
        ensure_read_only("SELECT * FROM read_parquet('/p/data/warehouse/a.parquet')")


def _duckdb_functions() -> dict[str, set[str]]:
    import duckdb

    from lakebox.config import EngineConfig
    from lakebox.engine.duckdb import DuckDBEngine

    engine = DuckDBEngine(EngineConfig(memory_limit="256MB", threads=1), _scratch())
    try:
        engine.ensure_extensions()  # loaded when first needed otherwise
        rows = engine.connection.execute(
            "SELECT DISTINCT function_name, function_type FROM duckdb_functions()"
        ).fetchall()
    finally:
        engine.close()
    found: dict[str, set[str]] = {}
    for name, kind in rows:
        found.setdefault(kind, set()).add(name)
    assert duckdb.__version__.startswith("1.5")
    return found


def _scratch():
    import tempfile
    from pathlib import Path

    return Path(tempfile.mkdtemp(prefix="lakebox-functions-"))


def test_every_listed_function_exists_and_every_other_duckdb_function_is_refused():
    """The allow-list against DuckDB's whole catalog (with the iceberg and avro extensions):
    no listed name is a typo, and every function not listed is refused wherever it is
    called, whatever class sqlglot parses its spelling into."""
    import re

    from lakebox.ground import sqlfunctions

    found = _duckdb_functions()
    every = set().union(*found.values())
    syntax = {"coalesce", "ifnull", "if", "iff", "try", "columns", "unnest", "grouping",
              "grouping_id", "struct", "array", "exists", "cast", "try_cast", "extract",
              "current_time", "current_timestamp", "localtime", "localtimestamp",
              "nullif"}  # fmt: skip
    listed = sqlfunctions.SCALAR | sqlfunctions.TABLE | sqlfunctions.FILES
    assert listed - syntax - every == set()
    assert not listed & sqlfunctions.REFUSED
    others = {
        name for name in every - listed if re.fullmatch(r"[a-z_][a-z0-9_]*", name, re.IGNORECASE)
    }
    accepted = []
    for name in sorted(others):
        for sql in (f"SELECT {name}(1)", f"SELECT * FROM {name}(1)"):
            try:
                ensure_read_only(sql, PLACES)
            except QueryError:
                continue
            accepted.append(sql)
    assert accepted == []


def test_the_docs_name_every_listed_function():
    from pathlib import Path

    from lakebox.ground import sqlfunctions
    from lakebox.serving.pgwire import catalog

    docs = (Path(__file__).parents[2] / "docs" / "pg.md").read_text(encoding="utf-8")
    section = docs.split("## What SQL may call", 1)[1].split("\n## ", 1)[0]
    names = sqlfunctions.SCALAR | sqlfunctions.TABLE | sqlfunctions.FILES | sqlfunctions.REFUSED
    missing = sorted(name for name in names | set(catalog.MACROS) if f"`{name}`" not in section)
    assert missing == []


@pytest.mark.parametrize(
    ("sql", "what"),
    [
        (
            "SELECT sum(length(lpad(range::VARCHAR, 100000000, 'y'))) FROM range(30)",
            "lpad's length",
        ),
        ("SELECT rpad('x', 100001)", "rpad's length"),
        ("SELECT lpad('x', n, 'y') FROM t", "lpad's length"),  # not a literal
        ("SELECT lpad('x', 1000 * 1000, 'y')", "lpad's length"),  # folded, then too big
        ("SELECT 'x'.lpad(100000000, 'y')", "lpad's length"),  # dot-call syntax
        ("SELECT \"lpad\"('x', 100000000, 'y')", "lpad's length"),
        ("SELECT repeat('x', 100000000)", "repeat's count"),
        ("SELECT repeat([1, 2], 100000000)", "repeat's count"),
        ("SELECT repeat(l, 10001) FROM t", "repeat's count"),  # a list, maybe
        ("SELECT list_resize([1], 10001)", "list_resize's length"),
        ("SELECT range(10001)", "range's number of elements"),
        # inside a lambda a size is multiplied by the list's length
        ("SELECT list_transform(range(10000), i -> lpad(i::VARCHAR, 100, 'x'))", "lpad's length"),
        ("SELECT list_transform(l, x -> range(100)) FROM t", "range's number of elements"),
        ("SELECT list_transform(l, x -> printf('%100s', x)) FROM t", "printf's widths"),
        ("SELECT list_transform(l, lambda x: repeat('ab', 21)) FROM t", "repeat's count"),
        ("SELECT code.repeat(n) FROM t", "repeat's count"),
        ("SELECT list_resize([1], 100000000)", "list_resize's length"),
        ("SELECT array_resize([1], 1e8, 0)", "array_resize's length"),
        ("SELECT bar(1, 0, 10, 100000000)", "bar's width"),
        ("SELECT to_base(1, 2, 100000000)", "to_base's length"),
        ("SELECT bitstring('1', 100000000)", "bitstring's length"),
        ("SELECT format('{:>100000000}', 1)", "format's widths and precisions"),
        ("SELECT format('{:>{}}', 1, 100000000)", "format's widths and precisions"),
        ("SELECT '{:>100000000}'.format(1)", "format's widths and precisions"),
        ("SELECT printf('%100000000s', 1)", "printf's widths and precisions"),
        ("SELECT printf('%.100000000f', 1.0)", "printf's widths and precisions"),
        ("SELECT printf('%*s', 100000000, 'x')", "printf's widths and precisions"),
        ("SELECT format(f, 1) FROM t", "format's format"),
        ("SELECT printf(f, 1) FROM t", "printf's format"),
        ("SELECT range(100000000)", "range's number of elements"),
        ("SELECT generate_series(1, 100000000)", "generate_series's number of elements"),
        ("SELECT len(range(0, 10000000000, 2))", "range's number of elements"),
        ("SELECT * FROM unnest(range(100000000))", "range's number of elements"),
        ("SELECT (100000000).range()", "range's number of elements"),
        ("SELECT range(n) FROM t", "range's bounds"),
        (
            "SELECT generate_series(DATE '2000-01-01', DATE '2100-01-01', INTERVAL 1 DAY)",
            "generate_series's bounds",
        ),
    ],
)
def test_calls_that_would_generate_too_much_are_refused(sql, what):
    with pytest.raises(QueryError) as raised:
        ensure_read_only(sql, PLACES)
    assert raised.value.message.startswith(what)
    assert "must be a number up to" in raised.value.message or "literal" in raised.value.message
    assert raised.value.fields["sqlstate"] == "54000"


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT lpad(code, 6, '0'), rpad(code, 6), code.lpad(6, '0') FROM t",
        "SELECT repeat('-', 20), '-'.repeat(20), repeat([1], 3)",
        "SELECT * FROM range(100000000)",  # rows in FROM stream and are interrupted
        "SELECT * FROM generate_series(1, 100000000) AS s(x)",
        "SELECT * FROM repeat(1, 100000000)",
        "SELECT format('{:>10}', x), format('{{}} {0:.2f}', x), printf('%5.2f|%-8s', x, s) FROM t",
        "SELECT range(10), generate_series(1, 5), range(0, 100, 10), unnest(range(10))",
        "SELECT lpad(code, 2 * 3, '0'), list_resize([1], 10000), bar(x, 0, 10), bar(x, 0, 10, 20)",
        "SELECT lpad(code, 100000, ' '), repeat('ab', 100000), range(10000) FROM t",
        "SELECT list_transform(l, x -> lpad(x, 5, '0')), list_transform(l, x -> range(3)) FROM t",
        "SELECT to_base(255, 16), to_base(255, 2, 8), bitstring('101', 8) FROM t",
    ],
)
def test_ordinary_generating_calls_pass(sql):
    assert ensure_read_only(sql, PLACES) == sql


@pytest.mark.parametrize(
    "sql", ["SELECT $1a$, getvariable('x') --$1a$", "SELECT $2b$ || 'a' --$2b$"]
)
def test_dollar_quotes_with_a_digit_tag_are_refused(sql):
    """DuckDB reads $1a$ as the parameter $1: the guard would read it as a string."""
    with pytest.raises(QueryError, match="dollar-quoted string's tag must start with a letter"):
        ensure_read_only(sql, PLACES)


def test_dollar_quotes_with_a_name_tag_pass():
    assert ensure_read_only("SELECT $$a$$, $t$b$t$, $_x$c$_x$", PLACES)


@pytest.mark.parametrize(
    "sql",
    [
        "WITH RECURSIVE t(s) AS (SELECT 'x' UNION ALL SELECT s || s FROM t) SELECT * FROM t",
        "WITH RECURSIVE t(n, s) AS (SELECT 1, 'x' UNION ALL "
        "SELECT n + 1, replace(s, 'x', 'xx') FROM t WHERE n < 40) SELECT max(length(s)) FROM t",
        "SELECT (WITH RECURSIVE t(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM t WHERE n < 3) "
        "SELECT max(n) FROM t)",
    ],
)
def test_recursive_queries_are_refused(sql):
    """A recursive step can double a value until one value outgrows DuckDB's memory_limit."""
    with pytest.raises(QueryError) as raised:
        ensure_read_only(sql, PLACES)
    assert raised.value.message == (
        "recursive queries (WITH RECURSIVE) are not allowed in read-only SQL"
    )
    assert "range()" in (raised.value.hint or "")


def test_the_docs_state_the_generation_cap():
    from pathlib import Path

    from lakebox.ground.readonly import MAX_ELEMENTS, MAX_GENERATED, MAX_IN_LAMBDA

    docs = (Path(__file__).parents[2] / "docs" / "pg.md").read_text(encoding="utf-8")
    section = docs.split("## What SQL may call", 1)[1].split("\n## ", 1)[0]
    for most in (MAX_GENERATED, MAX_ELEMENTS, MAX_IN_LAMBDA):
        assert f"**{most:,}**" in section
    assert "WITH RECURSIVE" in section


def test_the_pg_catalog_macros_allowed_are_the_ones_the_catalog_installs():
    from lakebox.ground import sqlfunctions
    from lakebox.serving.pgwire import catalog

    assert frozenset(catalog.MACROS) == sqlfunctions.PG_CATALOG
