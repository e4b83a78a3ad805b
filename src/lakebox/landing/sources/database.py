"""Database source kinds: `postgres`, `mysql` (MariaDB too) and `sqlite` through DuckDB's
extensions, and `sql` (any SQLAlchemy URL: Oracle, SQL Server, … best effort).

Each pull extracts a table or a query, whole or past the source's cursor, streaming into one
Parquet file (the DuckDB kinds never hold the rows in memory; the `sql` kind holds one batch
of `batch_rows`). Why DuckDB's extensions: docs/notes/database-drivers.md.
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

from lakebox.engine import quote_literal
from lakebox.engine.duckdb import quote_identifier
from lakebox.errors import LakeboxError, LandingError
from lakebox.landing.retry import RetryPolicy, Transient, call_with_retries
from lakebox.landing.sources import Candidate, Fetched, SourceContext, register
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
        where = f"#{what}"
        if self.context.start is not None:
            where += f"?{self.context.start.field}>{self.context.start.value}"
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


def _select(source: DatabaseSource, alias: str) -> tuple[str, list[object]]:
    """Return the extraction SELECT and its parameters: a table scan (the cursor filter is
    pushed down to the server), or the query run on the server with the filter around it."""
    config = source.source
    start = source.context.start
    cursor = quote_identifier(start.field) if start else ""
    if config.table:
        scanned = ".".join([alias, *(quote_identifier(part) for part in config.table.split("."))])
        if start is None:
            return f"SELECT * FROM {scanned}", []
        return f"SELECT * FROM {scanned} WHERE {cursor} > ?", [start.typed()]
    remote = config.query or ""
    if start is not None:
        bound = _remote_literal(start, config.kind)
        remote = f"SELECT * FROM ({remote}) AS lakebox_query WHERE {cursor} > {bound}"
    function = {"postgres": "postgres_query", "mysql": "mysql_query", "sqlite": "sqlite_query"}
    return (
        f"SELECT * FROM {function[config.kind]}({quote_literal(alias)}, {quote_literal(remote)})",
        [],
    )


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
    return quote_literal(str(value))


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
    start = source.context.start
    preparer = dialect.identifier_preparer
    if config.table:
        base = "SELECT * FROM " + ".".join(preparer.quote(part) for part in config.table.split("."))
    else:
        base = f"SELECT * FROM ({config.query}) lakebox_query"
    if start is None:
        return sa.text(base), {}
    return sa.text(f"{base} WHERE {preparer.quote(start.field)} > :cursor"), {
        "cursor": start.typed()
    }


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
