"""`GET /api/lineage/{node}` and `GET /api/impact/{node}` attacked by logged-in users with
narrow grants: neither a check's name (which names its table and columns), nor a "did you
mean" hint, nor a 403 told apart from a 404 may say that a table or column they may not
read exists."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

import lakebox
from lakebox.access.control import access_control
from lakebox.serving.app import create_app
from tests.serving.governance_attacks_data import bearer, build

HIDDEN_CHECK = "check:formatted.payroll/not_null(salary)"


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[lakebox.Lakehouse]:
    yield from build(tmp_path_factory.mktemp("lineage-attacks"))


@pytest.fixture(scope="module")
def get(project):
    client = TestClient(create_app(project, timeout=10), base_url="http://127.0.0.1")
    headers = {user: bearer(project, user) for user in ("root", "vic", "paul")}

    def send(user: str, path: str, **params: object):
        return client.get(path, headers=headers[user], params=params)

    return send


def test_a_check_of_a_table_not_granted_is_neither_suggested_nor_shown(project, get) -> None:
    assert get("root", f"/api/lineage/{HIDDEN_CHECK}").status_code == 200
    for path in (
        f"/api/lineage/{HIDDEN_CHECK}",
        f"/api/impact/{HIDDEN_CHECK}",
        "/api/lineage/check:formatted.payroll/not_null(nothing)",
    ):
        refused = get("vic", path)
        assert refused.status_code == 403, path
        assert refused.json()["error"].startswith("vic may not read formatted.payroll")
    entry = access_control(project).audit.entries(user="vic", limit=1)[0]
    assert entry["outcome"] == "refused"
    for typo in ("check:exploitation.peopl", "exploitation.peopl", "check:not_null(salary)"):
        answer = get("vic", f"/api/lineage/{typo}")
        assert answer.status_code == 404, typo
        hint = answer.json()["hint"]
        assert "payroll" not in hint and "salary" not in hint


def test_a_check_naming_a_column_not_granted_is_not_a_node(get) -> None:
    both = get("paul", "/api/lineage/exploitation.people", direction="both").json()
    ids = {node["id"] for node in both["graph"]["nodes"]}
    assert "check:exploitation.people/unique(id)" in ids
    assert "ssn" not in str(both)
    impact = get("paul", "/api/impact/exploitation.people").json()
    assert "ssn" not in str(impact)
    hidden = get("paul", "/api/lineage/check:exploitation.people/not_null(ssn)")
    missing = get("paul", "/api/lineage/check:exploitation.people/not_null(nothing)")
    assert hidden.status_code == missing.status_code == 404
    assert "ssn" not in hidden.json()["hint"]


@pytest.mark.parametrize(
    "node",
    [
        "exploitation.people.ssn",
        "exploitation.people.SSN",
        "exploitation.people.no_such_column",
        "landing.customers.ssn",  # its raw name, under formatted.customers' grants
        "landing.customers.no_such_column",
        "formatted.customers.ssn",
        "formatted.customers.no_such_column",
    ],
)
def test_a_column_not_granted_is_refused_whether_or_not_it_exists(project, get, node) -> None:
    for door in ("lineage", "impact"):
        answer = get("paul", f"/api/{door}/{node}")
        assert answer.status_code == 403, (door, answer.text)
        assert answer.json()["error"].startswith(f"paul may not read column {node}")
    entry = access_control(project).audit.entries(user="paul", limit=1)[0]
    assert entry["outcome"] == "refused"


def test_a_missing_column_of_a_table_read_whole_is_still_a_404(get) -> None:
    answer = get("paul", "/api/lineage/exploitation.codes.no_such_column")
    assert answer.status_code == 404
    assert "exploitation.codes.code" in answer.json()["hint"]
    assert get("root", "/api/lineage/exploitation.people.no_such_column").status_code == 404
