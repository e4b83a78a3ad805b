"""The `glossary:` section and a source's `docs:` block: what they accept, and errors that name
the file and the line at fault (an unknown term, a column described twice, a bad tag)."""

from __future__ import annotations

import pytest

from lakebox import config
from lakebox.errors import ConfigError

PROJECT = """\
name: shop
glossary:
  terms:
    revenue:
      definition: Money received for goods sold, before tax.
      synonyms: [sales, turnover]
      owner: Finance
      columns: [formatted.sales.amount]
    PM2.5: {definition: Fine particles.}
sources:
  sales:
    path: in/*.csv
    description: Every sale of the shops.
    columns:
      amount: {type: DOUBLE, description: The sale's amount in euros.}
    docs:
      owner: Finance
      tags: [money, daily-export]
      terms: [Revenue]
      columns:
        amount: {tags: [money], terms: [turnover]}
        shop: {description: The shop that sold it., tags: [pii]}
"""


def refused(text: str) -> str:
    with pytest.raises(ConfigError) as caught:
        config.parse(text)
    return caught.value.message


def test_a_glossary_and_a_docs_block_are_read():
    parsed = config.parse(PROJECT)
    revenue = parsed.glossary.terms["revenue"]
    assert revenue.synonyms == ["sales", "turnover"]
    assert revenue.columns == ["formatted.sales.amount"]
    docs = parsed.sources["sales"].docs
    assert (docs.owner, docs.terms) == ("Finance", ["Revenue"])
    assert docs.tags == ["money", "daily-export"]
    assert docs.columns["shop"].description == "The shop that sold it."
    assert parsed.glossary.find("TURNOVER") == "revenue"
    assert parsed.glossary.find("pm2.5") == "PM2.5"
    assert parsed.glossary.find("profit") is None


def test_without_a_glossary_there_are_no_terms_and_sources_need_no_docs():
    parsed = config.parse("name: shop\nsources:\n  sales: {path: in/*.csv}\n")
    assert parsed.glossary.terms == {}
    assert parsed.sources["sales"].docs.model_dump() == {
        "owner": None,
        "tags": [],
        "terms": [],
        "columns": {},
    }


def test_a_term_the_glossary_lacks_is_refused_at_its_source():
    message = refused(PROJECT.replace("terms: [turnover]", "terms: [profit]"))
    assert message.startswith("lakebox.yaml:16: sources.sales.docs: source sales: unknown")
    assert "'profit'" in message and "revenue" in message


def test_a_column_described_in_two_places_is_refused():
    text = PROJECT.replace("amount: {tags: [money]", "amount: {description: Twice., tags: [money]")
    assert "column amount is described twice" in refused(text)


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("tags: [money, daily-export]", "tags: [Money]", "tag 'Money' must be lower-case"),
        ("    PM2.5:", "    PM2/5:", "term 'PM2/5' must be letters"),
        ("[sales, turnover]", "[sales, pm2.5]", ":9: glossary.terms.PM2.5: terms 'revenue' and"),
        ("[formatted.sales.amount]", "[sales.amount]", "must be zone.table.column"),
        ("synonyms: [sales, turnover]", "synonyms: [' sales']", "synonym ' sales' must be"),
    ],
)
def test_wrong_glossary_and_docs_keys_name_their_line(old, new, expected):
    text = PROJECT.replace(old, new)
    assert text != PROJECT
    message = refused(text)
    assert expected in message
    assert message.startswith("lakebox.yaml:")
