"""`Principal`: what the built-in and custom roles (through `extends`) let a user read and do,
column grants, the mask of a column (a mask naming it beats one by tag) and row filters."""

from __future__ import annotations

import pytest

from lakebox.access.principal import ALL_ZONES, Principal
from tests.access.conftest import principal

SECTION = """
roles:
  eu_analyst:
    description: analysts of the EU
    extends: analyst
    read: [formatted.sales]
  eu_lead:
    extends: eu_analyst
    read: ["formatted.customers.name", "formatted.customers.id"]
    can: [runs]
  engineer:
    extends: engineer
    read: [analytics]
    can: [admin]
  bare: {}
tags:
  pii: ["*.*.email", "formatted.customers.phone"]
masks:
  - {tag: pii, mask: redact}
  - {column: "formatted.customers.email", mask: partial, unmasked_for: [admin, eu_lead]}
  - {column: "*.*.birth_date", mask: year, unmasked_for: [admin, engineer]}
row_filters:
  - {table: formatted.sales, where: "region = user.region"}
  - {table: formatted.sales, where: "amount < 100", unfiltered_for: [admin, eu_lead]}
"""


def test_the_local_user_may_do_everything_and_is_never_restricted():
    local = Principal.local()
    assert (local.name, local.roles, local.restricted, local.is_admin) == (
        "local",
        ("admin",),
        False,
        True,
    )
    assert local.reads == ("*",) and local.can("runs") and local.can("admin")
    assert local.may_read_table("ops", "audit")
    assert local.mask_of("formatted", "customers", "email") is None
    assert local.row_filters("formatted", "sales") == []
    assert Principal.local("ann").name == "ann"


@pytest.mark.parametrize(
    ("role", "reads", "abilities"),
    [
        ("admin", ("*",), {"query", "sandboxes", "train", "runs", "describe", "admin"}),
        ("engineer", ALL_ZONES, {"query", "sandboxes", "train", "runs", "describe"}),
        ("analyst", ("exploitation", "analytics"), {"query", "sandboxes", "train"}),
        ("viewer", ("exploitation", "analytics"), set()),
    ],
)
def test_the_built_in_roles(role, reads, abilities):
    user = principal(role)
    assert user.reads == reads
    assert user.abilities == frozenset(abilities)
    assert user.is_admin == (role == "admin")
    assert user.restricted == (role != "admin")


def test_an_analyst_reads_exploitation_but_not_formatted_and_a_viewer_writes_no_sql():
    analyst, viewer = principal("analyst"), principal("viewer")
    assert analyst.may_read_table("exploitation", "daily")
    assert not analyst.may_read_table("formatted", "sales")
    assert not analyst.may_read_table("ops", "audit")
    assert analyst.can("query") and not viewer.can("query")
    assert viewer.may_read_table("analytics", "forecast_sales")


def test_extends_adds_the_reads_and_abilities_of_the_roles_below():
    eu = principal("eu_analyst", SECTION)
    assert eu.reads == ("formatted.sales", "exploitation", "analytics")
    assert eu.abilities == {"query", "sandboxes", "train"}
    lead = principal("eu_lead", SECTION)
    assert lead.reads == (
        "formatted.customers.name",
        "formatted.customers.id",
        "formatted.sales",
        "exploitation",
        "analytics",
    )
    assert lead.abilities == {"query", "sandboxes", "train", "runs"}


def test_a_custom_role_named_like_a_built_in_one_extends_it():
    engineer = principal("engineer", SECTION)
    assert engineer.reads == ("analytics", *(z for z in ALL_ZONES if z != "analytics"))
    assert engineer.is_admin  # it added admin to the built-in engineer's abilities


def test_a_role_with_no_grants_reads_nothing_and_several_roles_add_up():
    bare = principal("bare", SECTION)
    assert bare.reads == () and bare.abilities == frozenset()
    assert not bare.may_read_table("exploitation", "daily")
    both = principal(("bare", "viewer"), SECTION)
    assert both.may_read_table("exploitation", "daily")


def test_an_unknown_role_grants_nothing():
    assert principal("ghost", SECTION).reads == ()


def test_column_grants_open_the_table_but_only_those_columns():
    lead = principal("eu_lead", SECTION)
    columns = ["id", "name", "email", "phone"]
    assert lead.may_read_table("formatted", "customers")
    assert lead.readable_columns("formatted", "customers", columns) == ["id", "name"]
    assert lead.readable_columns("formatted", "sales", ["id", "amount"]) == ["id", "amount"]
    assert not lead.may_read_table("formatted", "orders")


def test_patterns_match_as_file_names_and_ignore_case():
    section = "roles:\n  r:\n    read: ['formatted.s*', 'analytics.forecast_?']\n"
    user = principal("r", section)
    assert user.may_read_table("formatted", "sales") and user.may_read_table("FORMATTED", "Stock")
    assert not user.may_read_table("formatted", "customers")
    assert user.may_read_table("analytics", "forecast_a")
    assert not user.may_read_table("analytics", "forecast_ab")


def test_a_mask_naming_the_column_beats_one_by_tag():
    eu = principal("eu_analyst", SECTION)
    email = eu.mask_of("formatted", "customers", "email")
    assert (email.kind, email.rule) == ("partial", "column formatted.customers.email")
    phone = eu.mask_of("formatted", "customers", "phone")
    assert (phone.kind, phone.rule) == ("redact", "tag pii")
    assert eu.mask_of("exploitation", "contacts", "email").kind == "redact"  # *.*.email
    assert eu.mask_of("formatted", "customers", "name") is None


def test_unmasked_for_lifts_that_mask_only():
    lead = principal("eu_lead", SECTION)
    # the partial mask lifts for eu_lead; the tag's redact still applies
    assert lead.mask_of("formatted", "customers", "email").kind == "redact"
    admin = principal("admin", SECTION)
    assert admin.mask_of("formatted", "customers", "email") is None
    assert principal("engineer", SECTION).mask_of("x", "y", "birth_date") is None
    assert principal("analyst", SECTION).mask_of("x", "y", "birth_date").kind == "year"


def test_row_filters_apply_unless_a_role_is_unfiltered():
    eu = principal("eu_analyst", SECTION, {"region": "EU"})
    assert eu.row_filters("formatted", "sales") == ["region = user.region", "amount < 100"]
    assert eu.row_filters("Formatted", "SALES") == eu.row_filters("formatted", "sales")
    assert principal("eu_lead", SECTION).row_filters("formatted", "sales") == [
        "region = user.region"
    ]
    assert principal("admin", SECTION).row_filters("formatted", "sales") == []
    assert eu.row_filters("formatted", "customers") == []


def test_an_admin_is_restricted_only_when_a_policy_reaches_admins():
    assert not principal("admin", SECTION).restricted
    reaching = "masks:\n  - {column: 'a.b.c', mask: 'null', unmasked_for: [engineer]}\n"
    admin = principal("admin", reaching)
    assert admin.restricted and admin.is_admin
    assert admin.mask_of("a", "b", "c").kind == "null"
