"""Database source kinds: `postgres`, `mysql` (MariaDB too) and `sqlite` through DuckDB's
extensions, and `sql` (any SQLAlchemy URL: Oracle, SQL Server, … best effort).

Each pull extracts a table or a query, whole, past the source's cursor or (a backfill) within
a window of cursor values, streaming into one Parquet file (the DuckDB kinds never hold the
rows in memory; the `sql` kind holds one batch of `batch_rows`). Why DuckDB's extensions:
docs/notes/database-drivers.md.
"""

from __future__ import annotations

import itertools
import logging
import shutil
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import sqlalchemy as sa

from lakebox.errors import LakeboxError, LandingError
from lakebox.ground.sql import quote_identifier, quote_literal
from lakebox.landing.retry import RetryPolicy, Transient, call_with_retries
from lakebox.landing.sources.base import Candidate, Fetched, SourceContext, register
from lakebox.landing.state import Cursor
from lakebox.redaction import redact_url, scrub, url_secrets

logger = logging.getLogger(__name__)
_ALIASES = itertools.count(1)
_SCHEMES = {
    "postgres": ("postgresql", "postgres"),
    "mysql": ("mysql", "mariadb"),
    "sqlite": ("sqlite",),
}
# Words in a driver's message that mean trying again will not help.
_PERMANENT = (
    "password",
    "authentication",
    "access denied",
    "does not exist",
    "unknown database",
    "permission",
    "not found",
    "syntax",
    "out of memory",
)


class DatabaseSource:
    """One pull of a database table or query per run, into one Parquet object."""

    def __init__(self, context: SourceContext) -> None:
        self.context = context
        self.source = context.source
        self.url = self.source.url or ""
        self.secrets = url_secrets(self.url)

    def candidates(self) -> Iterator[Candidate]:
        """Offer this run's pull."""
        what = self.source.table or "query"
        bounds = cursor_bounds(self.context)
        where = f"#{what}"
        if bounds:
            where += "?" + "&".join(f"{bound.field}{op}{bound.value}" for op, bound in bounds)
        name = (self.source.table or self.context.name).replace("/", "_")
        yield Candidate(
            original_path=redact_url(self.url, self.secrets) + where,
            name=f"{name}.parquet",
            bytes=0,
            modified_at=None,
            pulled=True,
        )

    def fetch(self, candidate: Candidate, target: Path) -> Fetched:
        """Extract the pull into the Parquet file `target`."""
        what = f"source {self.context.name}"
        try:
            rows = call_with_retries(
                lambda: self._extract(target), RetryPolicy.of(self.source), what
            )
        except LakeboxError as error:
            raise LandingError(
                scrub(f"{what}: {error.message}", self.secrets),
                hint=error.hint,
                source=self.context.name,
            ) from None
        return Fetched(rows=rows, cursor=self._reached(target) if rows else None)

    def _extract(self, target: Path) -> int:
        if self.source.kind == "sql" or (self.source.kind == "sqlite" and self.source.query):
            return _extract_with_sqlalchemy(self, target)
        return _extract_with_duckdb(self, target)

    def _reached(self, target: Path) -> Cursor | None:
        """Return the cursor the extracted rows reach: the largest cursor value in them."""
        incremental = self.source.incremental
        if incremental is None:
            return None
        column = quote_identifier(incremental.cursor)
        try:
            row = self.context.lh.engine.execute(
                f"SELECT max({column}) FROM read_parquet({quote_literal(str(target))})"
            ).fetchone()
        except LakeboxError as error:
            raise LandingError(
                f"source {self.context.name}: the cursor column {incremental.cursor!r} is not "
                "in the extracted rows",
                hint="'incremental.cursor' must name a column of the table or query",
            ) from error
        value = row[0] if row else None
        later = Cursor.of(incremental.cursor, value) if value is not None else None
        return later or self.context.start

    def transient(self, error: Exception) -> Transient:
        """Return a failed connection or query, safe to show, as a signal to retry; raise it
        at once when retrying cannot help (a wrong password, an unknown table)."""
        message = scrub(_first_line(str(error)), self.secrets)
        failure = LandingError(
            f"cannot read {redact_url(self.url, self.secrets)}: {message}",
            hint="check the URL, the credentials (environment variables) and that the server is up",
        )
        if any(word in message.lower() for word in _PERMANENT):
            raise failure from None
        return Transient(failure)


