"""Grant changes in the audit log: those the command line makes (users, their roles and
attributes, tokens), and those made by editing the `access:` section of lakebox.yaml — noticed
by the first lakebox process (`serve`, `pg`, `run`, the access commands) that opens the
project after the edit, which records what changed."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from lakebox.access.control import AccessControl
from lakebox.access.local import cli_entry
from lakebox.access.store import ready, seen_table

SECTION = "access"
# the settings of the section that are one value each (the rest are named lists)
SETTINGS = ("session_hours", "token_days", "login_attempts")


def grant_change(control: AccessControl, detail: str) -> None:
    """Audit a grant change the command line's user made, written at once."""
    control.record(cli_entry("grant change", detail=detail))
    control.audit.flush()


def note_config(control: AccessControl) -> str | None:
    """Audit a change of the `access:` section since any lakebox process last saw it (also
    its first sighting, and its removal); return what changed, or None when nothing did.
    Of processes starting at once, only one records a given change."""
    section = _section(control)
    text = json.dumps(section, sort_keys=True)
    digest = hashlib.sha256(text.encode()).hexdigest()
    engine = ready(control.lh.catalog.sql_engine)
    with engine.connect() as connection:
        row = connection.execute(
            sa.select(seen_table.c.digest, seen_table.c.section).where(seen_table.c.name == SECTION)
        ).first()
    if row is not None and row.digest == digest:
        return None
    if not _claim(engine, row.digest if row is not None else None, digest, text):
        return None  # another process noted this change first
    before = json.loads(row.section) if row is not None else None
    detail = describe_change(before, section, first=row is None)
    if detail is not None:
        control.record(cli_entry("grant change", detail=f"lakebox.yaml {detail}"))
        control.audit.flush()
    return detail


def _section(control: AccessControl) -> dict[str, Any] | None:
    return control.config.model_dump(mode="json") if control.configured else None


def _claim(engine: sa.Engine, old: str | None, digest: str, text: str) -> bool:
    """Record `digest` as last seen, if what was last seen is still `old`."""
    values = {"digest": digest, "section": text, "seen_at": datetime.now(UTC)}
    with engine.begin() as connection:
        if old is None:
            try:
                with connection.begin_nested():
                    connection.execute(seen_table.insert().values(name=SECTION, **values))
            except sa.exc.IntegrityError:
                return False
            return True
        changed = connection.execute(
            seen_table.update()
            .where(seen_table.c.name == SECTION, seen_table.c.digest == old)
            .values(**values)
        )
        return changed.rowcount == 1


def describe_change(
    before: dict[str, Any] | None, after: dict[str, Any] | None, first: bool = False
) -> str | None:
    """Return a summary of how the access section went from `before` to `after` (None: no
    section), naming roles, tags, masks and row filters — never a predicate's text."""
    if before is None and after is None:
        return None
    if after is None:
        return "access: section removed (on 127.0.0.1 no user is needed any more)"
    if before is None:
        verb = "first seen" if first else "added"
        return f"access: section {verb}: {_contents(after)}"
    parts = [
        *_named("role", before["roles"], after["roles"]),
        *_named("tag", before["tags"], after["tags"]),
        *_named("mask", _masks(before), _masks(after)),
        *_named("row filter", _filters(before), _filters(after)),
        *(
            f"{name} {before[name]} -> {after[name]}"
            for name in SETTINGS
            if before[name] != after[name]
        ),
    ]
    return f"access: {'; '.join(parts)}" if parts else None


def _contents(section: dict[str, Any]) -> str:
    roles = ", ".join(sorted(section["roles"])) or "none"
    tags = ", ".join(sorted(section["tags"])) or "none"
    return (
        f"roles {roles}; tags {tags}; {len(section['masks'])} mask(s); "
        f"{len(section['row_filters'])} row filter(s)"
    )


def _masks(section: dict[str, Any]) -> dict[str, list[Any]]:
    return _grouped(
        section["masks"],
        lambda m: f"on column {m['column']}" if m["column"] else f"of tag {m['tag']}",
    )


def _filters(section: dict[str, Any]) -> dict[str, list[Any]]:
    return _grouped(section["row_filters"], lambda rule: f"on {rule['table']}")


def _grouped(items: list[Any], key: Callable[[Any], str]) -> dict[str, list[Any]]:
    found: dict[str, list[Any]] = {}
    for item in items:
        found.setdefault(key(item), []).append(item)
    return found


def _named(kind: str, before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """Return `kind X added`, `removed` and `changed` for the entries of two sections."""
    parts = [f"{kind} {name} added" for name in sorted(set(after) - set(before))]
    parts += [f"{kind} {name} removed" for name in sorted(set(before) - set(after))]
    changed = sorted(name for name in set(before) & set(after) if before[name] != after[name])
    for name in changed:
        keys = _changed_keys(before[name], after[name])
        parts.append(f"{kind} {name} changed" + (f" ({', '.join(keys)})" if keys else ""))
    return parts


def _changed_keys(before: Any, after: Any) -> list[str]:
    if isinstance(before, list) and isinstance(after, list) and len(before) == len(after) == 1:
        before, after = before[0], after[0]
    if isinstance(before, dict) and isinstance(after, dict):
        return sorted(key for key in set(before) | set(after) if before.get(key) != after.get(key))
    return []
