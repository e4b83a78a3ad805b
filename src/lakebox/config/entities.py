"""The `entities:` section: records of a customer, a supplier, … in several tables, linked,
deduplicated and merged into one golden record each."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from lakebox.config.base import IDENTIFIER, Strict, identifiers

ENTITY_COMPARISONS = ("name", "forename", "surname", "email", "date", "fuzzy", "exact")
SURVIVORSHIP_RULES = ("most_recent", "most_frequent", "source_priority")

Survivorship = Literal["most_recent", "most_frequent", "source_priority"]


class EntitySourceConfig(Strict):
    """One table holding records of an entity, and how its columns map to the entity's."""

    table: str
    id: str
    priority: int | None = Field(default=None, ge=0)
    columns: dict[str, str] = Field(default_factory=dict)

    @field_validator("table")
    @classmethod
    def _zone_dot_table(cls, value: str) -> str:
        zone, _, name = value.partition(".")
        if zone not in ("formatted", "exploitation") or not IDENTIFIER.fullmatch(name):
            raise ValueError(
                f"table {value!r} is not a formatted or exploitation table; write it as "
                "zone.table, e.g. formatted.crm_customers"
            )
        return value

    @field_validator("columns")
    @classmethod
    def _entity_column_names(cls, columns: dict[str, str]) -> dict[str, str]:
        return identifiers(columns, "entity column")


class SurvivorshipConfig(Strict):
    """Which record's value each column of the golden record takes."""

    default: Survivorship = "most_recent"
    columns: dict[str, Survivorship] = Field(default_factory=dict)

    @field_validator("default", mode="before")
    @classmethod
    def _known_default(cls, value: object) -> object:
        return SurvivorshipConfig.known_rule(value)

    @field_validator("columns", mode="before")
    @classmethod
    def _known_rules(cls, value: object) -> object:
        if isinstance(value, dict):
            return {column: SurvivorshipConfig.known_rule(rule) for column, rule in value.items()}
        return value

    @staticmethod
    def known_rule(value: object) -> object:
        """Return `value` when it names a survivorship rule, or raise ValueError."""
        if isinstance(value, str) and value not in SURVIVORSHIP_RULES:
            raise ValueError(
                f"unknown survivorship rule {value!r}; use {', '.join(SURVIVORSHIP_RULES)}"
            )
        return value

    def rule(self, column: str) -> str:
        """Return the rule that chooses `column`'s value."""
        return self.columns.get(column, self.default)


class EntityConfig(Strict):
    """An entity (a customer, a supplier) whose records in several tables are linked,
    deduplicated and merged into one golden record per real-world thing."""

    sources: list[EntitySourceConfig] = Field(min_length=1)
    compare: dict[str, str]
    blocking: list[list[str]] = Field(min_length=1)
    threshold: float = Field(default=0.9, gt=0, lt=1)
    recency: str = "updated_at"
    seed: int = 42
    survivorship: SurvivorshipConfig = Field(default_factory=SurvivorshipConfig)

    @field_validator("compare")
    @classmethod
    def _known_comparisons(cls, compare: dict[str, str]) -> dict[str, str]:
        if not compare:
            raise ValueError("'compare' needs at least one column, e.g. {email: email}")
        for column, kind in compare.items():
            if kind not in ENTITY_COMPARISONS:
                raise ValueError(
                    f"compare.{column}: unknown comparison {kind!r}; use "
                    f"{', '.join(ENTITY_COMPARISONS)}"
                )
        kinds = list(compare.values())
        if any(kinds.count(kind) > 1 for kind in ("forename", "surname")) or (
            ("forename" in kinds) != ("surname" in kinds)
        ):
            raise ValueError("'forename' and 'surname' come as a pair: one column each")
        return compare

    @field_validator("blocking", mode="before")
    @classmethod
    def _one_column_is_a_list(cls, value: object) -> object:
        return (
            [[rule] if isinstance(rule, str) else rule for rule in value]
            if isinstance(value, list)
            else value
        )

    @model_validator(mode="after")
    def _columns_mapped_everywhere(self) -> EntityConfig:
        needed = {*self.compare, *(column for rule in self.blocking for column in rule)}
        if self._uses_recency():
            needed.add(self.recency)
        for position, source in enumerate(self.sources, start=1):
            missing = sorted(needed - set(source.columns))
            if missing:
                raise ValueError(
                    f"source {source.table} does not map {', '.join(missing)}; add "
                    f"{missing[0]}: <its column> to its 'columns'"
                )
            if source.priority is None:
                source.priority = position
        return self

    @model_validator(mode="after")
    def _sources_apart(self) -> EntityConfig:
        tables = [source.table for source in self.sources]
        repeated = sorted({table for table in tables if tables.count(table) > 1})
        if repeated:
            raise ValueError(f"source {repeated[0]} is listed twice; list each table once")
        if any(not rule for rule in self.blocking):
            raise ValueError("a blocking rule needs at least one column, e.g. [email]")
        mapped = {column for source in self.sources for column in source.columns}
        unknown = sorted(set(self.survivorship.columns) - mapped)
        if unknown:
            raise ValueError(f"survivorship names {unknown[0]!r}, which no source maps")
        return self

    def _uses_recency(self) -> bool:
        rules = {self.survivorship.default, *self.survivorship.columns.values()}
        return bool(rules & {"most_recent", "most_frequent"})

    @property
    def columns(self) -> list[str]:
        """Return the entity's columns: every column a source maps, in first-seen order."""
        return list(dict.fromkeys(c for source in self.sources for c in source.columns))