def _extract_with_duckdb(source: DatabaseSource, target: Path) -> int:
    """Attach the database read-only to the lakehouse's DuckDB and COPY the rows out."""
    engine = source.context.lh.engine
    kind = source.source.kind
    engine.load_extension(kind)
    alias = f"lakebox_src_{next(_ALIASES)}"
    try:
        select, parameters = _select(source, alias)
        # row groups bounded in bytes, in any order: wide rows never need more than the
        # engine's memory limit (the order of extracted rows does not matter)
        copy = (
            f"COPY ({select}) TO {quote_literal(str(target))} (FORMAT parquet, COMPRESSION "
            "zstd, ROW_GROUP_SIZE 122880, ROW_GROUP_SIZE_BYTES '16MB')"
        )
        try:
            engine.execute(_attach_sql(source, alias))
            engine.execute("SET preserve_insertion_order = false")
            result = engine.execute(copy, parameters).fetchone()
        except LakeboxError as error:
            raise source.transient(error) from None
        return int(result[0]) if result else 0
    finally:
        engine.execute("RESET preserve_insertion_order")
        try:
            engine.execute(f"DETACH DATABASE IF EXISTS {alias}")
        except LakeboxError:
            logger.debug("could not detach %s", alias)


def _attach_sql(source: DatabaseSource, alias: str) -> str:
    kind = source.source.kind
    if kind == "sqlite":
        path = _sqlite_path(source.url, source.context.lh.project_dir)
        return f"ATTACH {quote_literal(str(path))} AS {alias} (TYPE sqlite, READ_ONLY)"
    dsn = _native_url(source.url, kind)
    if kind == "postgres" and "connect_timeout" not in dsn:
        dsn += (
            "&" if "?" in dsn else "?"
        ) + f"connect_timeout={max(1, int(source.source.timeout))}"
    return f"ATTACH {quote_literal(dsn)} AS {alias} (TYPE {kind}, READ_ONLY)"


Bounds = list[tuple[str, Cursor]]


def cursor_bounds(context: SourceContext) -> Bounds:
    """Return the pull's cursor filter as (operator, value) pairs: a backfill's window
    `>= start` and `< end`, else `> start` past the state, else none (a full pull)."""
    if context.window is not None:
        return [(">=", context.window.start), ("<", context.window.end)]
    if context.start is not None:
        return [(">", context.start)]
    return []


def _select(source: DatabaseSource, alias: str) -> tuple[str, list[object]]:
    """Return the extraction SELECT and its parameters: a table scan (the cursor filter is
    pushed down to the server), or the query run on the server with the incremental filter
    around it. A backfill's window on a query is filtered by DuckDB as the rows stream in,
    with bound parameters (a remote query takes none)."""
    config = source.source
    if config.table:
        scanned = ".".join([alias, *(quote_identifier(part) for part in config.table.split("."))])
        return _filtered(scanned, cursor_bounds(source.context))
    function = {"postgres": "postgres_query", "mysql": "mysql_query", "sqlite": "sqlite_query"}
    remote = quote_literal(_remote_query(source))
    scanned = f"{function[config.kind]}({quote_literal(alias)}, {remote})"
    return _filtered(scanned, cursor_bounds(source.context) if source.context.window else [])


def _remote_query(source: DatabaseSource) -> str:
    """Return the source's query with the incremental filter around it, run on the server
    (a backfill's window is filtered by DuckDB instead)."""
    config, start = source.source, source.context.start
    if start is None or source.context.window is not None:
        return config.query or ""
    cursor = _remote_identifier(start.field, config.kind)
    bound = _remote_literal(start, config.kind)
    return f"SELECT * FROM ({config.query}) AS lakebox_query WHERE {cursor} > {bound}"


def _filtered(scanned: str, bounds: Bounds) -> tuple[str, list[object]]:
    """Return `SELECT * FROM scanned` with the cursor bounds as bound parameters."""
    if not bounds:
        return f"SELECT * FROM {scanned}", []
    where = " AND ".join(f"{quote_identifier(bound.field)} {op} ?" for op, bound in bounds)
    return f"SELECT * FROM {scanned} WHERE {where}", [bound.typed() for _, bound in bounds]


def _remote_identifier(name: str, kind: str) -> str:
    """Return a column name quoted for the source database's own SQL (MySQL reads a
    double-quoted name as a string, unless in ANSI_QUOTES mode)."""
    if kind == "mysql":
        return "`" + name.replace("`", "``") + "`"
    return quote_identifier(name)


