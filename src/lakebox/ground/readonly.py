"""Read-only SQL: a statement is allowed only if its parsed form reads and never writes, and
every function it calls is on the allow-list of `lakebox.ground.sqlfunctions`.

Two views of the statement are checked, so that a quirk of the parser cannot hide a call:
the parsed tree (statement kind, function nodes, file paths) and the token stream (every name
written right before an opening parenthesis). Files may be read only inside `readable`
folders (the project's warehouse and landing zone), and only through literal paths."""

from __future__ import annotations

import itertools
import os
import re
from collections.abc import Iterator, Sequence

import sqlglot
from sqlglot import exp
from sqlglot.tokens import Token, TokenType

from lakebox.errors import QueryError
from lakebox.ground import sqlfunctions

# Statements that only read: queries (with CTEs and set operations), DESCRIBE, SHOW,
# SUMMARIZE and PIVOT.
_READING = (
    exp.Select,
    exp.Union,
    exp.Intersect,
    exp.Except,
    exp.Describe,
    exp.Show,
    exp.Summarize,
    exp.Pivot,
    exp.Values,
)
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
HINT = "read-only SQL may call the functions listed in docs/pg.md ('What SQL may call')"
FILE_HINT = (
    "read the lakehouse's tables by name (zone.table); files may be read only inside the "
    "project's warehouse and landing folders"
)
_PLAIN_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_$]*$")
_CALLING = (TokenType.VAR, TokenType.IDENTIFIER)
# Words of DuckDB's syntax (not functions) that the tokenizer reads as names before "(".
_SYNTAX = frozenset({"exclude", "rename", "reservoir", "bernoulli", "system"})
PG_SCHEMA = "_lakebox_pg"  # the pg catalog emulation's schema (serving.pgwire.catalog.SCHEMA)
# The most characters or list elements one call may be asked to generate (lpad's length,
# repeat's count, a format width, a scalar range's elements, …): DuckDB builds a whole vector
# of such values before it can be interrupted, beyond its memory_limit.
MAX_GENERATED = 100_000
# The same for list elements (a list of n elements takes 8 to 16 bytes and more an element,
# for each of the 2,048 rows of a vector), and for any size inside a lambda (x -> …), whose
# body runs once per element of a list.
MAX_ELEMENTS = 10_000
MAX_IN_LAMBDA = 20
SIZE_HINT = (
    f"functions that generate text or lists take their size as a literal number up to "
    f"{MAX_GENERATED:,} characters or {MAX_ELEMENTS:,} list elements ({MAX_IN_LAMBDA} inside "
    f"a lambda) in read-only SQL (docs/pg.md, 'What SQL may call')"
)
# Functions whose argument at the given position (0-based) sets the size of their output,
# when they are given at least the given number of arguments, and the most it may be.
_SIZING = {
    "lpad": (1, 3, MAX_GENERATED),
    "rpad": (1, 3, MAX_GENERATED),
    "repeat": (1, 2, MAX_ELEMENTS),  # MAX_GENERATED when it repeats a literal string
    "list_resize": (1, 2, MAX_ELEMENTS),
    "array_resize": (1, 2, MAX_ELEMENTS),
    "bitstring": (1, 2, MAX_GENERATED),
    "to_base": (2, 3, MAX_GENERATED),
    "bar": (3, 4, MAX_GENERATED),
}


def ensure_read_only(sql: str, readable: Sequence[str] = (), recursive: bool = False) -> str:
    """Return `sql` as one read-only statement, or raise QueryError saying why not; files may
    be read only below the folders or URI prefixes in `readable`. With `recursive`, SQL whose
    run is bounded otherwise (a model's time limit) may recurse: a recursion is interrupted
    between its steps, and DuckDB's memory_limit holds its rows. The sizes of generated values
    are checked all the same, for a call building one is not interrupted, and its value lies
    outside the memory_limit."""
    statement = _parse(sql)
    writing = next((node for node in statement.walk() if isinstance(node, _WRITING)), None)
    if not isinstance(statement, _READING) or writing is not None:
        kind = type(writing or statement).__name__.upper()
        raise QueryError(
            f"only reading statements are allowed here, not {kind}",
            hint="the SQL endpoints are read-only; change data through sources and models",
            sql=sql,
        )
    tokens = _tokens(sql)
    _check_tokens(sql, tokens, _alias_names(statement))
    _check_tree(statement, sql, readable)
    _check_sizes(statement, sql)
    if not recursive:
        _check_recursion(statement, sql)
    return sql.strip().rstrip(";")


