"""Descriptions, owners, tags and glossary terms of tables and columns, declared beside the
code: the `docs:` block of a source in lakebox.yaml, and the YAML file next to a model's SQL
(`models/<name>.yaml`). Tags here only describe: masks use the `access:` section's own tags."""

from __future__ import annotations

import re

from pydantic import Field, field_validator

from lakebox.config.base import Strict
from lakebox.config.models import IncrementalModelConfig

TAG = re.compile(r"[a-z0-9][a-z0-9_-]{0,39}")
MAX_DESCRIPTION = 4000
MAX_OWNER = 200
MAX_ITEMS = 20


def tags(values: list[str]) -> list[str]:
    """Return `values` if each is a tag (lower-case letters, digits, `_` and `-`), without
    repeats; else raise ValueError naming the first that is not."""
    for value in values:
        if not TAG.fullmatch(value):
            raise ValueError(
                f"tag {value!r} must be lower-case letters, digits, _ and - (at most 40)"
            )
    return list(dict.fromkeys(values))


class ColumnDocs(Strict):
    """What a column is: its description, tags and the glossary terms it carries."""

    description: str | None = Field(default=None, max_length=MAX_DESCRIPTION)
    tags: list[str] = Field(default_factory=list, max_length=MAX_ITEMS)
    terms: list[str] = Field(default_factory=list, max_length=MAX_ITEMS)

    @field_validator("tags")
    @classmethod
    def _tags(cls, value: list[str]) -> list[str]:
        return tags(value)


class SourceDocs(Strict):
    """The `docs:` block of a source: who owns its table, its tags and terms, and its
    columns' docs (the source's `description` keys stay the descriptions)."""

    owner: str | None = Field(default=None, max_length=MAX_OWNER)
    tags: list[str] = Field(default_factory=list, max_length=MAX_ITEMS)
    terms: list[str] = Field(default_factory=list, max_length=MAX_ITEMS)
    columns: dict[str, ColumnDocs] = Field(default_factory=dict)

    @field_validator("tags")
    @classmethod
    def _tags(cls, value: list[str]) -> list[str]:
        return tags(value)

    def all_terms(self) -> list[str]:
        """Return every term the block names, the table's and its columns'."""
        return [*self.terms, *(term for column in self.columns.values() for term in column.terms)]


class ModelDocs(SourceDocs):
    """A model's YAML file (`models/<name>.yaml`): its description too, and how it is built
    incrementally (read by the builder; see docs/models.md)."""

    description: str | None = Field(default=None, max_length=MAX_DESCRIPTION)
    incremental: IncrementalModelConfig | None = None
