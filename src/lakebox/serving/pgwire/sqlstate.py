"""The SQLSTATE a client gets for an error: the one the error names, else one read from
DuckDB's kind of error and its message."""

from __future__ import annotations

from lakebox.errors import LakeboxError, QueryInterrupted


def sqlstate(error: LakeboxError) -> str:
    """Return the SQLSTATE a client gets for `error`."""
    given = error.fields.get("sqlstate")
    if isinstance(given, str):
        return given
    if isinstance(error, QueryInterrupted):
        return "57014"
    message = error.message
    if message.startswith("only reading statements"):
        return "25006"
    if message.startswith(("the SQL does not parse", "send one statement")):
        return "42601"
    kind = error.fields.get("kind", "")
    if kind == "ParserException":
        return "42601"
    if kind == "CatalogException" and "does not exist" in message:
        return "42883" if "Function" in message else "42P01"
    if kind == "BinderException" and "not found" in message:
        return "42703"
    return _BY_KIND.get(str(kind), "XX000")


_BY_KIND = {
    "ConversionException": "22P02",
    "OutOfRangeException": "22003",
    "PermissionException": "42501",
    "InterruptException": "57014",
}