def _parse(sql: str) -> exp.Expression:
    try:
        statements = [s for s in sqlglot.parse(sql, dialect="duckdb") if s is not None]
    except sqlglot.errors.ParseError as error:
        raise QueryError(f"the SQL does not parse: {_first(error)}", sql=sql) from None
    except (sqlglot.errors.SqlglotError, ValueError, IndexError, RecursionError) as error:
        # the tokenizer's own errors (an unclosed quote, …) and its rare internal slips
        raise QueryError(f"the SQL does not parse: {error}", sql=sql) from None
    if len(statements) != 1:
        raise QueryError(f"send one statement at a time ({len(statements)} given)", sql=sql)
    return statements[0]


def refused(name: str, sql: str | None = None) -> QueryError:
    """Return the error for a call of function `name` that read-only SQL may not make."""
    return QueryError(
        f"function {name} is not allowed in read-only SQL", hint=HINT, sql=sql, sqlstate="42501"
    )


# -- the tokens: every name written before "(" ---------------------------------------------


def _check_tokens(sql: str, tokens: list[Token], aliases: set[str]) -> None:
    _check_dollar_quotes(sql, tokens)
    for index, (token, following) in enumerate(itertools.pairwise(tokens)):
        if following.token_type != TokenType.L_PAREN:
            continue
        name = token.text.lower()
        if token.token_type not in _CALLING:
            if name in sqlfunctions.REFUSED:  # a keyword spelling, e.g. CHECKPOINT(
                raise refused(name, sql)
            continue
        qualifier = _qualifier(tokens, index)
        if (name in aliases or name in _SYNTAX) and qualifier is None:
            continue  # WITH t(a) AS …, FROM f(…) AS t(a), SELECT * EXCLUDE (a)
        if not _allowed(name, qualifier):
            raise refused(name, sql)


_DOLLAR_TAG = re.compile(r"\$([^$]*)\$")


def _check_dollar_quotes(sql: str, tokens: list[Token]) -> None:
    """Refuse a dollar-quoted string whose tag starts with a digit: DuckDB reads `$1a$` as the
    parameter $1, the guard's tokenizer as the start of a string, so they would disagree on
    what is code and what is text."""
    for token in tokens:
        if token.token_type != TokenType.HEREDOC_STRING:
            continue
        tag = _DOLLAR_TAG.match(sql, token.start)
        if tag is None or (tag.group(1) and not _PLAIN_NAME.match(tag.group(1))):
            raise QueryError(
                "a dollar-quoted string's tag must start with a letter or _ (e.g. $t$…$t$)",
                hint="write text in single quotes ('…'); $1, $2 are parameters",
                sql=sql,
                sqlstate="42601",
            )


def _tokens(sql: str) -> list[Token]:
    try:
        return sqlglot.Dialect.get_or_raise("duckdb").tokenize(sql)
    except (sqlglot.errors.SqlglotError, ValueError, IndexError) as error:
        raise QueryError(f"the SQL does not parse: {error}", sql=sql) from None


def _qualifier(tokens: list[Token], index: int) -> str | None:
    if index >= 2 and tokens[index - 1].token_type == TokenType.DOT:
        return tokens[index - 2].text.lower()
    return None


def _alias_names(tree: exp.Expression) -> set[str]:
    return {
        alias.name.lower()
        for alias in tree.find_all(exp.TableAlias)
        if alias.name and alias.args.get("columns")
    }


def _allowed(name: str, qualifier: str | None) -> bool:
    if qualifier == PG_SCHEMA:
        return name in sqlfunctions.PG_CATALOG
    return (
        name in sqlfunctions.SCALAR or name in sqlfunctions.TABLE or name in sqlfunctions.FILES
    ) and name not in sqlfunctions.REFUSED


