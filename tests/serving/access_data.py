"""The project the access-control tests share: customers with personal data, a model over
them, and an `access:` section with a custom role reading some columns, masks of each kind
by column and by tag, and a row filter on a user's attribute."""

from __future__ import annotations

from collections.abc import Mapping

from lakebox.access.control import access_control
from lakebox.lakehouse import Lakehouse

CUSTOMERS = (
    "id,name,email,region,ssn,born\n"
    "1,Ann,ann@example.com,EU,111-22-3333,1980-05-17\n"
    "2,Bob,bob@example.org,US,444-55-6666,1975-01-02\n"
    "3,Cid,cid@example.net,EU,777-88-9999,1990-12-30\n"
)
PEOPLE = "SELECT id, name, ssn FROM formatted.customers"  # models/people.sql
ACCESS = {
    "roles": {
        "eu_analyst": {
            "extends": "analyst",
            "read": [f"formatted.customers.{c}" for c in ("id", "name", "email", "region", "born")],
        }
    },
    "tags": {"pii": ["*.*.email"]},
    "masks": [
        {"tag": "pii", "mask": "partial"},
        {"column": "formatted.customers.born", "mask": "year"},
        {"column": "exploitation.people.ssn", "mask": "hash", "unmasked_for": ["admin"]},
    ],
    "row_filters": [{"table": "formatted.customers", "where": "region = user.region"}],
}
# values a restricted user never sees (Bob's row is filtered out of formatted.customers)
CLEAR = ("111-22-3333", "ann@example.com", "bob@example.org", "1980-05-17")


def user_tokens(
    lh: Lakehouse,
    users: Mapping[str, list[str] | tuple[list[str], dict[str, str]]],
    password: str | None = None,
) -> dict[str, str]:
    """Add each user (`name: roles` or `name: (roles, attributes)`) to the project, with
    `password` when given; return a token of each, by name."""
    control = access_control(lh)
    found = {}
    for name, value in users.items():
        roles, attributes = value if isinstance(value, tuple) else (value, {})
        control.users.add(name, roles, password, attributes=attributes)
        found[name] = control.tokens.create(name, "tests", 1)[1]
    return found
