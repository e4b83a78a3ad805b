"""Physical metadata as short plain text, the same at every door (`lakebox describe`, the
table page): setting values, sizes, schema changes and how one landing object was read."""

from __future__ import annotations

from lakebox.governance.physical import Change, SchemaVersion
from lakebox.governance.reading import setting_order

# Characters a delimiter or quote may be that would not show as themselves.
_NAMED = {"\t": "tab", " ": "space", "": '""'}
_UNITS = ("B", "KiB", "MiB", "GiB", "TiB")


def setting_text(value: object) -> str:
    """Return a reader setting's value as text: yes/no, lists and mappings joined, a tab
    or a space named."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str):
        return _NAMED.get(value, value if value.isprintable() else repr(value))
    if isinstance(value, list | tuple):
        return ", ".join(setting_text(item) for item in value) or "none"
    if isinstance(value, dict):
        parts = (f"{key}: {setting_text(item)}" for key, item in value.items())
        return ", ".join(parts) or "none"
    return str(value)


def size_text(size: int | None) -> str:
    """Return a size in bytes as text, e.g. `1.4 KiB` (`` when unknown)."""
    if size is None:
        return ""
    value, unit = float(size), 0
    while value >= 1024 and unit < len(_UNITS) - 1:
        value, unit = value / 1024, unit + 1
    return f"{size} B" if unit == 0 else f"{value:.1f} {_UNITS[unit]}"


def change_text(change: Change) -> str:
    """Return one schema change, e.g. `widened n int → long`, `added channel (string)`."""
    if change.change in ("widened", "changed"):
        return f"{change.change} {change.column} {change.previous} → {change.type}"
    if change.change == "renamed":
        return f"renamed {change.previous} → {change.column}"
    return f"{change.change} {change.column} ({change.type})"


def version_text(version: SchemaVersion) -> str:
    """Return what a schema version did: its changes, or its columns for the first."""
    if version.changes:
        return "; ".join(change_text(change) for change in version.changes)
    return f"{len(version.columns)} columns"


def read_text(read_with: dict[str, dict[str, object]] | None) -> str:
    """Return how one landing object was read, e.g. `csv; encoding cp1252; delimiter ;`
    (`not recorded` for an object formatted before lakebox recorded it)."""
    if not read_with:
        return "not recorded"
    return "; ".join(
        setting_text(read_with[name].get("value"))
        if name == "format"
        else f"{name.replace('_', ' ')} {setting_text(read_with[name].get('value'))}"
        for name in sorted(read_with, key=setting_order)
    )
