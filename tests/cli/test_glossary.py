"""`lakebox glossary` and `lakebox search` on a real project, in a subprocess: terms listed and
shown with their columns and lineage, JSON for scripts, an unknown term an error."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.conftest import lakebox, new_project

GLOSSARY = """
glossary:
  terms:
    revenue:
      definition: Money received for goods sold.
      synonyms: [turnover]
      owner: Finance
      columns: [formatted.sales.amount]
    refund: {definition: Money given back.}
"""


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = new_project(tmp_path_factory.mktemp("glossary"))
    with (project / "lakebox.yaml").open("a", encoding="utf-8") as file:
        file.write(GLOSSARY)
    (project / "models").mkdir(exist_ok=True)
    (project / "models" / "totals.sql").write_text(
        "-- Sales per id.\nSELECT id, amount -- what was paid\nFROM formatted.sales\n"
    )
    assert lakebox("run", "-q", cwd=project).returncode == 0
    return project


def test_glossary_lists_the_terms(shop):
    listed = lakebox("glossary", cwd=shop)
    assert listed.returncode == 0, listed.stderr
    assert "revenue" in listed.stdout and "Money given back." in listed.stdout
    as_json = json.loads(lakebox("glossary", "list", "--json", cwd=shop).stdout)
    assert [term["term"] for term in as_json] == ["refund", "revenue"]
    assert [
        (c["table"], c["column"], c["via"], c["description"]) for c in as_json[1]["columns"]
    ] == [
        ("exploitation.totals", "amount", "inherited from formatted.sales.amount", "what was paid"),
        ("formatted.sales", "amount", "glossary", None),
    ]


def test_glossary_show_gives_the_columns_with_their_lineage(shop):
    shown = lakebox("glossary", "show", "TURNOVER", "--json", cwd=shop)
    assert shown.returncode == 0, shown.stderr
    document = json.loads(shown.stdout)
    assert (document["term"], document["owner"]) == ("revenue", "Finance")
    upstream = document["columns"][0]["upstream"]
    assert [(step["id"], step["depth"]) for step in upstream] == [
        ("formatted.sales.amount", 1),
        ("landing.sales.amount", 2),
    ]
    text = lakebox("glossary", "show", "revenue", cwd=shop).stdout
    assert "revenue: Money received for goods sold." in text
    assert "1. formatted.sales.amount (passed)" in text and "2. landing.sales.amount" in text


def test_an_unknown_term_is_an_error(shop):
    missing = lakebox("glossary", "show", "profit", cwd=shop)
    assert missing.returncode == 1
    assert "the glossary has no term 'profit'" in missing.stderr


def test_search_ranks_names_then_descriptions(shop):
    found = lakebox("search", "amount", "--json", cwd=shop)
    assert found.returncode == 0, found.stderr
    hits = json.loads(found.stdout)
    assert [(hit["name"], hit["score"]) for hit in hits[:2]] == [
        ("formatted.sales.amount", 100),
        ("exploitation.totals.amount", 100),
    ]
    assert (
        lakebox("search", "what paid", "--limit", "1", "--json", cwd=shop).stdout.count('"name"')
        == 1
    )
    assert "nothing matches 'zzz'" in lakebox("search", "zzz", cwd=shop).stdout
