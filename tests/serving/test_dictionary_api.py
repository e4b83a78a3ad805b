"""The dictionary's doors on a real app under an `access:` section, with real users: reading a
table's or column's docs needs a read grant (checked before existence), editing them the
ability `describe` (engineers, admins, custom roles given it); edits are kept with history,
audited, refused without the page's CSRF token; search shows only what the user reads."""

from __future__ import annotations

import re

import pytest
import yaml
from fastapi.testclient import TestClient

import lakebox
from lakebox.access.control import access_control
from lakebox.orchestration.runner import run
from lakebox.serving.app import create_app
from tests.conftest import write_file
from tests.serving.access_data import user_tokens

ACCESS = {
    "roles": {
        "steward": {"extends": "viewer", "can": ["describe"]},
        "partial": {"read": ["exploitation.people.id"], "can": ["describe"]},
    }
}
USERS = {
    "root": ["admin"],
    "erin": ["engineer"],
    "alice": ["analyst"],
    "stew": ["steward"],
    "paul": ["partial"],
}
GLOSSARY = {"terms": {"customer": {"definition": "Someone who bought.", "synonyms": ["client"]}}}


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    folder = tmp_path_factory.mktemp("dictionary-api")
    document = {
        "name": "shop",
        "engine": {"memory_limit": "1GB", "threads": 2},
        "glossary": GLOSSARY,
        "sources": {
            "customers": {
                "path": "in/*.csv",
                "description": "Our customers.",
                "docs": {"columns": {"name": {"description": "Full name.", "terms": ["client"]}}},
            }
        },
        "access": ACCESS,
    }
    (folder / "lakebox.yaml").write_text(yaml.safe_dump(document, sort_keys=False))
    write_file(folder / "in", "a.csv", "id,name\n1,Ann\n2,Bob\n")
    write_file(folder / "models", "people.sql", "SELECT id, name FROM formatted.customers\n")
    lh = lakebox.open(folder)
    assert run(lh).ok
    yield lh
    lh.close()


@pytest.fixture(scope="module")
def tokens(project):
    return {
        name: user_tokens(project, {name: roles}, f"{name}-password")[name]
        for name, roles in USERS.items()
    }


@pytest.fixture(scope="module")
def client(project, tokens):
    return TestClient(create_app(project, timeout=10), base_url="http://127.0.0.1")


def send(client, tokens, user: str, method: str, path: str, **options):
    headers = {"Authorization": f"Bearer {tokens[user]}", "Content-Type": "application/json"}
    return client.request(method, path, headers=headers, **options)


def latest(project, user: str, action: str) -> dict:
    return access_control(project).audit.entries(user=user, action=action, limit=1)[0]


def test_a_table_read_shows_its_docs_its_readable_columns_and_whether_one_may_edit(client, tokens):
    answer = send(client, tokens, "alice", "GET", "/api/dictionary/exploitation.people")
    assert answer.status_code == 200, answer.text
    docs = answer.json()
    assert docs["table"] == "exploitation.people" and docs["may_edit"] is False
    name = next(column for column in docs["columns"] if column["column"] == "name")
    assert (name["description"], name["inherited_from"], name["terms"]) == (
        "Full name.",
        None,  # alice may not read formatted.customers: it is not named to her
        ["customer"],
    )
    erin = send(client, tokens, "erin", "GET", "/api/dictionary/exploitation.people/name").json()
    assert erin["inherited_from"] == "formatted.customers.name"
    column = send(client, tokens, "erin", "GET", "/api/dictionary/exploitation.people/name")
    assert column.json()["may_edit"] is True and "columns" not in column.json()


@pytest.mark.parametrize(
    "path",
    [
        "/api/dictionary/formatted.customers",
        "/api/dictionary/formatted.nope",
        "/api/dictionary/formatted.customers/name",
    ],
)
def test_a_table_not_granted_is_refused_before_its_existence_is_told(project, client, tokens, path):
    answer = send(client, tokens, "alice", "GET", path)
    assert answer.status_code == 403
    assert answer.json()["error"].startswith("alice may not read formatted.")
    assert latest(project, "alice", "read table")["outcome"] == "refused"


def test_a_readable_zone_tells_a_missing_table_or_column(client, tokens):
    for path in ["/api/dictionary/exploitation.nope", "/api/dictionary/exploitation.people/x"]:
        assert send(client, tokens, "alice", "GET", path).status_code == 404, path
    assert send(client, tokens, "alice", "GET", "/api/dictionary/nodot").status_code == 404


def test_an_engineer_edits_and_the_edit_is_kept_audited_and_in_the_history(project, client, tokens):
    body = {"description": "Everyone who bought.", "tags": ["pii"], "terms": ["CLIENT"]}
    answer = send(client, tokens, "erin", "PUT", "/api/dictionary/formatted.customers", json=body)
    assert answer.status_code == 200, answer.text
    docs = answer.json()
    assert (docs["description"], docs["described_by"], docs["edited_by"]) == (
        "Everyone who bought.",
        "edited",
        "erin",
    )
    assert docs["terms"] == ["customer"]
    assert {(e["author"], e["field"]) for e in docs["history"]} >= {("erin", "description")}
    entry = latest(project, "erin", "dictionary edit")
    assert entry["tables"] == ["formatted.customers"] and entry["outcome"] == "ok"
    assert entry["detail"] == "description, tags, terms of formatted.customers"
    back = send(client, tokens, "erin", "PUT", "/api/dictionary/formatted.customers",
                json={"description": None})  # fmt: skip
    assert back.json()["description"] == "Our customers."
    assert back.json()["history"][0]["value"] is None


