"""The UI's governance pages attacked by logged-in users with narrow grants (their session
cookie, as the browser sends it): the lineage graph's JSON, the glossary's term page and the
table page's dictionary and physical sections name no table or column they may not read — not
as a check's name, an "inherited from", a step of a column's lineage or a landing object — and
a column they are not granted is refused whether or not it exists."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

import lakebox
from tests.serving.governance_attacks_data import build, logged_in


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[lakebox.Lakehouse]:
    yield from build(tmp_path_factory.mktemp("ui-attacks"))


@pytest.fixture(scope="module")
def clients(project) -> Iterator[dict[str, TestClient]]:
    opened = {user: logged_in(project, user) for user in ("root", "vic", "paul", "bea")}
    yield opened
    for client in opened.values():
        client.close()


def section(page: str, name: str) -> str:
    """Return the text of the page's `<section ... id="name">`."""
    found = re.search(rf'<section[^>]*id="{name}".*?</section>', page, flags=re.S)
    assert found is not None, name
    return found.group(0)


def test_the_graph_has_no_check_of_a_table_or_column_not_granted(clients) -> None:
    vic, paul = clients["vic"], clients["paul"]
    refused = vic.get("/lineage/data", params={"node": "check:formatted.payroll/not_null(salary)"})
    assert refused.status_code == 403
    assert vic.get("/lineage", params={"node": "check:formatted.payroll/x"}).status_code == 403
    data = paul.get("/lineage/data", params={"node": "exploitation.people"})
    assert data.status_code == 200
    assert "ssn" not in data.text
    assert "check:exploitation.people/unique(id)" in data.text
    for name in ("not_null(ssn)", "not_null(nothing)"):
        node = f"check:exploitation.people/{name}"
        assert paul.get("/lineage/data", params={"node": node}).status_code == 404


@pytest.mark.parametrize(
    "node",
    [
        "exploitation.people.ssn",
        "exploitation.people.no_such_column",
        "landing.customers.ssn",
        "landing.customers.no_such_column",
    ],
)
def test_a_column_not_granted_is_refused_whether_or_not_it_exists(clients, node) -> None:
    answer = clients["paul"].get("/lineage/data", params={"node": node})
    assert answer.status_code == 403, answer.text
    assert answer.json()["error"] == f"paul may not read column {node}"


def test_a_missing_column_of_a_table_read_whole_is_still_a_404(clients) -> None:
    node = "exploitation.codes.no_such_column"
    assert clients["paul"].get("/lineage/data", params={"node": node}).status_code == 404


def test_the_dictionary_names_no_column_inherited_from_that_is_not_granted(clients) -> None:
    docs = section(clients["vic"].get("/catalog/exploitation/people").text, "dictionary")
    assert "Social security number." in docs  # what the column passes through stays
    assert "formatted.customers" not in docs
    assert "formatted.customers.ssn" in clients["root"].get("/catalog/exploitation/people").text


def test_a_term_page_names_no_column_not_granted(clients) -> None:
    seen = clients["vic"].get("/glossary/customer").text
    assert "exploitation.people" in seen and "formatted.customers" not in seen
    assert "inherited" in section(seen, "term-columns")
    partial = clients["paul"].get("/glossary/customer").text
    assert "exploitation.codes" in partial
    assert "ssn" not in partial  # code is made from ssn, which paul may not read
    assert "landing.customers.ssn" in clients["root"].get("/glossary/customer").text


def test_landing_objects_need_the_manifest_read_whole(clients) -> None:
    page = clients["bea"].get("/catalog/formatted/customers").text
    physical = section(page, "physical")
    assert 'id="landing-hidden"' in physical
    assert "customers/a.csv" not in physical and "sha256" not in physical
    assert "customers/a.csv" in section(
        clients["root"].get("/catalog/formatted/customers").text, "physical"
    )
