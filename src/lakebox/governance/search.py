"""Search over the dictionary and the glossary: table, column and term names, descriptions,
definitions and tags, ranked by one rule each hit can name —

| score | rule |
|---|---|
| 100 | the text is the name (`stores`, `exploitation.stores.city`, a term or synonym) |
| 80 | the name starts with the text |
| 60 | every word of the text starts a word of the name (`store daily`) |
| 40 | the text is one of its tags or glossary terms (or a term's synonym) |
| 20 | every word of the text starts a word of its description (a term's definition) |

Equal scores list terms, then tables, then columns, shorter names first. Case does not
matter (`Store`, `STORE`); a search sees only the dictionary it is given (narrow it to a
user's grants first)."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any

from lakebox.config.glossary import GlossaryConfig
from lakebox.governance.dictionary import Dictionary, Entry

MAX_TEXT = 200
LIMIT = 50
RULES = (
    (100, "the name is the text"),
    (80, "the name starts with the text"),
    (60, "the text's words start words of the name"),
    (40, "a tag or glossary term is the text"),
    (20, "the text's words start words of the description"),
)
_KINDS = {"term": 0, "table": 1, "column": 2}
_WORD = re.compile(r"[^\W_]+")


@dataclass(frozen=True)
class Hit:
    """One thing found: its kind (table, column, term), its name, its description, and the
    rule that ranked it (`score`, `why`)."""

    kind: str
    name: str
    table: str | None
    column: str | None
    description: str | None
    score: int
    why: str

    def row(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class _Item:
    kind: str
    name: str
    names: tuple[str, ...]  # what counts as its name, folded
    labels: tuple[str, ...]  # its tags and terms, folded
    text: str  # its description or definition
    table: str | None = None
    column: str | None = None


def search(text: str, found: Dictionary, glossary: GlossaryConfig, limit: int = LIMIT) -> list[Hit]:
    """Return what matches `text` in `found` and the glossary, best first, at most `limit`."""
    query = " ".join(text.split())[:MAX_TEXT].casefold()
    if not _words(query):
        return []
    hits = []
    for item in _items(found, glossary):
        score = _score(query, item)
        if score:
            why = dict(RULES)[score]
            hits.append(
                Hit(item.kind, item.name, item.table, item.column, item.text or None, score, why)
            )
    hits.sort(
        key=lambda hit: (-hit.score, _bookkeeping(hit), _KINDS[hit.kind], len(hit.name), hit.name)
    )
    return hits[:limit]


def _bookkeeping(hit: Hit) -> bool:
    """Whether a hit is one of lakebox's own columns (`_batch_id` …), listed after the rest."""
    return bool(hit.column and hit.column.startswith("_"))


def _items(found: Dictionary, glossary: GlossaryConfig) -> list[_Item]:
    synonyms = {name: tuple(term.synonyms) for name, term in glossary.terms.items()}
    items = [_entry_item(entry, synonyms) for entry in found.entries()]
    for name, term in glossary.terms.items():
        names = tuple(word.casefold() for word in (name, *term.synonyms))
        items.append(_Item("term", name, names, (), term.definition))
    return items


def _entry_item(entry: Entry, synonyms: dict[str, tuple[str, ...]]) -> _Item:
    """Return an entry as searched: its names, and its tags and terms (with their synonyms)."""
    terms = [word for term in entry.terms for word in (term, *synonyms.get(term, ()))]
    labels = tuple(label.casefold() for label in (*entry.tags, *terms))
    if entry.column:
        names = (entry.column, f"{entry.table.partition('.')[2]}.{entry.column}", entry.id)
        kind = "column"
    else:
        names = (entry.table.partition(".")[2], entry.table)
        kind = "table"
    folded = tuple(name.casefold() for name in names)
    return _Item(
        kind, entry.id, folded, labels, entry.description or "", entry.table, entry.column or None
    )


def _score(query: str, item: _Item) -> int:
    if query in item.names:
        return 100
    own = item.names if item.kind == "term" else item.names[:1]  # not its table's or zone's
    if any(name.startswith(query) for name in own):
        return 80
    if any(_starts_words(query, name) for name in own):
        return 60
    if query in item.labels:
        return 40
    if _starts_words(query, item.text):
        return 20
    return 0


def _starts_words(query: str, text: str) -> bool:
    """Whether every word of `query` starts a word of `text`."""
    words = _words(text.casefold())
    return all(any(word.startswith(part) for word in words) for part in _words(query))


def _words(text: str) -> list[str]:
    return _WORD.findall(text)
