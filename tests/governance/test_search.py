"""Search over the dictionary and the glossary: each rule ranks where it says (an exact name,
then a prefix, words of a name, a tag or term, words of a description), ties list terms,
tables, then columns, and a user finds only what they may read."""

from __future__ import annotations

import pytest

from lakebox.access.principal import Principal
from lakebox.config.access import AccessConfig
from lakebox.config.glossary import GlossaryConfig
from lakebox.governance.dictionary import Dictionary, Entry, TableDocs
from lakebox.governance.search import search

GLOSSARY = GlossaryConfig.model_validate(
    {
        "terms": {
            "store": {"definition": "A shop of ours.", "synonyms": ["shop"]},
            "footfall": {"definition": "Visitors a store receives in a day."},
        }
    }
)


def _table(table: str, description: str, columns: dict[str, Entry], **fields) -> TableDocs:
    entry = Entry(table, "", description, **fields)
    return TableDocs(entry, tuple(columns.values()))


def _column(table: str, column: str, description: str | None = None, **fields) -> Entry:
    return Entry(table, column, description, **fields)


FOUND = Dictionary(
    {
        "exploitation.stores": _table(
            "exploitation.stores",
            "One row per store.",
            {"store_id": _column("exploitation.stores", "store_id", "The store's id.")},
            tags=("reference",),
        ),
        "exploitation.store_days": _table(
            "exploitation.store_days",
            "Visitors per store and day.",
            {
                "visitors": _column(
                    "exploitation.store_days", "visitors", "People counted.", terms=("footfall",)
                ),
                "local_day": _column("exploitation.store_days", "local_day", tags=("time",)),
            },
        ),
        "formatted.counts": _table(
            "formatted.counts",
            "Raw counts from the sensors.",
            {"count": _column("formatted.counts", "count", "People counted in the hour.")},
            terms=("store",),
        ),
    }
)


def _ranked(text: str, found: Dictionary = FOUND) -> list[tuple[str, str, int]]:
    return [(hit.kind, hit.name, hit.score) for hit in search(text, found, GLOSSARY)]


def test_an_exact_name_comes_before_a_prefix_before_words_of_a_name():
    assert _ranked("store")[:4] == [
        ("term", "store", 100),
        ("table", "exploitation.stores", 80),  # `stores` starts with it
        ("table", "exploitation.store_days", 80),
        ("column", "exploitation.stores.store_id", 80),
    ]
    assert ("column", "exploitation.stores.store_id", 60) in _ranked("id")


def test_a_full_name_matches_exactly_and_words_may_be_started():
    assert _ranked("exploitation.stores.store_id")[0] == (
        "column",
        "exploitation.stores.store_id",
        100,
    )
    assert _ranked("day local") == [("column", "exploitation.store_days.local_day", 60)]
    assert _ranked("STORE DA")[0] == ("table", "exploitation.store_days", 60)


def test_a_tag_or_a_term_and_its_synonyms_rank_above_a_description():
    assert _ranked("reference") == [("table", "exploitation.stores", 40)]
    assert _ranked("time") == [("column", "exploitation.store_days.local_day", 40)]
    assert _ranked("shop") == [
        ("term", "store", 100),  # a synonym is a name of its term
        ("table", "formatted.counts", 40),
    ]
    assert _ranked("footfall")[:2] == [
        ("term", "footfall", 100),
        ("column", "exploitation.store_days.visitors", 40),
    ]


def test_a_description_matches_when_it_holds_every_word():
    assert _ranked("people counted") == [
        ("column", "formatted.counts.count", 20),  # the shorter name first
        ("column", "exploitation.store_days.visitors", 20),
    ]
    assert _ranked("sensors raw")[0] == ("table", "formatted.counts", 20)
    hit = search("people counted", FOUND, GLOSSARY)[0]
    assert hit.why == "the text's words start words of the description"
    assert hit.description == "People counted in the hour."


@pytest.mark.parametrize("text", ["", "   ", "--", "zzz", "x" * 10_000])
def test_nothing_to_find_finds_nothing(text):
    assert search(text, FOUND, GLOSSARY) == []


def test_a_limit_keeps_the_best():
    assert len(search("store", FOUND, GLOSSARY, limit=2)) == 2


def test_a_user_finds_only_the_tables_and_columns_they_read():
    reads = ["exploitation.stores.store_id", "exploitation.store_days"]
    access = AccessConfig.model_validate({"roles": {"partial": {"read": reads}}})
    seen = FOUND.narrowed(Principal("p", ("partial",), {}, access))
    assert _ranked("people counted", seen) == [("column", "exploitation.store_days.visitors", 20)]
    assert ("term", "store", 100) in _ranked("store", seen)  # terms are not data
    assert "formatted.counts" not in {name for _, name, _ in _ranked("counts", seen)}


def test_a_column_ranks_by_its_own_name_and_bookkeeping_columns_come_last():
    found = Dictionary(
        {
            "exploitation.stores": _table(
                "exploitation.stores",
                "One row per store.",
                {
                    "city": _column("exploitation.stores", "city", "The city."),
                    "_batch_id": _column("exploitation.stores", "_batch_id", "The batch."),
                    "batch_size": _column("exploitation.stores", "batch_size", "Rows."),
                },
            )
        }
    )
    ranked = _ranked("store", found)
    assert ("column", "exploitation.stores.city", 80) not in ranked  # its table's name only
    assert [name for _, name, _ in _ranked("batch", found)] == [
        "exploitation.stores.batch_size",
        "exploitation.stores._batch_id",
    ]
