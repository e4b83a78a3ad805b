"""The `access:` section: roles and what they may read and do, column tags, column masks and
row filters. Users, their passwords and tokens are never here: they live in the catalog
database (`lakebox users`, `lakebox tokens`). With an `access:` section, every request to a
served project needs a user, and what is not granted is refused."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from lakebox.config.base import Strict, identifiers

BUILTIN_ROLES = ("admin", "engineer", "analyst", "viewer")
# What a role may do besides reading tables: write its own SQL (console, API, pg-wire), use
# sandboxes, train models, start runs, administer users, tokens and the audit log.
Ability = Literal["query", "sandboxes", "train", "runs", "admin"]
ABILITIES: tuple[str, ...] = ("query", "sandboxes", "train", "runs", "admin")
MaskKind = Literal["null", "redact", "hash", "partial", "year"]
# zone, zone.table or zone.table.column; `*` and `?` match as in file names
_PATTERN = re.compile(r"[A-Za-z0-9_*?\[\]-]+(\.[A-Za-z0-9_*?\[\]-]+){0,2}")
_COLUMN_PATTERN = re.compile(r"[A-Za-z0-9_*?\[\]-]+\.[A-Za-z0-9_*?\[\]-]+\.[A-Za-z0-9_*?\[\]-]+")
_TABLE = re.compile(r"[a-z_][a-z0-9_]*\.[A-Za-z_][A-Za-z0-9_]*")


def _patterns(values: list[str], what: str, shape: re.Pattern[str] = _PATTERN) -> list[str]:
    for value in values:
        if not shape.fullmatch(value):
            raise ValueError(f"{what} {value!r} is not zone, zone.table or zone.table.column")
    return values


class RoleConfig(Strict):
    """A role: the zones, tables and columns it reads and what else it may do."""

    description: str = ""
    extends: str | None = None  # another role whose reads and abilities it starts from
    read: list[str] = Field(default_factory=list)
    can: list[Ability] = Field(default_factory=list)

    @field_validator("read")
    @classmethod
    def _reads(cls, read: list[str]) -> list[str]:
        return _patterns(read, "read grant")


class MaskConfig(Strict):
    """A column mask: the columns it covers (by name pattern or by tag), how it hides them,
    and the roles that see the clear values (admin by default)."""

    column: str | None = None
    tag: str | None = None
    mask: MaskKind
    unmasked_for: list[str] = Field(default_factory=lambda: ["admin"])

    @model_validator(mode="after")
    def _one_target(self) -> MaskConfig:
        if (self.column is None) == (self.tag is None):
            raise ValueError("a mask names either a column (zone.table.column) or a tag")
        if self.column is not None:
            _patterns([self.column], "masked column", _COLUMN_PATTERN)
        return self


class RowFilterConfig(Strict):
    """A row filter: the table, the SQL predicate its rows must meet (it may use the user's
    attributes as `user.<name>`), and the roles that read every row (admin by default)."""

    table: str
    where: str = Field(min_length=1)
    unfiltered_for: list[str] = Field(default_factory=lambda: ["admin"])

    @field_validator("table")
    @classmethod
    def _table(cls, table: str) -> str:
        if not _TABLE.fullmatch(table):
            raise ValueError(f"row filter table {table!r} must be zone.table")
        return table


class AccessConfig(Strict):
    """Who may read and do what in a served project."""

    roles: dict[str, RoleConfig] = Field(default_factory=dict)
    tags: dict[str, list[str]] = Field(default_factory=dict)
    masks: list[MaskConfig] = Field(default_factory=list)
    row_filters: list[RowFilterConfig] = Field(default_factory=list)
    session_hours: float = Field(default=12.0, gt=0, le=24 * 30)
    token_days: int = Field(default=90, ge=1, le=3650)
    login_attempts: int = Field(default=5, ge=1, le=1000)

    @field_validator("roles")
    @classmethod
    def _role_names(cls, roles: dict[str, RoleConfig]) -> dict[str, RoleConfig]:
        return identifiers(roles, "role name")

    @field_validator("tags")
    @classmethod
    def _tags(cls, tags: dict[str, list[str]]) -> dict[str, list[str]]:
        for columns in identifiers(tags, "tag").values():
            _patterns(columns, "tagged column", _COLUMN_PATTERN)
        return tags

    @model_validator(mode="after")
    def _references(self) -> AccessConfig:
        known = set(BUILTIN_ROLES) | set(self.roles)
        for name, role in self.roles.items():
            if role.extends is not None and role.extends not in known:
                raise ValueError(f"role {name} extends unknown role {role.extends!r}")
        _no_cycle(self.roles)
        exempt = [
            *(m.unmasked_for for m in self.masks),
            *(f.unfiltered_for for f in self.row_filters),
        ]
        for role in (role for roles in exempt for role in roles):
            if role not in known:
                raise ValueError(f"unknown role {role!r} (roles: {', '.join(sorted(known))})")
        for mask in self.masks:
            if mask.tag is not None and mask.tag not in self.tags:
                raise ValueError(f"mask of unknown tag {mask.tag!r}: declare it under tags")
        return self


def _no_cycle(roles: dict[str, RoleConfig]) -> None:
    for name in roles:
        seen = [name]
        parent = roles[name].extends
        while parent in roles and not (parent == seen[-1] and parent in BUILTIN_ROLES):
            if parent in seen:
                raise ValueError(f"roles extend each other in a circle: {' -> '.join(seen)}")
            seen.append(parent)
            parent = roles[parent].extends