# -- the tree: function nodes, tables that are files, paths ------------------------------


def _check_tree(statement: exp.Expression, sql: str, readable: Sequence[str]) -> None:
    for node in statement.walk():
        if isinstance(node, exp.Anonymous):
            qualifier = node.parent.this.name.lower() if isinstance(node.parent, exp.Dot) else None
            if not _allowed(node.name.lower(), qualifier):
                raise refused(node.name.lower(), sql)
        if isinstance(node, exp.Func) and _function_name(node) in sqlfunctions.FILES:
            _check_paths(_function_name(node), _path_argument(node), sql, readable)
        elif isinstance(node, exp.Table) and isinstance(node.this, exp.Identifier):
            _check_table(node, sql, readable)
        elif isinstance(node, exp.Schema) and isinstance(node.parent, exp.Describe):
            # DESCRIBE f(x) parses as a table f with columns x: it is a call of f
            called = node.this.name.lower() if isinstance(node.this, exp.Table) else ""
            if node.expressions and not _allowed(called, None):
                raise refused(called, sql)


def file_paths(sql: str) -> list[str]:
    """Return the paths (files, globs or URIs) that `sql`, read-only SQL that
    `ensure_read_only` let in, reads files from, as written."""
    statement = _parse(sql)
    found: list[str] = []
    for node in statement.walk():
        if isinstance(node, exp.Func) and _function_name(node) in sqlfunctions.FILES:
            found.extend(_literal_paths(_function_name(node), _path_argument(node), sql))
        elif isinstance(node, exp.Table) and isinstance(node.this, exp.Identifier):
            parts = [part.name for part in node.parts]
            if not all(_PLAIN_NAME.match(part) for part in parts):
                found.append(".".join(parts))
    return found


def _function_name(node: exp.Func) -> str:
    if isinstance(node, exp.Anonymous):
        return node.name.lower()
    return node.sql_name().lower()


def _path_argument(node: exp.Func) -> exp.Expression | None:
    """Return a file function's first argument (its path or list of paths)."""
    if not isinstance(node, exp.Anonymous) and isinstance(node.this, exp.Expression):
        return node.this
    return node.expressions[0] if node.expressions else None


def _check_table(table: exp.Table, sql: str, readable: Sequence[str]) -> None:
    """A table name that is not a plain identifier (FROM 'x.csv', FROM "a/b.parquet") is
    read by DuckDB as a file."""
    alias = table.args.get("alias")
    called = isinstance(alias, exp.TableAlias) and alias.columns and not alias.name
    if called and not _allowed(table.name.lower(), None):
        # `FROM f(1)` for a name the parser does not know as a function: a call of f
        raise refused(table.name.lower(), sql)
    parts = [part.name for part in table.parts]
    if all(_PLAIN_NAME.match(part) for part in parts):
        if table.name.lower() == "pg_settings" and table.db.lower() != PG_SCHEMA:
            raise refused("duckdb_settings", sql)  # DuckDB's pg_catalog.pg_settings view
        return
    _check_paths("a file read", exp.Literal.string(".".join(parts)), sql, readable)


def _check_paths(
    what: str, argument: exp.Expression | None, sql: str, readable: Sequence[str]
) -> None:
    for path in _literal_paths(what, argument, sql):
        if not inside(path, readable):
            raise QueryError(
                f"{what} may not read {path!r}: it is outside the project's lakehouse folders",
                hint=FILE_HINT,
                sql=sql,
                sqlstate="42501",
            )


def _literal_paths(what: str, argument: exp.Expression | None, sql: str) -> Iterator[str]:
    items = argument.expressions if isinstance(argument, exp.Array) else [argument]
    for item in items:
        if not (isinstance(item, exp.Literal) and item.is_string):
            raise QueryError(
                f"{what} must be given its path as a literal string",
                hint=FILE_HINT,
                sql=sql,
                sqlstate="42501",
            )
        yield item.this


