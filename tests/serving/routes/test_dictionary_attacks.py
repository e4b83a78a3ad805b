"""The dictionary's doors attacked by logged-in users with narrow grants: a column inheriting
its description and terms from a column they may not read keeps what it inherits (it passes
the values through unchanged) but does not name that column — in its docs, its search hit or
a glossary term's carriers. And a search is not made to parse the whole project each time."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

import lakebox
from lakebox.governance.lineage import project_graph
from lakebox.serving.app import create_app
from tests.conftest import write_file
from tests.serving.governance_attacks_data import bearer, build


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[lakebox.Lakehouse]:
    yield from build(tmp_path_factory.mktemp("dictionary-attacks"))


@pytest.fixture(scope="module")
def get(project):
    client = TestClient(create_app(project, timeout=10), base_url="http://127.0.0.1")
    headers = {user: bearer(project, user) for user in ("root", "vic", "paul")}

    def send(user: str, path: str, **params: object):
        answer = client.get(path, headers=headers[user], params=params)
        assert answer.status_code == 200, answer.text
        return answer.json()

    return send


def test_an_inherited_description_does_not_name_a_column_not_granted(get) -> None:
    table = get("vic", "/api/dictionary/exploitation.people")
    column = get("vic", "/api/dictionary/exploitation.people/ssn")
    for ssn in (next(c for c in table["columns"] if c["column"] == "ssn"), column):
        assert ssn["description"] == "Social security number."
        assert (ssn["described_by"], ssn["inherited_from"]) == ("inherited", None)
        assert (ssn["terms"], ssn["terms_from"]) == (["customer"], None)
    assert "formatted." not in str(table) + str(column)
    whole = get("root", "/api/dictionary/exploitation.people/ssn")
    assert whole["inherited_from"] == whole["terms_from"] == "formatted.customers.ssn"


def test_search_hits_name_no_column_not_granted(get) -> None:
    found = get("vic", "/api/search", q="social security")
    assert [hit["name"] for hit in found["hits"]] == ["exploitation.people.ssn"]
    assert "formatted." not in str(found)


def test_a_search_does_not_parse_every_model_again(project, get, monkeypatch) -> None:
    """The dictionary's graph (every model's SQL parsed) is kept between requests, as the
    lineage API's is: a user cannot make the server parse the project on each search."""
    import lakebox.serving.lineage as kept

    built = []

    def counted(lh: lakebox.Lakehouse):
        built.append(lh)
        return project_graph(lh)

    monkeypatch.setattr(kept, "project_graph", counted)  # what the kept graph is built from
    monkeypatch.setattr(kept, "_BUILT", {})  # none kept yet
    for text in ("social", "customer", "people"):
        assert get("vic", "/api/search", q=text)["hits"]
    get("vic", "/api/dictionary/exploitation.people")
    assert len(built) == 1
    write_file(project.project_dir / "models", "more.sql", "SELECT id FROM exploitation.people")
    assert "exploitation.more" in [
        hit["name"] for hit in get("vic", "/api/search", q="more")["hits"]
    ]
    assert len(built) == 2


def test_a_model_with_an_unclosed_quote_is_left_out_not_a_crash(project) -> None:
    # one model that cannot be read fails alone: the search answers without it
    client = TestClient(create_app(project, timeout=10), base_url="http://127.0.0.1")
    typo = write_file(project.project_dir / "models", "typo.sql", "SELECT 'abc FROM payroll")
    try:
        answer = client.get("/api/search", params={"q": "people"}, headers=bearer(project, "vic"))
    finally:
        typo.unlink()
    assert answer.status_code == 200, answer.text
    assert answer.json()["hits"] and "payroll" not in answer.text
    assert "exploitation.typo" not in [hit["name"] for hit in answer.json()["hits"]]
