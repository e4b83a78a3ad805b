"""The one enforcement point, run on a real DuckDB: statements refused for a missing grant
(naming it), CTEs that would shadow a table, catalog listings narrowed, SHOW refused, masks
of each kind with the values they give, and row filters with the user's attributes."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from lakebox.access.principal import Principal
from lakebox.access.secure import secure
from lakebox.errors import AccessDenied
from tests.access.conftest import MASK_KEY, principal

SECTION = """
roles:
  eu: {extends: analyst, read: [formatted.sales, formatted.customers]}
  names: {read: [formatted.customers.id, formatted.customers.name], can: [query]}
tags:
  pii: ["*.*.email", "*.*.phone"]
masks:
  - {tag: pii, mask: redact}
  - {column: formatted.customers.email, mask: partial}
  - {column: formatted.customers.birth_date, mask: year}
  - {column: formatted.customers.name, mask: hash}
row_filters:
  - {table: formatted.sales, where: "region = user.region"}
"""
ANALYST = principal("analyst", SECTION, name="al")
EU = principal("eu", SECTION, {"region": "EU"}, name="eve")
NAMES = principal("names", SECTION, name="nat")


def rows(reader, tables, sql, who):
    """Return the rows `who` gets for `sql`, secured and run on `reader`."""
    secured = secure(sql, who, tables)
    return reader.execute(secured.sql).fetchall()


def refused(tables, sql, who) -> str:
    with pytest.raises(AccessDenied) as caught:
        secure(sql, who, tables)
    return caught.value.message


def test_a_table_without_a_grant_is_refused_naming_the_grant(tables):
    message = refused(tables, "SELECT * FROM formatted.customers", ANALYST)
    assert message.startswith("al may not read formatted.customers: no grant of read on ")
    assert "(or its zone formatted) in their roles (analyst)" in message


def test_granted_tables_read_as_they_are_for_an_unmasked_table(reader, tables):
    assert rows(reader, tables, "SELECT total FROM daily", ANALYST) == [(35,)]
    secured = secure("SELECT * FROM exploitation.daily", ANALYST, tables)
    assert secured.sql == "SELECT * FROM exploitation.daily"
    assert secured.reads == {"exploitation.daily": ["day", "total"]}


def test_a_cte_named_like_a_table_is_refused(tables):
    message = refused(tables, "WITH daily AS (SELECT 1 AS total) SELECT * FROM daily", ANALYST)
    assert "may not be named 'daily', like a table" in message
    sql = "WITH customers AS (SELECT 1 AS id) SELECT * FROM customers"
    assert "like a table" in refused(tables, sql, ANALYST)


def test_a_cte_hides_nothing_it_reads_and_names_only_its_own_scope(reader, tables):
    sql = "WITH x AS (SELECT * FROM formatted.customers) SELECT * FROM x"
    assert "may not read formatted.customers" in refused(tables, sql, ANALYST)
    inner = "SELECT * FROM (WITH x AS (SELECT 1 AS a) SELECT * FROM x) AS t, x"
    assert refused(tables, inner, ANALYST).startswith("no table x that al may read")
    scoped = "WITH x AS (SELECT total FROM daily) SELECT (SELECT max(total) FROM x) AS m"
    assert rows(reader, tables, scoped, ANALYST) == [(35,)]


def test_a_cte_reading_a_masked_table_sees_the_masked_values(reader, tables):
    sql = "WITH c AS (SELECT email FROM formatted.customers) SELECT * FROM c ORDER BY 1"
    assert rows(reader, tables, sql, EU) == [("a***@example.com",), ("b***@example.com",), (None,)]


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT table_schema || '.' || table_name FROM information_schema.tables",
        "SELECT schema_name || '.' || table_name FROM duckdb_tables()",
        "SELECT table_schema || '.' || table_name FROM information_schema.tables AS t",
    ],
)
def test_table_listings_show_only_what_the_user_may_read(reader, tables, sql):
    assert sorted(rows(reader, tables, sql, ANALYST)) == [("exploitation.daily",)]
    every = {row[0] for row in reader.execute(sql).fetchall()}
    assert {"formatted.customers", "ops.runs"} <= every


def test_column_listings_show_only_the_granted_columns(reader, tables):
    sql = (
        "SELECT table_name || '.' || column_name FROM information_schema.columns "
        "WHERE table_schema = 'formatted' ORDER BY 1"
    )
    assert rows(reader, tables, sql, NAMES) == [("customers.id",), ("customers.name",)]
    duck = "SELECT column_name FROM duckdb_columns() WHERE schema_name = 'formatted' ORDER BY 1"
    assert rows(reader, tables, duck, NAMES) == [("id",), ("name",)]


def test_show_is_refused_to_a_restricted_user_only(reader, tables):
    message = refused(tables, "SHOW TABLES", ANALYST)
    assert message == "SHOW is not open to users with grants"
    assert "SHOW ALL TABLES" in secure("SHOW ALL TABLES", Principal.local(), tables).sql


def test_catalog_qualified_names_are_checked_as_the_table_they_name(reader, tables):
    sql = "SELECT total FROM memory.exploitation.daily"
    assert rows(reader, tables, sql, ANALYST) == [(35,)]
    forbidden = refused(tables, "SELECT * FROM memory.formatted.customers", ANALYST)
    assert "may not read formatted.customers" in forbidden
    outside = refused(tables, "SELECT * FROM other.exploitation.daily", ANALYST)
    assert outside.startswith("other.exploitation.daily is outside the lakehouse")


def test_an_object_outside_the_zones_is_refused_whether_or_not_it_exists(tables):
    assert refused(tables, "SELECT * FROM main.secrets", ANALYST).startswith(
        "no table main.secrets that al may read"
    )
    assert refused(tables, "SELECT * FROM secrets", ANALYST).startswith("no table secrets")


def test_a_partial_column_grant_refuses_other_columns_by_name(reader, tables):
    message = refused(tables, "SELECT email FROM formatted.customers", NAMES)
    assert message.startswith("nat may not read column formatted.customers.email: no grant")
    assert "in their roles (names)" in message
    assert refused(tables, "SELECT id FROM formatted.customers WHERE phone IS NULL", NAMES)
    star = rows(reader, tables, "SELECT * FROM formatted.customers ORDER BY id", NAMES)
    assert [len(row) for row in star] == [2, 2, 2]  # id and (hashed) name only


def test_each_mask_hides_real_values_as_it_says(reader, tables):
    sql = "SELECT id, name, email, phone, birth_date FROM formatted.customers ORDER BY id"
    found = rows(reader, tables, sql, EU)

    def digest(text: str) -> str:
        return hmac.new(MASK_KEY, text.encode(), hashlib.sha256).hexdigest()

    assert found == [
        (1, digest("Ann Lee"), "a***@example.com", "[redacted]", 1990),  # hash, partial, …
        (2, digest("Bob"), "b***@example.com", None, 1985),  # redact keeps a NULL a NULL
        (3, digest("Cy"), None, "[redacted]", None),
    ]
    clear = reader.execute(sql).fetchall()
    assert clear[0][2] == "ann@example.com" and clear[0][3] == "+34 600 111 222"


def test_a_masked_column_stays_masked_in_joins_expressions_and_filters(reader, tables):
    joined = (
        "SELECT c.email, s.amount FROM formatted.sales s JOIN formatted.customers c "
        "ON c.id = s.customer_id ORDER BY s.id"
    )
    assert rows(reader, tables, joined, EU) == [("a***@example.com", 10), (None, 5)]
    probe = "SELECT count(*) FROM formatted.customers WHERE email = 'ann@example.com'"
    assert rows(reader, tables, probe, EU) == [(0,)]


def test_the_null_mask_and_partial_and_year_on_other_types(reader, tables):
    section = """