def _remote_literal(cursor: Cursor, kind: str) -> str:
    """Return the cursor as a literal for the source database's own SQL."""
    value = cursor.typed()
    if isinstance(value, int | Decimal):
        return str(value)
    if isinstance(value, datetime):
        if kind == "mysql" and value.tzinfo is not None:
            value = value.replace(tzinfo=None)
        return quote_literal(value.isoformat(sep=" "))
    if isinstance(value, date):
        return quote_literal(value.isoformat())
    text = str(value)
    if kind == "mysql":  # MySQL reads a backslash in a literal as an escape, by default
        text = text.replace("\\", "\\\\")
    return quote_literal(text)


def _extract_with_sqlalchemy(source: DatabaseSource, target: Path) -> int:
    """Stream the rows through SQLAlchemy in batches of `batch_rows`, one Parquet part per
    batch, then merge the parts into `target` (types unified by DuckDB)."""
    config = source.source
    parts = target.parent / f"{target.stem}.parts"
    parts.mkdir(parents=True, exist_ok=True)
    url = config.url or ""
    if config.kind == "sqlite":
        url = f"sqlite:///{_sqlite_path(url, source.context.lh.project_dir)}"
    try:
        engine = sa.create_engine(url)
    except (sa.exc.ArgumentError, ModuleNotFoundError) as error:
        raise LandingError(f"cannot use the URL: {error}", hint="see docs/sources.md") from None
    rows = 0
    try:
        with engine.connect() as connection:
            statement, parameters = _sqlalchemy_statement(source, engine.dialect)
            streamed = connection.execution_options(
                stream_results=True, yield_per=config.batch_rows
            )
            result = streamed.execute(statement, parameters)
            names = list(result.keys())
            for number, batch in enumerate(result.partitions(config.batch_rows)):
                table = pa.Table.from_pylist([dict(zip(names, row, strict=True)) for row in batch])
                pq.write_table(table, parts / f"{number:06d}.parquet")
                rows += len(batch)
    except sa.exc.SQLAlchemyError as error:
        raise source.transient(error) from None
    finally:
        engine.dispose()
    if rows:
        scan = f"read_parquet({quote_literal(str(parts / '*.parquet'))}, union_by_name=true)"
        source.context.lh.engine.copy_to_parquet(f"SELECT * FROM {scan}", target)
    shutil.rmtree(parts, ignore_errors=True)
    return rows


def _sqlalchemy_statement(
    source: DatabaseSource, dialect: sa.Dialect
) -> tuple[sa.TextClause, dict[str, object]]:
    config = source.source
    preparer = dialect.identifier_preparer
    if config.table:
        base = "SELECT * FROM " + ".".join(preparer.quote(part) for part in config.table.split("."))
    else:
        base = f"SELECT * FROM ({config.query}) lakebox_query"
    bounds = cursor_bounds(source.context)
    if not bounds:
        return sa.text(base), {}
    where = " AND ".join(
        f"{preparer.quote(bound.field)} {op} :cursor_{number}"
        for number, (op, bound) in enumerate(bounds)
    )
    parameters = {f"cursor_{number}": bound.typed() for number, (_, bound) in enumerate(bounds)}
    return sa.text(f"{base} WHERE {where}"), parameters


def _native_url(url: str, kind: str) -> str:
    """Return a SQLAlchemy-style URL as the URI the DuckDB extension expects."""
    scheme, separator, rest = url.partition("://")
    base = scheme.split("+", 1)[0].lower()
    if not separator or base not in _SCHEMES[kind]:
        expected = " or ".join(f"{name}://" for name in _SCHEMES[kind])
        raise LandingError(
            f"the URL of a {kind!r} source must start with {expected}",
            hint="e.g. postgresql://user:${PGPASSWORD}@host:5432/db",
        )
    return f"{_SCHEMES[kind][0]}://{rest}"


def _sqlite_path(url: str, project_dir: Path) -> Path:
    """Return the file of a sqlite:///relative or sqlite:////absolute URL, or a bare path."""
    path = url.removeprefix("sqlite:///") if url.startswith("sqlite:///") else url
    resolved = Path(path).expanduser()
    resolved = resolved if resolved.is_absolute() else project_dir / resolved
    if not resolved.exists():
        raise LandingError(f"no SQLite database at {resolved}", file=str(resolved))
    return resolved


def _first_line(message: str) -> str:
    return message.strip().splitlines()[0] if message.strip() else message


register("postgres", "mysql", "sqlite", "sql")(DatabaseSource)
