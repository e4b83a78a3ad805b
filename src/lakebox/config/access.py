"""The `access:` section: roles and what they may read and do, column tags, column masks and
row filters. Users, their passwords and tokens are never here: they live in the catalog
database (`lakebox users`, `lakebox tokens`). With an `access:` section, every request to a
served project needs a user, and what is not granted is refused."""

from __future__ import annotations

import re
from typing import Literal, NoReturn

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from lakebox.config.base import Strict, identifiers

BUILTIN_ROLES = ("admin", "engineer", "analyst", "viewer")
# What a role may do besides reading tables: write its own SQL (console, API, pg-wire), use
# sandboxes, train models, start runs, edit the data dictionary, administer users, tokens and
# the audit log.
Ability = Literal["query", "sandboxes", "train", "runs", "describe", "admin"]
ABILITIES: tuple[str, ...] = ("query", "sandboxes", "train", "runs", "describe", "admin")
MaskKind = Literal["null", "redact", "hash", "partial", "year"]
# zone, zone.table or zone.table.column; `*` and `?` match as in file names
_PATTERN = re.compile(r"[A-Za-z0-9_*?\[\]-]+(\.[A-Za-z0-9_*?\[\]-]+){0,2}")
_COLUMN_PATTERN = re.compile(r"[A-Za-z0-9_*?\[\]-]+\.[A-Za-z0-9_*?\[\]-]+\.[A-Za-z0-9_*?\[\]-]+")
_TABLE = re.compile(r"[a-z_][a-z0-9_]*\.[A-Za-z_][A-Za-z0-9_]*")


def _refuse(location: tuple[str | int, ...], message: str, value: object) -> NoReturn:
    """Raise a validation error at `location` in the section, so the error names the line of
    the key at fault (a role's `extends`, a mask's `tag`) rather than the section's."""
    error = PydanticCustomError("value_error", "Value error, {message}", {"message": message})
    details = InitErrorDetails(type=error, loc=location, input=value)
    raise ValidationError.from_exception_data("AccessConfig", [details])


def _patterns(values: list[str], what: str, shape: re.Pattern[str] = _PATTERN) -> list[str]:
    expected = (
        "zone.table.column" if shape is _COLUMN_PATTERN else "zone, zone.table or zone.table.column"
    )
    for value in values:
        if not shape.fullmatch(value):
            raise ValueError(f"{what} {value!r} is not {expected} (* and ? match as in file names)")
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

    @field_validator("column")
    @classmethod
    def _column(cls, column: str | None) -> str | None:
        if column is not None:
            _patterns([column], "masked column", _COLUMN_PATTERN)
        return column

    @model_validator(mode="after")
    def _one_target(self) -> MaskConfig:
        if (self.column is None) == (self.tag is None):
            raise ValueError("a mask names either a column (zone.table.column) or a tag")
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
        return identifiers(tags, "tag")

    @model_validator(mode="after")
    def _references(self) -> AccessConfig:
        for tag, columns in self.tags.items():
            try:
                _patterns(columns, "tagged column", _COLUMN_PATTERN)
            except ValueError as error:
                _refuse(("tags", tag), str(error), columns)
        known = set(BUILTIN_ROLES) | set(self.roles)
        for name, role in self.roles.items():
            if role.extends is not None and role.extends not in known:
                message = (
                    f"role {name} extends unknown role {role.extends!r} "
                    f"(roles: {', '.join(sorted(known))})"
                )
                _refuse(("roles", name, "extends"), message, role.extends)
        _no_cycle(self.roles)
        for kind, rules, key in (
            ("masks", self.masks, "unmasked_for"),
            ("row_filters", self.row_filters, "unfiltered_for"),
        ):
            for index, rule in enumerate(rules):
                for role in getattr(rule, key):
                    if role not in known:
                        message = f"unknown role {role!r} (roles: {', '.join(sorted(known))})"
                        _refuse((kind, index, key), message, role)
        for index, mask in enumerate(self.masks):
            if mask.tag is not None and mask.tag not in self.tags:
                message = f"mask of unknown tag {mask.tag!r}: declare it under tags"
                _refuse(("masks", index, "tag"), message, mask.tag)
        return self


def _no_cycle(roles: dict[str, RoleConfig]) -> None:
    for name in roles:
        seen = [name]
        parent = roles[name].extends
        while parent in roles and not (parent == seen[-1] and parent in BUILTIN_ROLES):
            if parent in seen:
                circle = " -> ".join([*seen, parent])
                message = f"roles extend each other in a circle: {circle}"
                _refuse(("roles", name, "extends"), message, roles[name].extends)
            seen.append(parent)
            parent = roles[parent].extends