def inside(path: str, readable: Sequence[str]) -> bool:
    """Whether `path` (a file path, glob or URI) lies below one of `readable`."""
    local = path.removeprefix("file://")
    if "://" not in local:
        local = os.path.normpath(os.path.abspath(os.path.expanduser(local)))
    elif ".." in local.split("/"):
        return False
    for place in readable:
        root = place.removeprefix("file://").rstrip("/")
        if local == root or local.startswith(root + "/"):
            return True
    return False


# -- sizes: what a call may generate --------------------------------------------------------


def _check_sizes(statement: exp.Expression, sql: str) -> None:
    for node in statement.walk():
        if isinstance(node, exp.GenerateSeries):
            if not isinstance(node.parent, exp.Table):  # a list value, not rows in FROM
                _check_series(node, sql)
        elif isinstance(node, exp.Pad):
            name = "rpad" if node.args.get("is_left") is False else "lpad"
            _check_size(name, node.expression, _limit(node, MAX_GENERATED), sql)
        elif isinstance(node, exp.Repeat):
            if not isinstance(node.parent, exp.Table):  # FROM repeat(v, n) streams its rows
                most = _repeat_limit(node, node.this)
                _check_size("repeat", node.args.get("times"), most, sql)
        elif isinstance(node, exp.Format):
            _check_format("format", node.this, _limit(node, MAX_GENERATED), sql)
        elif isinstance(node, exp.Anonymous):
            _check_call(node, sql)


def _check_call(node: exp.Anonymous, sql: str) -> None:
    name = node.name.lower()
    in_from = isinstance(node.parent, exp.Table)
    for arguments in _readings(node):
        if name in ("printf", "format"):
            template = arguments[0] if arguments else None
            _check_format(name, template, _limit(node, MAX_GENERATED), sql)
        elif name in ("range", "generate_series") and not in_from:
            bounds = [_number(arg) for arg in arguments]
            _check_count(name, bounds, name == "range", _limit(node, MAX_ELEMENTS), sql)
        elif name in _SIZING and not (name == "repeat" and in_from):
            position, arity, most = _SIZING[name]
            if len(arguments) >= arity:
                if name == "repeat":
                    most = _repeat_limit(node, arguments[0])
                _check_size(name, arguments[position], _limit(node, most), sql)


def _limit(node: exp.Expression, most: int) -> int:
    """Return `most`, or MAX_IN_LAMBDA if `node` is inside a lambda's body."""
    return MAX_IN_LAMBDA if node.find_ancestor(exp.Lambda) else most


def _repeat_limit(node: exp.Expression, repeated: exp.Expression | None) -> int:
    text = isinstance(repeated, exp.Literal) and repeated.is_string
    return _limit(node, MAX_GENERATED if text else MAX_ELEMENTS)


def _readings(node: exp.Anonymous) -> list[list[exp.Expression]]:
    """Return the argument lists DuckDB may read a call as: `x.f(a)` is f(x, a) (a method
    call) or, when x is a name, schema x's f(a)."""
    arguments = list(node.expressions)
    parent = node.parent
    if not (isinstance(parent, exp.Dot) and parent.expression is node):
        return [arguments]
    receiver = parent.this
    if isinstance(receiver, (exp.Identifier, exp.Column)):
        return [[receiver, *arguments], arguments]
    return [[receiver, *arguments]]


def _check_recursion(statement: exp.Expression, sql: str) -> None:
    """Refuse WITH RECURSIVE: each step may double a value (s || s, replace(s, 'x', 'xx'),
    …), and a value of a gigabyte is then copied outside DuckDB's memory_limit."""
    if any(node.args.get("recursive") for node in statement.find_all(exp.With)):
        raise QueryError(
            "recursive queries (WITH RECURSIVE) are not allowed in read-only SQL",
            hint="generate rows with range() or generate_series() in FROM, or use window "
            "functions; run recursive SQL in a model instead",
            sql=sql,
            sqlstate="0A000",
        )


def _too_big(what: str, most: int, sql: str) -> QueryError:
    within = " inside a lambda" if most == MAX_IN_LAMBDA else ""
    return QueryError(
        f"{what} must be a number up to {most:,}{within} in read-only SQL",
        hint=SIZE_HINT,
        sql=sql,
        sqlstate="54000",
    )


