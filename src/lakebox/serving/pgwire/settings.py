"""The settings a session shows and takes: those reported at start-up, those SHOW answers,
those a client may SET, and PostgreSQL's form of a time setting."""

from __future__ import annotations

import re

import duckdb

from lakebox.errors import QueryError

DEFAULT_SEARCH_PATH = "exploitation"
SERVER_VERSION = "15.0 (lakebox)"

# Reported to the client at start-up (ParameterStatus) and answered by SHOW.
REPORTED: dict[str, str] = {
    "server_version": SERVER_VERSION,
    "server_encoding": "UTF8",
    "client_encoding": "UTF8",
    "DateStyle": "ISO, MDY",
    "IntervalStyle": "postgres",
    "integer_datetimes": "on",
    "standard_conforming_strings": "on",
    "TimeZone": "UTC",
    "is_superuser": "off",
    "default_transaction_read_only": "on",
    "in_hot_standby": "off",
}
SETTINGS: dict[str, str] = {
    **{name.lower(): value for name, value in REPORTED.items()},
    "server_version_num": "150000",
    "search_path": DEFAULT_SEARCH_PATH,
    "transaction_isolation": "read committed",
    "default_transaction_isolation": "read committed",
    "transaction_read_only": "on",
    "max_identifier_length": "63",
    "lc_collate": "C",
    "lc_ctype": "C",
    "statement_timeout": "0",
    "application_name": "",
    "extra_float_digits": "1",
    "max_index_keys": "32",
    "block_size": "8192",
    "default_table_access_method": "heap",
    "max_connections": "100",
    "server_encoding": "UTF8",
}
# PostgreSQL settings clients and BI tools send that change nothing here (or, for
# statement_timeout and search_path, what lakebox honours): SET accepts them and SHOW echoes them.
# A DuckDB setting not among them (threads, enable_external_access, …) is refused: the engine's
# settings are the server's, never a client's.
CLIENT_SETTINGS = frozenset(
    {
        *SETTINGS,
        "timezone",
        "client_min_messages",
        "bytea_output",
        "lock_timeout",
        "idle_in_transaction_session_timeout",
        "idle_session_timeout",
        "jit",
        "session_authorization",
        "role",
        "names",
        "row_security",
        "xmloption",
        "xmlbinary",
        "timezone_abbreviations",
    }
)
# PostgreSQL's units of a time setting, in milliseconds (a bare number is milliseconds)
_TIME_UNITS = {"us": 0.001, "ms": 1, "s": 1000, "min": 60_000, "h": 3_600_000, "d": 86_400_000}
_TIME_VALUE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(us|ms|s|min|h|d)?\s*$")
SHOW_ALIASES = {
    "transaction isolation level": "transaction_isolation",
    "time zone": "timezone",
    "session authorization": "session_authorization",
}


_ENGINE_SETTINGS: frozenset[str] | None = None


def engine_settings(cursor: duckdb.DuckDBPyConnection) -> frozenset[str]:
    """Return the names (and aliases) of DuckDB's settings, lower case, read once."""
    global _ENGINE_SETTINGS
    if _ENGINE_SETTINGS is None:
        rows = cursor.execute("SELECT name, aliases FROM duckdb_settings()").fetchall()
        names = [each for name, aliases in rows for each in (name, *(aliases or ()))]
        _ENGINE_SETTINGS = frozenset(name.lower() for name in names)
    return _ENGINE_SETTINGS


def milliseconds(value: str) -> float:
    """Return a PostgreSQL time setting ('8s', '500ms', '1min', '2000': milliseconds) in
    milliseconds, or raise QueryError (22023) for anything else."""
    match = _TIME_VALUE.match(value.strip("'\""))
    if match is None:
        raise QueryError(
            f'invalid value for parameter "statement_timeout": "{value}"',
            hint='valid units for this parameter are "us", "ms", "s", "min", "h", and "d"',
            sqlstate="22023",
        )
    return float(match.group(1)) * _TIME_UNITS[match.group(2) or "ms"]


def unquote(value: str) -> str:
    """Return a name or value without its quotes (a doubled quote inside stands for one)."""
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1].replace(value[0] * 2, value[0])
    return value
