"""The data dictionary of a real project: what is declared in each of the three places beside
the code (a source's lakebox.yaml keys, a model's YAML file, a model's SQL comments), what a
passed-through column inherits, and edits kept with their author, time and history."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

import lakebox
from lakebox.access.principal import Principal
from lakebox.config.access import AccessConfig
from lakebox.errors import CatalogError, DictionaryError, ModelError
from lakebox.governance import edits
from lakebox.governance.declared import sql_comments
from lakebox.governance.dictionary import Dictionary, dictionary
from lakebox.governance.editing import edit, entry_docs, may_describe
from lakebox.orchestration.runner import run
from tests.conftest import write_file

PROJECT = {
    "name": "shop",
    "engine": {"memory_limit": "1GB", "threads": 2},
    "glossary": {
        "terms": {
            "revenue": {
                "definition": "Money received for goods sold.",
                "synonyms": ["turnover"],
                "columns": ["exploitation.daily.total"],
            },
            "shop": {"definition": "A store of ours.", "synonyms": ["store"]},
        }
    },
    "sources": {
        "sales": {
            "path": "in/sales/*.csv",
            "description": "Every sale of the shops.",
            "columns": {
                "amount": {"type": "DOUBLE", "description": "The sale's amount in euros."},
                "day": {"type": "DATE", "description": "The day of the sale."},
            },
            "docs": {
                "owner": "Finance",
                "tags": ["money"],
                "columns": {
                    "shop": {
                        "description": "The shop that sold it.",
                        "tags": ["reference"],
                        "terms": ["Store"],
                    }
                },
            },
        },
        "returns": {
            "path": "in/returns/*.csv",
            "columns": {"shop": {"type": "VARCHAR", "description": "The shop that took it."}},
        },
    },
}
MODELS = {
    "cleaned.sql": (
        "-- Paid sales only,\n"
        "-- one row each.\n"
        "-- checks:\n"
        "--   - not_null: [shop]\n"
        "SELECT\n"
        "    shop,\n"
        "    day,\n"
        "    amount,\n"
        "    amount * 1.21 AS gross -- amount with VAT\n"
        "FROM formatted.sales WHERE amount > 0\n"
    ),
    "daily.sql": (
        "-- Sales per shop and day.\n"
        "SELECT shop, day, sum(amount) AS total -- summed amounts\n"
        "FROM exploitation.cleaned GROUP BY shop, day\n"
    ),
    "daily.yaml": (
        "description: Daily sales per shop.\n"
        "owner: Sales operations\n"
        "tags: [daily]\n"
        "columns:\n"
        "  total: {description: Sum of the day's paid amounts.}\n"
    ),
    "shops.sql": "SELECT shop FROM formatted.sales UNION ALL SELECT shop FROM formatted.returns\n",
}


def write_project(folder: Path, models: dict[str, str] = MODELS) -> Path:
    (folder / "lakebox.yaml").write_text(yaml.safe_dump(PROJECT, sort_keys=False))
    write_file(folder / "in" / "sales", "a.csv", "shop,day,amount\nBCN,2025-06-01,10\n")
    write_file(folder / "in" / "returns", "a.csv", "shop,day\nBCN,2025-06-02\n")
    for name, text in models.items():
        write_file(folder / "models", name, text)
    return folder


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[lakebox.Lakehouse]:
    """The project, run once (its tables exist); tests here only read it."""
    folder = write_project(tmp_path_factory.mktemp("dictionary"))
    with lakebox.open(folder) as lh:
        assert run(lh).ok
        yield lh


@pytest.fixture(scope="module")
def found(built: lakebox.Lakehouse) -> Dictionary:
    return dictionary(built)


@pytest.fixture
def fresh(tmp_path: Path) -> Iterator[lakebox.Lakehouse]:
    """The project, not run: the tests edit its dictionary."""
    with lakebox.open(write_project(tmp_path)) as lh:
        yield lh


def _entry(found: Dictionary, identifier: str):
    table, _, column = identifier.partition(".")[2].partition(".")
    docs = found.table(f"{identifier.split('.')[0]}.{table}")
    assert docs is not None, identifier
    entry = docs.column(column) if column else docs.entry
    assert entry is not None, identifier
    return entry


def test_a_source_is_described_by_its_lakebox_yaml_keys_and_docs_block(found):
    table = _entry(found, "formatted.sales")
    assert (table.description, table.described_by) == (
        "Every sale of the shops.",
        "lakebox.yaml sources.sales",
    )
    assert (table.owner, table.tags, table.terms) == ("Finance", ("money",), ())
    shop = _entry(found, "formatted.sales.shop")
    assert (shop.description, shop.tags, shop.terms) == (
        "The shop that sold it.",
        ("reference",),
        ("shop",),  # a synonym in the docs block names its term
    )
    assert _entry(found, "formatted.sales.amount").description == "The sale's amount in euros."
    assert _entry(found, "formatted.sales._batch_id").described_by == "lakebox"


def test_a_model_is_described_by_its_sql_comments(found):
    table = _entry(found, "exploitation.cleaned")
    assert table.description == "Paid sales only, one row each."  # not the checks block
    assert table.described_by == "models/cleaned.sql"
    gross = _entry(found, "exploitation.cleaned.gross")
    assert (gross.description, gross.described_by) == ("amount with VAT", "models/cleaned.sql")


def test_a_models_yaml_file_comes_before_its_comments(found):
    table = _entry(found, "exploitation.daily")
    assert (table.description, table.owner, table.tags) == (
        "Daily sales per shop.",
        "Sales operations",
        ("daily",),
    )
    total = _entry(found, "exploitation.daily.total")
    assert (total.description, total.described_by) == (
        "Sum of the day's paid amounts.",
        "models/daily.yaml",
    )
    assert total.terms == ("revenue",)  # the glossary names the column


def test_a_passed_through_column_inherits_from_the_column_that_declares_it(found):
    shop = _entry(found, "exploitation.daily.shop")  # through exploitation.cleaned
    assert (shop.description, shop.described_by, shop.inherited_from) == (
        "The shop that sold it.",
        "inherited",
        "formatted.sales.shop",
    )
    assert (shop.terms, shop.terms_from) == (("shop",), "formatted.sales.shop")
    assert shop.tags == ()  # tags describe a column where it is declared only
    assert _entry(found, "exploitation.cleaned.amount").inherited_from == "formatted.sales.amount"


def test_a_computed_column_and_one_of_disagreeing_upstreams_inherit_nothing(found):
    assert _entry(found, "exploitation.daily.day").inherited_from == "formatted.sales.day"
    shops = _entry(found, "exploitation.shops.shop")  # sales' shop and returns' shop
    assert (shops.description, shops.inherited_from) == (None, None)
    assert _entry(found, "exploitation.cleaned.gross").inherited_from is None


def test_sql_comments_of_every_kind_of_projection():
    sql = (
        "-- The table.\n--\n-- More of it.\nWITH a AS (SELECT 1 AS x -- not an output\n)\n"
        "SELECT\n  -- above the line\n  x, -- beside it\n  x + 1 AS y,\n  * \nFROM a"
    )
    assert sql_comments(sql) == ("The table. More of it.", {"x": "above the line beside it"})
    assert sql_comments("SELECT 1 AS x") == (None, {})
    assert sql_comments("-- broken\nSELEC x") == ("broken", {})


def test_an_edit_overrides_what_is_declared_and_flows_downstream(fresh):
    edit(fresh, "maria", "formatted.sales", "shop", {"description": "Where it was sold."})
    edit(fresh, "maria", "formatted.sales", "amount", {"description": "Paid, in euros."})
    found = dictionary(fresh)
    shop = _entry(found, "formatted.sales.shop")  # named by the docs block, not yet formatted
    assert (shop.description, shop.described_by, shop.edited_by) == (
        "Where it was sold.",
        "edited",
        "maria",
    )
    assert shop.tags == ("reference",)  # the fields not edited stay declared
    amount = _entry(found, "exploitation.cleaned.amount")
    assert (amount.description, amount.inherited_from) == (
        "Paid, in euros.",
        "formatted.sales.amount",
    )


def test_history_keeps_every_edit_newest_first_and_null_gives_the_declaration_back(fresh):
    edit(fresh, "maria", "exploitation.daily", "", {"owner": "Maria", "tags": ["kpi", "kpi"]})
    edit(fresh, "juan", "exploitation.daily", "", {"owner": None})
    edit(fresh, "juan", "exploitation.daily", "total", {"terms": ["TURNOVER"]})
    history = edits.history(fresh.catalog.sql_engine, "exploitation.daily")
    assert [(e.author, e.column, e.field, e.value) for e in history] == [
        ("juan", "total", "terms", ["revenue"]),
        ("juan", "", "owner", None),
        ("maria", "", "tags", ["kpi"]),
        ("maria", "", "owner", "Maria"),
    ]
    assert [e.field for e in edits.history(fresh.catalog.sql_engine, "exploitation.daily", "")] == [
        "owner",
        "tags",
        "owner",
    ]
    table = _entry(dictionary(fresh), "exploitation.daily")
    assert (table.owner, table.tags) == ("Sales operations", ("kpi",))
    assert table.edited_fields == ("tags",)


def test_an_emptied_description_is_kept_and_stops_inheriting(fresh):
    edit(fresh, "maria", "exploitation.cleaned", "amount", {"description": "  "})
    amount = _entry(dictionary(fresh), "exploitation.cleaned.amount")
    assert (amount.description, amount.inherited_from, amount.edited_fields) == (
        None,
        None,
        ("description",),
    )


@pytest.mark.parametrize(
    ("column", "changes", "expected"),
    [
        ("shop", {"owner": "x"}, "a column has no field 'owner'"),
        ("", {"colour": "red"}, "a table has no field 'colour'"),
        ("", {}, "nothing to change"),
        ("", {"terms": ["profit"]}, "unknown glossary term 'profit'"),
        ("", {"tags": ["Not A Tag"]}, "tag 'Not A Tag' must be lower-case"),
        ("", {"description": 5}, "description must be text"),
        ("", {"description": "x" * 4001}, "longer than 4000"),
        ("", {"tags": "kpi"}, "tags must be a list of text"),
        ("", {"tags": [f"t{n}" for n in range(21)]}, "more than 20"),
    ],
)
def test_a_wrong_edit_is_refused_and_not_kept(fresh, column, changes, expected):
    with pytest.raises(DictionaryError) as caught:
        edit(fresh, "maria", "formatted.sales", column, changes)
    assert expected in caught.value.message
    assert edits.history(fresh.catalog.sql_engine, "formatted.sales") == []


def test_an_unknown_table_or_column_is_not_found(found):
    with pytest.raises(CatalogError):
        entry_docs(found, "formatted.nope")
    with pytest.raises(CatalogError):
        entry_docs(found, "formatted.sales", "nope")


def test_only_users_given_describe_who_read_it_may_edit(found):
    access = AccessConfig.model_validate(
        {
            "roles": {
                "steward": {"extends": "viewer", "can": ["describe"]},
                "partial": {"read": ["formatted.sales.shop"], "can": ["describe"]},
            }
        }
    )
    assert may_describe(Principal("e", ("engineer",), {}, access), "formatted.sales", "amount")
    assert not may_describe(Principal("a", ("analyst",), {}, access), "exploitation.daily")
    steward = Principal("s", ("steward",), {}, access)
    assert may_describe(steward, "exploitation.daily", "total")
    assert not may_describe(steward, "formatted.sales")  # a viewer reads no formatted table
    partial = Principal("p", ("partial",), {}, access)
    assert may_describe(partial, "formatted.sales", "shop")
    assert not may_describe(partial, "formatted.sales", "amount")
    seen = found.narrowed(partial)
    assert list(seen.tables) == ["formatted.sales"]
    assert [c.column for c in seen.tables["formatted.sales"].columns] == ["shop"]


def test_a_models_yaml_file_with_errors_names_its_line(tmp_path):
    broken = {**MODELS, "daily.yaml": "description: x\ncolumns:\n  total: {colour: red}\n"}
    with lakebox.open(write_project(tmp_path, broken)) as lh, pytest.raises(ModelError) as caught:
        dictionary(lh)
    assert caught.value.message.endswith("daily.yaml:3: columns.total.colour: unknown key 'colour'")


def test_a_models_yaml_file_naming_an_unknown_term_is_refused(tmp_path):
    broken = {**MODELS, "daily.yaml": "terms: [profit]\n"}
    with lakebox.open(write_project(tmp_path, broken)) as lh, pytest.raises(ModelError) as caught:
        dictionary(lh)
    assert "unknown glossary term 'profit'" in caught.value.message
    assert caught.value.fields["file"] == "models/daily.yaml"
