"""`Principal`: who asks, with the roles they hold and what those let them read and do —
the tables and columns, the masks on columns and the filters on rows — worked out once from
the `access:` section of lakebox.yaml and the user's record."""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from functools import cached_property

from lakebox.config.access import ABILITIES, AccessConfig, RoleConfig

ALL_ZONES = ("landing", "formatted", "quarantine", "exploitation", "analytics", "ops")
BUILTIN: dict[str, RoleConfig] = {
    "admin": RoleConfig(
        description="reads everything and may do everything", read=["*"], can=list(ABILITIES)
    ),
    "engineer": RoleConfig(
        description="reads every zone, writes SQL, runs pipelines, uses sandboxes, trains and "
        "edits the data dictionary",
        read=list(ALL_ZONES),
        can=["query", "sandboxes", "train", "runs", "describe"],
    ),
    "analyst": RoleConfig(
        description="reads the exploitation and analytics zones, writes SQL, uses sandboxes",
        read=["exploitation", "analytics"],
        can=["query", "sandboxes", "train"],
    ),
    "viewer": RoleConfig(
        description="reads the exploitation and analytics zones through pages and dashboards",
        read=["exploitation", "analytics"],
    ),
}
LOCAL_USER = "local"
AUDIT_TABLE = ("ops", "audit")


@dataclass(frozen=True)
class ColumnMask:
    """How one column is hidden: the kind of mask and the rule that asks for it."""

    kind: str
    rule: str