def _check_size(name: str, argument: exp.Expression | None, most: int, sql: str) -> None:
    value = _number(argument)
    if value is None or abs(value) > most:
        what = "width" if name == "bar" else "count" if name == "repeat" else "length"
        raise _too_big(f"{name}'s {what}", most, sql)


def _check_series(node: exp.GenerateSeries, sql: str) -> None:
    bounds = [_number(node.args.get(key)) for key in ("start", "end", "step")]
    if node.args.get("step") is None:
        bounds = bounds[:2]
    exclusive = bool(node.args.get("is_end_exclusive"))
    name = "range" if exclusive else "generate_series"
    _check_count(name, bounds, exclusive, _limit(node, MAX_ELEMENTS), sql)


def _check_count(
    name: str, bounds: list[float | None], exclusive: bool, most: int, sql: str
) -> None:
    """A scalar range/generate_series builds its whole list: its bounds must be literal
    numbers giving at most `most` elements."""
    if not bounds or None in bounds or len(bounds) > 3:
        raise _too_big(f"{name}'s bounds (as a list value, outside FROM)", most, sql)
    numbers = [float(bound) for bound in bounds if bound is not None]
    start, end = (0.0, numbers[0]) if len(numbers) == 1 else (numbers[0], numbers[1])
    step = numbers[2] if len(numbers) == 3 else 1.0
    count = 0.0 if step == 0 else (end - start) / step + (0 if exclusive else 1)
    if count > most:
        raise _too_big(f"{name}'s number of elements (as a list value, outside FROM)", most, sql)


_ARITHMETIC = {
    exp.Add: lambda a, b: a + b,
    exp.Sub: lambda a, b: a - b,
    exp.Mul: lambda a, b: a * b,
}


def _number(node: exp.Expression | None) -> float | None:
    """Return the value of a numeric literal or of simple arithmetic on them, else None."""
    if isinstance(node, exp.Paren):
        return _number(node.this)
    if isinstance(node, exp.Literal) and not node.is_string:
        try:
            return float(node.this)
        except ValueError:
            return None
    if isinstance(node, exp.Neg):
        value = _number(node.this)
        return None if value is None else -value
    for kind, apply in _ARITHMETIC.items():
        if isinstance(node, kind):
            left, right = _number(node.this), _number(node.expression)
            if left is None or right is None or max(abs(left), abs(right)) > 1e18:
                return None
            return float(apply(left, right))
    return None


_FORMAT_FIELD = re.compile(r"\{([^{}]*)\}")
_PRINTF_SPEC = re.compile(r"%[^a-zA-Z%]*[a-zA-Z%]")
_DIGITS = re.compile(r"\d+")


def _check_format(name: str, template: exp.Expression | None, most: int, sql: str) -> None:
    """A format string must be a literal whose widths and precisions are at most `most` and
    given in the string itself (not `{:{}}` or `%*s`)."""
    if not (isinstance(template, exp.Literal) and template.is_string):
        raise QueryError(
            f"{name}'s format must be a literal string in read-only SQL",
            hint=SIZE_HINT,
            sql=sql,
            sqlstate="54000",
        )
    text = template.this
    if name == "printf":
        specs = _PRINTF_SPEC.findall(text)
        dynamic = any("*" in spec for spec in specs)
    else:
        plain = text.replace("{{", "").replace("}}", "")
        specs = _FORMAT_FIELD.findall(plain)
        dynamic = "{" in _FORMAT_FIELD.sub("", plain) or "}" in _FORMAT_FIELD.sub("", plain)
    if dynamic or any(int(d) > most for spec in specs for d in _DIGITS.findall(spec)):
        raise _too_big(f"{name}'s widths and precisions", most, sql)


def _first(error: sqlglot.errors.ParseError) -> str:
    details = error.errors[0] if error.errors else {}
    description = details.get("description") or str(error).splitlines()[0]
    line, column = details.get("line"), details.get("col")
    return f"{description} (line {line}, column {column})" if line else description