masks:
  - {column: formatted.customers.email, mask: "null"}
  - {column: formatted.customers.name, mask: partial}
  - {column: formatted.customers.id, mask: year}
  - {column: formatted.customers.region, mask: partial}
"""
    who = principal("engineer", section)
    sql = "SELECT email, name, id, region FROM formatted.customers"
    assert sorted(rows(reader, tables, sql, who), key=str) == [
        (None, "***", None, "***"),  # two characters or fewer: nothing shows
        (None, "A***e", None, "***"),
        (None, "B***b", None, "***"),
    ]


def test_a_row_filter_uses_the_users_attributes(reader, tables):
    assert rows(reader, tables, "SELECT id FROM formatted.sales ORDER BY id", EU) == [(1,), (3,)]
    us = principal("eu", SECTION, {"region": "US"})
    assert rows(reader, tables, "SELECT sum(amount) FROM formatted.sales", us) == [(20,)]


def test_a_row_filter_with_a_missing_attribute_gives_no_rows(reader, tables):
    nobody = principal("eu", SECTION, {})
    assert rows(reader, tables, "SELECT * FROM formatted.sales", nobody) == []


def test_an_attribute_is_a_value_never_sql(reader, tables):
    sly = principal("eu", SECTION, {"region": "EU' OR '1'='1"})
    assert rows(reader, tables, "SELECT * FROM formatted.sales", sly) == []


def test_an_admin_and_the_local_user_read_everything_as_it_is(reader, tables):
    for who in (principal("admin", SECTION), Principal.local()):
        secured = secure("SELECT email FROM formatted.customers WHERE id = 1", who, tables)
        assert reader.execute(secured.sql).fetchall() == [("ann@example.com",)]
        assert secured.reads == {"formatted.customers": ["email", "id"]}


def test_reads_name_the_columns_used_and_count_star_reads_none(tables):
    secured = secure("SELECT count(*) FROM formatted.sales", Principal.local(), tables)
    assert secured.reads == {"formatted.sales": []}
    star = secure("SELECT * FROM formatted.sales", Principal.local(), tables)
    assert star.reads == {"formatted.sales": ["amount", "customer_id", "id", "region"]}


def test_a_statement_that_cannot_be_parsed_is_refused_to_a_restricted_user(tables):
    assert "could not be checked against your grants" in refused(tables, "SELECT (((", ANALYST)
    assert secure("SELECT (((", Principal.local(), tables).sql == "SELECT ((("
