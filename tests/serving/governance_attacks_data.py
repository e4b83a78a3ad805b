"""The project the governance doors' attack tests share: customers with a social security
number, a payroll only engineers read, models passing and computing columns from them, checks
whose names name their tables and columns, a glossary term, and users reading zones, some
columns, or the landing manifest in part."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import yaml
from fastapi.testclient import TestClient

import lakebox
from lakebox.access.control import access_control
from lakebox.orchestration.runner import run
from lakebox.serving.app import create_app
from tests.conftest import write_file

CUSTOMERS = "id,name,ssn,region\n1,Ann,111-22-3333,north\n2,Bob,444-55-6666,south\n"
PAYROLL = "emp_id,salary\n1,100\n2,200\n"
MODELS = {
    "people": "SELECT id, name, ssn, region FROM formatted.customers",
    "codes": "SELECT id, upper(ssn) AS code FROM formatted.customers",
    "pay": "SELECT sum(salary) AS total FROM formatted.payroll",
}
CODES_DOCS = "columns:\n  code: {terms: [customer]}\n"  # models/codes.yaml
DOCUMENT = {
    "name": "guarded-docs",
    "engine": {"memory_limit": "1GB", "threads": 2},
    "glossary": {"terms": {"customer": {"definition": "Someone who bought."}}},
    "checks": {
        "formatted.payroll": [{"not_null": ["salary"]}],
        "exploitation.people": [{"not_null": ["ssn"]}, {"unique": ["id"]}],
    },
    "sources": {
        "customers": {
            "path": "in/customers/*.csv",
            "docs": {
                "columns": {
                    "ssn": {"description": "Social security number.", "terms": ["customer"]}
                }
            },
        },
        "payroll": {"path": "in/payroll/*.csv"},
    },
    "access": {
        "roles": {
            # two columns of exploitation.people, all of exploitation.codes, the id of
            # formatted.customers (not its ssn)
            "partial": {
                "read": [
                    "exploitation.people.id",
                    "exploitation.people.region",
                    "exploitation.codes",
                    "formatted.customers.id",
                ]
            },
            # the landing manifest's batch ids only
            "batches": {
                "extends": "viewer",
                "read": ["formatted.customers", "landing.manifest.batch_id"],
            },
        }
    },
}
# vic: exploitation and analytics; paul: the columns above; bea: the manifest's batch ids
USERS = {"root": ["admin"], "vic": ["viewer"], "paul": ["partial"], "bea": ["batches"]}


def password(user: str) -> str:
    return f"{user}-password-1"


def build(folder: Path) -> Iterator[lakebox.Lakehouse]:
    """Write the project into `folder`, run it, add the users; yield it open."""
    (folder / "lakebox.yaml").write_text(yaml.safe_dump(DOCUMENT, sort_keys=False))
    write_file(folder / "in" / "customers", "a.csv", CUSTOMERS)
    write_file(folder / "in" / "payroll", "a.csv", PAYROLL)
    for name, sql in MODELS.items():
        write_file(folder / "models", f"{name}.sql", sql)
    write_file(folder / "models", "codes.yaml", CODES_DOCS)
    with lakebox.open(folder) as lh:
        assert run(lh).ok
        control = access_control(lh)
        for name, roles in USERS.items():
            control.users.add(name, roles, password(name))
        yield lh


def logged_in(lh: lakebox.Lakehouse, user: str) -> TestClient:
    """Return a TestClient of the real app with `user`'s UI session (its cookie)."""
    client = TestClient(create_app(lh, timeout=10), base_url="http://127.0.0.1")
    answer = client.post("/login", data={"user": user, "password": password(user)})
    assert answer.status_code == 200, answer.text
    return client


def bearer(lh: lakebox.Lakehouse, user: str) -> dict[str, str]:
    """Return the headers sending a new token of `user`."""
    return {"Authorization": f"Bearer {access_control(lh).tokens.create(user, 'tests', 1)[1]}"}
