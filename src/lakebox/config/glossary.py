"""The `glossary:` section: the business terms analysts use, each with its definition,
synonyms, owner and the columns that carry it (`zone.table.column`). Dictionary entries link
columns and tables to terms by name (or synonym)."""

from __future__ import annotations

import re

from pydantic import Field, field_validator, model_validator

from lakebox.config.base import Strict, refuse
from lakebox.config.docs import MAX_DESCRIPTION, MAX_OWNER

TERM = re.compile(r"[^\W_](?:[\w .'-]{0,78}[^\W_])?")
COLUMN = re.compile(r"[a-z_][a-z0-9_]*\.[^.\s]+\.[^.\s]+")


def term_name(value: str, what: str = "term") -> str:
    """Return `value` if it is a term's name (letters, digits, spaces, `.`, `'`, `_` and
    `-`, at most 80), else raise ValueError."""
    if not TERM.fullmatch(value):
        raise ValueError(
            f"{what} {value!r} must be letters, digits, spaces, . ' _ and - (at most 80, "
            "starting and ending with a letter or digit)"
        )
    return value


class TermConfig(Strict):
    """One business term."""

    definition: str = Field(min_length=1, max_length=MAX_DESCRIPTION)
    synonyms: list[str] = Field(default_factory=list)
    owner: str | None = Field(default=None, max_length=MAX_OWNER)
    columns: list[str] = Field(default_factory=list)

    @field_validator("synonyms")
    @classmethod
    def _synonyms(cls, synonyms: list[str]) -> list[str]:
        return [term_name(synonym, "synonym") for synonym in synonyms]

    @field_validator("columns")
    @classmethod
    def _columns(cls, columns: list[str]) -> list[str]:
        for column in columns:
            if not COLUMN.fullmatch(column):
                raise ValueError(f"term column {column!r} must be zone.table.column")
        return list(dict.fromkeys(columns))


class GlossaryConfig(Strict):
    """The project's business terms by name."""

    terms: dict[str, TermConfig] = Field(default_factory=dict)

    @field_validator("terms")
    @classmethod
    def _names(cls, terms: dict[str, TermConfig]) -> dict[str, TermConfig]:
        for name in terms:
            term_name(name)
        return terms

    @model_validator(mode="after")
    def _apart(self) -> GlossaryConfig:
        seen: dict[str, str] = {}
        for name, term in self.terms.items():
            for word in (name, *term.synonyms):
                other = seen.setdefault(word.casefold(), name)
                if other != name:
                    message = f"terms {other!r} and {name!r} both go by {word!r}"
                    refuse(("terms", name), message, word)
        return self

    def find(self, name: str) -> str | None:
        """Return the term `name` is (its name or a synonym, in any case), or None."""
        wanted = name.strip().casefold()
        for term, config in self.terms.items():
            if wanted in (word.casefold() for word in (term, *config.synonyms)):
                return term
        return None

    def canonical(self, names: list[str], where: str) -> list[str]:
        """Return the terms `names` stand for; raise ValueError naming one that is none."""
        found = []
        for name in names:
            term = self.find(name)
            if term is None:
                known = ", ".join(sorted(self.terms)) or "none: add a glossary: section"
                raise ValueError(f"{where}: unknown glossary term {name!r} (terms: {known})")
            found.append(term)
        return list(dict.fromkeys(found))
