"""What `lakebox access show` reads: every role resolved through `extends`, and the tables a
user may read with their columns, masks and row filters (and the attributes they lack)."""

from __future__ import annotations

from lakebox.access.overview import readable_tables, roles, used_attributes
from tests.access.conftest import access, principal

SECTION = """
roles:
  eu: {description: EU analysts, extends: analyst, read: [formatted.sales]}
  names: {extends: eu, read: [formatted.customers.id, formatted.customers.name]}
  viewer: {extends: viewer, read: [ops.runs]}
tags: {pii: ["*.*.email"]}
masks:
  - {tag: pii, mask: hash}
  - {column: formatted.customers.name, mask: partial}
row_filters:
  - {table: formatted.sales, where: "region = user.region AND team = user.team"}
"""


def test_roles_are_listed_built_in_first_and_resolved_through_extends():
    found = {role.name: role for role in roles(access(SECTION))}
    assert list(found) == ["admin", "engineer", "analyst", "viewer", "eu", "names"]
    assert found["names"].reads == [
        "formatted.customers.id",
        "formatted.customers.name",
        "formatted.sales",
        "exploitation",
        "analytics",
    ]
    assert found["names"].abilities == ["query", "sandboxes", "train"]
    assert (found["eu"].kind, found["eu"].extends, found["eu"].description) == (
        "custom",
        "analyst",
        "EU analysts",
    )
    assert found["viewer"].kind == "custom over built-in"
    assert found["viewer"].reads == ["ops.runs", "exploitation", "analytics"]
    assert found["viewer"].description.startswith("reads the exploitation")
    assert [role.name for role in roles(None)] == ["admin", "engineer", "analyst", "viewer"]


def test_a_users_tables_with_columns_masks_and_filters(tables):
    who = principal("names", SECTION, {"region": "EU"})
    views = {view.table: view for view in readable_tables(who, tables)}
    assert list(views) == ["exploitation.daily", "formatted.customers", "formatted.sales"]
    customers = views["formatted.customers"]
    assert customers.columns == ["id", "name"]
    assert customers.hidden_columns == ["email", "phone", "region", "birth_date"]
    assert customers.masks == {"name": "partial (column formatted.customers.name)"}
    sales = views["formatted.sales"]
    assert sales.columns is None and sales.row_filters == [
        "region = user.region AND team = user.team"
    ]
    assert sales.missing_attributes == ["team"]  # then no row passes
    assert views["exploitation.daily"].masks == {} and views["exploitation.daily"].row_filters == []


def test_the_attributes_a_filter_uses():
    assert used_attributes("region = user.region OR user.Team = 'x'") == ["region", "team"]
    assert used_attributes("amount > 10") == []
