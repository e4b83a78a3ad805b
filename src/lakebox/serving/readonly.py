"""Read-only SQL: a statement is allowed only if its parsed form reads and never writes."""

from __future__ import annotations

import sqlglot
from sqlglot import exp

from lakebox.errors import QueryError

# Statements that only read: queries (with CTEs and set operations), DESCRIBE and SHOW.
_READING = (exp.Select, exp.Union, exp.Intersect, exp.Except, exp.Describe, exp.Show)
# Expressions that write or change state wherever they appear (e.g. a CTE that inserts).
_WRITING = (
    exp.Insert,
    exp.Update,
    exp.Delete,
    exp.Merge,
    exp.Create,
    exp.Drop,
    exp.Alter,
    exp.Copy,
    exp.Command,
    exp.Set,
    exp.Use,
    exp.Transaction,
    exp.Commit,
    exp.Rollback,
    exp.Attach,
    exp.Detach,
    exp.Pragma,
    exp.Into,
)


def ensure_read_only(sql: str) -> str:
    """Return `sql` as one read-only statement, or raise QueryError saying why not."""
    try:
        statements = [s for s in sqlglot.parse(sql, dialect="duckdb") if s is not None]
    except sqlglot.errors.ParseError as error:
        raise QueryError(f"the SQL does not parse: {_first(error)}", sql=sql) from None
    except (sqlglot.errors.SqlglotError, ValueError, IndexError, RecursionError) as error:
        # the tokenizer's own errors (an unclosed quote, …) and its rare internal slips
        raise QueryError(f"the SQL does not parse: {error}", sql=sql) from None
    if len(statements) != 1:
        raise QueryError(f"send one statement at a time ({len(statements)} given)", sql=sql)
    statement = statements[0]
    writing = next((node for node in statement.walk() if isinstance(node, _WRITING)), None)
    if not isinstance(statement, _READING) or writing is not None:
        kind = type(writing or statement).__name__.upper()
        raise QueryError(
            f"only reading statements are allowed here, not {kind}",
            hint="the SQL endpoints are read-only; change data through sources and models",
            sql=sql,
        )
    return sql.strip().rstrip(";")


def _first(error: sqlglot.errors.ParseError) -> str:
    details = error.errors[0] if error.errors else {}
    description = details.get("description") or str(error).splitlines()[0]
    line, column = details.get("line"), details.get("col")
    return f"{description} (line {line}, column {column})" if line else description