@dataclass(frozen=True)
class Principal:
    """A user (or the local single user) and the grants of their roles under `access`."""

    name: str
    roles: tuple[str, ...]
    attributes: dict[str, str] = field(default_factory=dict)
    access: AccessConfig | None = None  # None: the single-user mode, where all is allowed

    @classmethod
    def local(cls, name: str = LOCAL_USER) -> Principal:
        """Return the single user of a project without `access:` (or the CLI's user)."""
        return cls(name, ("admin",))

    @property
    def restricted(self) -> bool:
        """Whether anything may be refused, masked or filtered for this user."""
        return self.access is not None and not (self.is_admin and not self._admin_policies)

    @property
    def is_admin(self) -> bool:
        return "admin" in self.abilities

    @cached_property
    def _admin_policies(self) -> bool:
        """Whether a mask or filter applies to this admin too (one not exempting admin)."""
        assert self.access is not None
        held = set(self.roles)
        masks = any(not held & set(mask.unmasked_for) for mask in self.access.masks)
        return masks or any(not held & set(f.unfiltered_for) for f in self.access.row_filters)

    @cached_property
    def _grants(self) -> tuple[tuple[str, ...], frozenset[str]]:
        reads: list[str] = []
        abilities: set[str] = set()
        for role in self.roles:
            for config in self._lineage(role):
                reads.extend(config.read)
                abilities.update(config.can)
        return tuple(dict.fromkeys(reads)), frozenset(abilities)

    def _lineage(self, role: str) -> list[RoleConfig]:
        """Return the role's config and those it extends (a custom role over a built-in one
        of the same name extends the built-in)."""
        custom = self.access.roles if self.access is not None else {}
        found: list[RoleConfig] = []
        name: str | None = role
        prefer_custom = True
        while name is not None and len(found) < 32:
            config = custom.get(name) if prefer_custom else None
            is_custom = config is not None
            config = config or BUILTIN.get(name)
            if config is None:
                break
            found.append(config)
            following = config.extends
            # a custom role extending its own name extends the built-in one of that name
            prefer_custom = not (is_custom and following == name)
            name = following
        return found

    @property
    def reads(self) -> tuple[str, ...]:
        """The read grants of the user's roles: zone, zone.table or zone.table.column."""
        return self._grants[0] if self.access is not None else ("*",)

    @property
    def abilities(self) -> frozenset[str]:
        """What the user may do besides reading: query, sandboxes, train, runs, describe,
        admin."""
        return self._grants[1] if self.access is not None else frozenset(ABILITIES)

    def can(self, ability: str) -> bool:
        return ability in self.abilities

    def may_read_table(self, zone: str, table: str) -> bool:
        """Whether any grant covers table `zone.table` (the whole of it or some columns).
        The audit log (`ops.audit`), which says who read what, is for admins, and for roles
        granted it by name."""
        if (zone.lower(), table.lower()) == AUDIT_TABLE:
            return self.is_admin or any(g.lower().startswith("ops.audit") for g in self.reads)
        if zone.lower() == "quarantine" and self.row_filters("formatted", table):
            return False  # its rows are the formatted table's, with no column to filter on
        return any(_covers_table(grant, zone, table) for grant in self.reads)

    def readable_columns(self, zone: str, table: str, columns: list[str]) -> list[str]:
        """Return which of the table's `columns` the user may read (all, some or none)."""
        whole = any(_covers_whole(grant, zone, table) for grant in self.reads)
        if whole:
            return list(columns)
        return [c for c in columns if any(_covers_column(g, zone, table, c) for g in self.reads)]

    def mask_of(self, zone: str, table: str, column: str) -> ColumnMask | None:
        """Return the mask hiding `zone.table.column` from this user, or None: a mask naming
        the column comes before one by tag. A quarantine table keeps its source's rows as
        they came: its columns take the masks of the formatted table's, and its whole source
        line (`_raw`) and the reason it was refused (`_reason`, which may quote a value) are
        redacted when the formatted table has any mask or row filter."""
        if self.access is None:
            return None
        if zone == "quarantine":
            return self._quarantine_mask(table, column)
        return self._mask(zone, table, column)

    def _quarantine_mask(self, table: str, column: str) -> ColumnMask | None:
        if column in ("_raw", "_reason") and self._guards("formatted", table):
            return ColumnMask("redact", f"the masks and row filters of formatted.{table}")
        return self._mask("quarantine", table, column) or self._mask("formatted", table, column)

    def _guards(self, zone: str, table: str) -> bool:
        """Whether any mask or row filter of this user covers a column or the rows of
        `zone.table`."""
        assert self.access is not None
        held, identifier = set(self.roles), f"{zone}.{table}"
        patterns = [
            m.column for m in self.access.masks if m.column and not held & set(m.unmasked_for)
        ]
        tags = {m.tag for m in self.access.masks if m.tag and not held & set(m.unmasked_for)}
        patterns += [p for tag in tags for p in self.access.tags.get(str(tag), [])]
        covered = any(_matches(identifier, p.rsplit(".", 1)[0]) for p in patterns)
        return covered or bool(self.row_filters(zone, table))

    def _mask(self, zone: str, table: str, column: str) -> ColumnMask | None:
        assert self.access is not None
        held = set(self.roles)
        identifier = f"{zone}.{table}.{column}"
        tagged = self._tags_of(identifier)
        chosen = None
        for mask in self.access.masks:
            if held & set(mask.unmasked_for):
                continue
            if mask.column is not None and _matches(identifier, mask.column):
                return ColumnMask(mask.mask, f"column {mask.column}")
            if chosen is None and mask.tag is not None and mask.tag in tagged:
                chosen = ColumnMask(mask.mask, f"tag {mask.tag}")
        return chosen

    def _tags_of(self, identifier: str) -> set[str]:
        assert self.access is not None
        return {
            tag
            for tag, patterns in self.access.tags.items()
            if any(_matches(identifier, pattern) for pattern in patterns)
        }

    def row_filters(self, zone: str, table: str) -> list[str]:
        """Return the predicates the rows of `zone.table` must meet for this user."""
        if self.access is None:
            return []
        return self._filters(zone, table)

    def _filters(self, zone: str, table: str) -> list[str]:
        assert self.access is not None
        held, identifier = set(self.roles), f"{zone}.{table}".lower()
        rules = self.access.row_filters
        return [
            r.where
            for r in rules
            if r.table.lower() == identifier and not held & set(r.unfiltered_for)
        ]


def _matches(identifier: str, pattern: str) -> bool:
    return fnmatch.fnmatchcase(identifier.lower(), pattern.lower())


def _covers_table(grant: str, zone: str, table: str) -> bool:
    parts = grant.split(".")
    if parts == ["*"]:
        return True
    if not fnmatch.fnmatchcase(zone.lower(), parts[0].lower()):
        return False
    return len(parts) == 1 or fnmatch.fnmatchcase(table.lower(), parts[1].lower())


def _covers_whole(grant: str, zone: str, table: str) -> bool:
    return len(grant.split(".")) < 3 and _covers_table(grant, zone, table)


def _covers_column(grant: str, zone: str, table: str, column: str) -> bool:
    return len(grant.split(".")) == 3 and _matches(f"{zone}.{table}.{column}", grant)
