"""The business glossary: the terms of lakebox.yaml's `glossary:` section, each with the
columns (and tables) that carry it — those the term names, and those whose dictionary entries
link it (declared, edited or inherited) — and, for a term's page, each column's lineage: the
upstream chain of columns it comes from, through the lineage graph."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lakebox.access.principal import Principal
from lakebox.config.glossary import GlossaryConfig
from lakebox.errors import DictionaryError
from lakebox.governance.dictionary import Dictionary, Entry
from lakebox.governance.graph import Graph
from lakebox.governance.views import readable_by, step_rows

GLOSSARY = "glossary"


@dataclass(frozen=True)
class Carrier:
    """A column (or a table: `column` "") that carries a term, and how it came to."""

    table: str
    column: str
    via: str  # "glossary", "dictionary", "inherited from zone.table.column" or "inherited"
    description: str | None = None

    @property
    def id(self) -> str:
        return f"{self.table}.{self.column}" if self.column else self.table


@dataclass(frozen=True)
class Term:
    """A business term and what carries it."""

    name: str
    definition: str
    synonyms: tuple[str, ...]
    owner: str | None
    carriers: tuple[Carrier, ...]

    def row(self) -> dict[str, Any]:
        """Return the term as JSON-able data."""
        return {
            "term": self.name,
            "definition": self.definition,
            "synonyms": list(self.synonyms),
            "owner": self.owner,
            "tables": [c.table for c in self.carriers if not c.column],
            "columns": [
                {"table": c.table, "column": c.column, "via": c.via, "description": c.description}
                for c in self.carriers
                if c.column
            ],
        }


def terms(glossary: GlossaryConfig, found: Dictionary) -> list[Term]:
    """Return every term, by name, with the tables and columns of `found` that carry it
    (narrow `found` first to show a user only what they may read)."""
    linked = _linked(found)
    known = {entry.id: entry for entry in found.entries()}
    listed = []
    for name, config in sorted(glossary.terms.items(), key=lambda item: item[0].casefold()):
        carriers = dict(linked.get(name, {}))
        for column in config.columns:
            entry = known.get(column)
            if entry is not None:  # a column not in the dictionary is one the user may not read
                carriers[column] = Carrier(entry.table, entry.column, GLOSSARY, entry.description)
        ordered = tuple(carriers[key] for key in sorted(carriers))
        listed.append(Term(name, config.definition, tuple(config.synonyms), config.owner, ordered))
    return listed


def term(glossary: GlossaryConfig, found: Dictionary, name: str) -> Term:
    """Return the term `name` (its name or a synonym, in any case); raise DictionaryError
    (404) when the glossary has none."""
    canonical = glossary.find(name)
    if canonical is None:
        raise DictionaryError(
            f"the glossary has no term {name[:80]!r}",
            hint="'lakebox glossary' lists the terms",
            status=404,
        )
    return next(item for item in terms(glossary, found) if item.name == canonical)


def _linked(found: Dictionary) -> dict[str, dict[str, Carrier]]:
    """Return, by term, the entries of `found` that link it."""
    linked: dict[str, dict[str, Carrier]] = {}
    for entry in found.entries():
        for name in entry.terms:
            linked.setdefault(name, {})[entry.id] = Carrier(
                entry.table, entry.column, _via(entry, name), entry.description
            )
    return linked


def _via(entry: Entry, name: str) -> str:
    if entry.terms_from:
        return f"inherited from {entry.terms_from}"
    return "inherited" if entry.terms_inherited else "dictionary"  # from a column not shown


def upstream_of(graph: Graph, carrier: Carrier, who: Principal) -> list[dict[str, object]]:
    """Return the upstream chain of a carrying column, nearest first, through the tables and
    columns `who` may read (the rows of `views.step_rows`): never through a column they are
    not granted, nor to the landing column it is read from."""
    kept = readable_by(graph, who)
    if carrier.id not in kept.nodes:
        return []
    return step_rows(kept.walk(carrier.id, "upstream"))