def test_a_user_without_describe_is_refused_and_audited(project, client, tokens):
    path = "/api/dictionary/exploitation.people/name"
    answer = send(client, tokens, "alice", "PUT", path, json={"description": "Mine."})
    assert answer.status_code == 403
    assert "no grant of 'describe'" in answer.json()["error"]
    entry = latest(project, "alice", "dictionary edit")
    assert (entry["outcome"], entry["tables"]) == ("refused", ["exploitation.people"])
    history = send(client, tokens, "alice", "GET", path).json()["history"]
    assert all(edit["author"] != "alice" for edit in history)


def test_a_custom_role_given_describe_edits_what_it_reads_only(client, tokens):
    path = "/api/dictionary/exploitation.people"
    answer = send(client, tokens, "stew", "PUT", path, json={"owner": "Stewards"})
    assert answer.status_code == 200 and answer.json()["owner"] == "Stewards"
    refused = send(client, tokens, "stew", "PUT", "/api/dictionary/formatted.customers",
                   json={"owner": "Stewards"})  # fmt: skip
    assert refused.status_code == 403 and "may not read formatted.customers" in refused.text


def test_a_column_grant_narrows_the_docs_the_history_and_the_edits(client, tokens):
    send(client, tokens, "erin", "PUT", "/api/dictionary/exploitation.people/name",
         json={"description": "A secret note on names."})  # fmt: skip
    docs = send(client, tokens, "paul", "GET", "/api/dictionary/exploitation.people").json()
    assert [column["column"] for column in docs["columns"]] == ["id"]
    assert "secret note" not in str(docs["history"])
    for method, body in [("GET", None), ("PUT", {"description": "x"})]:
        answer = send(client, tokens, "paul", method, "/api/dictionary/exploitation.people/name",
                      json=body)  # fmt: skip
        assert answer.status_code == 403, method
        assert "may not read column exploitation.people.name" in answer.json()["error"]
    ok = send(client, tokens, "paul", "PUT", "/api/dictionary/exploitation.people/id",
              json={"tags": ["key"]})  # fmt: skip
    assert ok.status_code == 200 and ok.json()["tags"] == ["key"]


@pytest.mark.parametrize(
    ("path", "body", "status"),
    [
        ("/api/dictionary/exploitation.people/id", {"owner": "x"}, 400),
        ("/api/dictionary/exploitation.people", {"terms": ["nope"]}, 400),
        ("/api/dictionary/exploitation.people", {"colour": "red"}, 422),
        ("/api/dictionary/exploitation.people", {"description": "x" * 5000}, 422),
        ("/api/dictionary/exploitation.people", {"tags": ["t"] * 50}, 422),
        ("/api/dictionary/exploitation.people", {}, 400),
        ("/api/dictionary/exploitation.nope", {"description": "x"}, 404),
        ("/api/dictionary/..%2F..%2Fetc.passwd", {"description": "x"}, 404),
        ("/api/dictionary/" + "a" * 400 + ".b", {"description": "x"}, 404),
        ("/api/dictionary/formatted.customers%00", {"description": "x"}, 403),
    ],
)
def test_wrong_edits_are_answered_without_a_server_error(client, tokens, path, body, status):
    answer = send(client, tokens, "stew", "PUT", path, json=body)
    assert answer.status_code == status, answer.text


def _session(client, user: str) -> str:
    answer = client.post("/login", data={"user": user, "password": f"{user}-password"})
    assert answer.status_code == 200, answer.text
    return re.search(r'<meta name="csrf-token" content="([^"]+)">', answer.text).group(1)


def test_an_edit_with_the_session_cookie_needs_the_pages_csrf_token(project, tokens):
    with TestClient(create_app(project), base_url="http://127.0.0.1") as browser:
        csrf = _session(browser, "erin")
        path = "/api/dictionary/exploitation.people/id"
        headers = {"Content-Type": "application/json"}
        refused = browser.put(path, json={"description": "The id."}, headers=headers)
        assert refused.status_code == 403 and "CSRF" in refused.json()["error"]
        done = browser.put(path, json={"description": "The id."},
                           headers={**headers, "X-CSRF-Token": csrf})  # fmt: skip
        assert done.status_code == 200 and done.json()["description"] == "The id."
        assert latest(project, "erin", "dictionary edit")["door"] == "ui"


def test_search_finds_only_what_the_user_reads(client, tokens):
    def names(user: str, text: str) -> set[str]:
        answer = send(client, tokens, user, "GET", "/api/search", params={"q": text})
        assert answer.status_code == 200
        return {hit["name"] for hit in answer.json()["hits"]}

    assert "formatted.customers" in names("erin", "customers")
    assert not any(name.startswith("formatted.") for name in names("alice", "customers"))
    assert names("paul", "name") == set()  # the column is not theirs
    assert "customer" in names("paul", "client")  # the glossary is no one's data
    long = send(client, tokens, "alice", "GET", "/api/search", params={"q": "x" * 500})
    assert long.status_code == 422
