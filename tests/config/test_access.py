"""The `access:` section of lakebox.yaml: defaults, a full section, and errors that name the
file and the line of the key at fault (also for references between keys and items of lists)."""

from __future__ import annotations

import pytest

from lakebox import config
from lakebox.errors import ConfigError

HEAD = "name: shop\naccess:\n"
FULL = (
    HEAD
    + """\
  roles:
    eu_analyst:
      description: analysts of the EU
      extends: analyst
      read: [formatted.sales, "formatted.customers.*", "analytics.forecast_?"]
      can: [query, sandboxes]
  tags:
    pii: ["*.*.email", formatted.customers.phone]
  masks:
    - {tag: pii, mask: hash}
    - column: formatted.customers.birth_date
      mask: year
      unmasked_for: [admin, eu_analyst]
  row_filters:
    - table: formatted.sales
      where: region = user.region
  session_hours: 8
  token_days: 30
  login_attempts: 10
"""
)


def refused(text: str) -> str:
    """Return the message of the ConfigError `text` raises."""
    with pytest.raises(ConfigError) as caught:
        config.parse(text, "p/lakebox.yaml")
    return str(caught.value)


def test_no_section_is_none_and_an_empty_one_has_the_defaults():
    assert config.parse("name: shop\n").access is None
    empty = config.parse(HEAD.replace("access:\n", "access: {}\n")).access
    assert empty is not None and (empty.roles, empty.tags, empty.masks) == ({}, {}, [])
    assert (empty.session_hours, empty.token_days, empty.login_attempts) == (12.0, 90, 5)


def test_a_full_section_is_valid():
    section = config.parse(FULL).access
    role = section.roles["eu_analyst"]
    assert (role.extends, role.can) == ("analyst", ["query", "sandboxes"])
    assert section.masks[0].tag == "pii" and section.masks[0].unmasked_for == ["admin"]
    assert section.masks[1].unmasked_for == ["admin", "eu_analyst"]
    assert section.row_filters[0].unfiltered_for == ["admin"]
    assert (section.session_hours, section.token_days, section.login_attempts) == (8, 30, 10)


@pytest.mark.parametrize(
    ("old", "new", "line", "where", "message"),
    [
        (
            "extends: analyst",
            "extends: analysts",
            6,
            "access.roles.eu_analyst.extends",
            "role eu_analyst extends unknown role 'analysts'",
        ),
        (
            "{tag: pii, mask: hash}",
            "{tag: secret, mask: hash}",
            12,
            "access.masks.0.tag",
            "mask of unknown tag 'secret': declare it under tags",
        ),
        (
            "unmasked_for: [admin, eu_analyst]",
            "unmasked_for: [admin, boss]",
            15,
            "access.masks.1.unmasked_for",
            "unknown role 'boss'",
        ),
        (
            "      where: region = user.region\n",
            "      where: region = user.region\n      unfiltered_for: [boss]\n",
            19,
            "access.row_filters.0.unfiltered_for",
            "unknown role 'boss'",
        ),
        (
            '"analytics.forecast_?"',
            "formatted.customers.email.x",
            7,
            "access.roles.eu_analyst.read",
            "read grant 'formatted.customers.email.x' is not zone, zone.table or zone.table.column",
        ),
        (
            "read: [formatted.sales,",
            "read: [formatted sales,",
            7,
            "access.roles.eu_analyst.read",
            "read grant 'formatted sales' is not",
        ),
        (
            "formatted.customers.phone]",
            "formatted.phone]",
            10,
            "access.tags.pii",
            "tagged column 'formatted.phone' is not zone.table.column",
        ),
        (
            "column: formatted.customers.birth_date",
            "column: customers.birth_date",
            13,
            "access.masks.1.column",
            "masked column 'customers.birth_date' is not zone.table.column",
        ),
        (
            "{tag: pii, mask: hash}",
            "{tag: pii, column: a.b.c, mask: hash}",
            12,
            "access.masks.0",
            "a mask names either a column (zone.table.column) or a tag",
        ),
        ("mask: year", "mask: blur", 14, "access.masks.1.mask", "Input should be 'null'"),
        (
            "table: formatted.sales",
            "table: sales",
            17,
            "access.row_filters.0.table",
            "row filter table 'sales' must be zone.table",
        ),
        (
            "can: [query, sandboxes]",
            "can: [query, fly]",
            8,
            "access.roles.eu_analyst.can.1",
            "Input should be 'query', 'sandboxes', 'train', 'runs', 'describe' or 'admin'",
        ),
        ("    eu_analyst:\n", "    EU:\n", 3, "access.roles", "role name 'EU' must be lower-case"),
        ("session_hours: 8", "session_hours: 0", 19, "access.session_hours", "greater than 0"),
        ("token_days: 30", "token_days: 9999", 20, "access.token_days", "less than or equal"),
        (
            "login_attempts: 10",
            "login_attemps: 10",
            21,
            "access.login_attemps",
            "unknown key 'login_attemps'",
        ),
    ],
)
def test_errors_name_the_line_of_the_key_at_fault(old, new, line, where, message):
    assert old in FULL
    text = refused(FULL.replace(old, new, 1))
    assert text.startswith(f"p/lakebox.yaml:{line}: {where}: "), text
    assert message in text
    assert text.endswith("see docs/configuration.md for every key")


def test_a_custom_role_may_extend_the_built_in_one_of_its_name():
    section = config.parse(HEAD + "  roles:\n    analyst: {extends: analyst, read: [ops]}\n")
    assert section.access.roles["analyst"].extends == "analyst"


def test_a_role_extending_itself_without_a_built_in_of_that_name_is_a_circle():
    text = refused(HEAD + "  roles:\n    solo: {extends: solo}\n")
    assert text.startswith("p/lakebox.yaml:4: access.roles.solo.extends: ")
    assert "roles extend each other in a circle: solo -> solo" in text


def test_roles_extending_each_other_in_a_circle_are_refused_on_the_extends_line():
    roles = "  roles:\n    a:\n      extends: b\n    b:\n      extends: c\n    c: {extends: a}\n"
    text = refused(HEAD + roles)
    assert text.startswith("p/lakebox.yaml:5: access.roles.a.extends: "), text
    assert "roles extend each other in a circle: a -> b -> c -> a" in text
