"""Column masks as SQL: each kind of mask is an expression over the column that keeps its name
and hides its value. `hash` calls a keyed HMAC registered as a function of the reader
database (`register_hash`), so the key never appears in any SQL text."""

from __future__ import annotations

import contextlib
import hashlib
import hmac

import duckdb
import pyarrow as pa

from lakebox.errors import ConfigError
from lakebox.ground.sql import quote_identifier

HASH_FUNCTION = "_lakebox_mask_hash"
REDACTED = "[redacted]"
_TEXT = ("VARCHAR", "TEXT", "STRING")
_TIME = ("DATE", "TIMESTAMP")


def mask_sql(kind: str, column: str, data_type: str) -> str:
    """Return the SQL expression hiding `column` (of DuckDB type `data_type`) by `kind`."""
    quoted = quote_identifier(column)
    text = data_type.upper().startswith(_TEXT)
    typed_null = f"CAST(NULL AS {data_type})"
    if kind == "null":
        return typed_null
    if kind == "redact":
        return f"CASE WHEN {quoted} IS NULL THEN NULL ELSE '{REDACTED}' END" if text else typed_null
    if kind == "hash":
        return f"{HASH_FUNCTION}(CAST({quoted} AS VARCHAR))"
    if kind == "partial":
        return _partial(quoted) if text else typed_null
    if kind == "year":
        return f"year({quoted})" if data_type.upper().startswith(_TIME) else "CAST(NULL AS BIGINT)"
    raise ConfigError(f"unknown mask {kind!r}", hint="masks are null, redact, hash, partial, year")


def _partial(quoted: str) -> str:
    """a***@example.com for an e-mail address; the first and last character otherwise."""
    return (
        f"CASE WHEN {quoted} IS NULL THEN NULL "
        f"WHEN strpos({quoted}, '@') > 1 THEN left({quoted}, 1) || '***' || "
        f"substr({quoted}, strpos({quoted}, '@')) "
        f"WHEN length({quoted}) <= 2 THEN '***' "
        f"ELSE left({quoted}, 1) || '***' || right({quoted}, 1) END"
    )


def register_hash(connection: duckdb.DuckDBPyConnection, key: bytes) -> None:
    """Register the keyed HMAC-SHA256 mask function on `connection`'s database (once)."""

    def digest(values: pa.Array) -> pa.Array:
        texts = values.to_pylist()
        hashed = [
            None
            if text is None
            else hmac.new(key, text.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()
            for text in texts
        ]
        return pa.array(hashed, pa.string())

    with contextlib.suppress(duckdb.Error):  # not registered yet
        connection.remove_function(HASH_FUNCTION)
    connection.create_function(
        HASH_FUNCTION, digest, ["VARCHAR"], "VARCHAR", type="arrow", side_effects=False
    )
