"""`GET /api/tables/{zone}/{name}/physical` and the table page's physical metadata section, on
the real app over a real project under access control: refused to a user who may not read
the table, narrowed to the columns a user reads, without row counts under a row filter, and
without landing objects for a user who may not read `landing.manifest`."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import yaml
from fastapi.testclient import TestClient

import lakebox
from lakebox.access.control import access_control
from lakebox.orchestration.runner import run
from lakebox.serving.app import create_app
from tests.conftest import write_file

SALES = "id;store;amount\n1;BCN;10,5\n2;LYS;20\n3;BCN;4\n"
ACCESS = {
    "roles": {
        "columns": {"extends": "viewer", "read": ["formatted.sales.id", "formatted.sales.store"]},
        "filtered": {"extends": "viewer", "read": ["formatted.sales"]},
    },
    "row_filters": [{"table": "formatted.sales", "where": "store = user.store"}],
}
USERS = {  # name: (roles, attributes)
    "root": (["admin"], {}),
    "eng": (["engineer"], {"store": "BCN"}),
    "cols": (["columns"], {}),
    "filt": (["filtered"], {"store": "BCN"}),
    "vic": (["viewer"], {}),
}


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, dict]]:
    project = tmp_path_factory.mktemp("physical-api")
    document = {
        "name": "physical",
        "engine": {"memory_limit": "1GB", "threads": 2},
        "sources": {"sales": {"path": "in/*.csv", "key": ["id"]}},
        "access": ACCESS,
    }
    (project / "lakebox.yaml").write_text(yaml.safe_dump(document))
    write_file(project / "in", "a.csv", SALES)
    write_file(project / "models", "totals.sql", "SELECT store FROM formatted.sales")
    with lakebox.open(project) as lh:
        assert run(lh).ok
        control = access_control(lh)
        tokens = {}
        for name, (roles, attributes) in USERS.items():
            control.users.add(name, roles, "a-password-of-12", attributes)
            tokens[name] = {"Authorization": f"Bearer {control.tokens.create(name)[1]}"}
        with TestClient(create_app(lh, timeout=10), base_url="http://127.0.0.1") as client:
            yield client, tokens


def _physical(served, user: str, table: str = "formatted/sales", **params: object):
    client, tokens = served
    return client.get(f"/api/tables/{table}/physical", headers=tokens[user], params=params)


def test_an_admin_sees_it_all(served) -> None:
    answer = _physical(served, "root", snapshots=5)
    body = answer.json()
    settings = {s["name"]: (s["value"], s["origin"]) for s in body["settings"]}
    [snapshot] = body["snapshots"]

    assert answer.status_code == 200
    assert settings["delimiter"] == (";", "detected")
    assert settings["decimal_marks"] == ({"amount": ","}, "detected")
    assert settings["key"] == (["id"], "configured")
    assert [c["name"] for c in body["schemas"][0]["columns"]][:3] == ["id", "store", "amount"]
    assert body["files"]["rows"] == 3 and snapshot["rows"] == 3
    assert snapshot["landing"][0]["landed_path"].endswith("__a.csv")
    assert body["landing_hidden"] is False


def test_a_user_who_may_not_read_the_table_is_refused(served) -> None:
    answer = _physical(served, "vic")

    assert answer.status_code == 403
    assert "vic may not read formatted.sales" in answer.json()["error"]
    assert "landing" not in answer.text


def test_a_missing_table_and_a_refused_one_answer_alike(served) -> None:
    assert _physical(served, "vic", "formatted/nosuch").status_code == 403
    assert _physical(served, "root", "formatted/nosuch").status_code == 404
    hostile = _physical(served, "root", "formatted/%3Cscript%3Ealert(1)%3C%2Fscript%3E")
    assert hostile.status_code == 404 and "<script>" not in hostile.text
    assert _physical(served, "root", snapshots=0).status_code == 422


def test_a_column_grant_shows_only_those_columns(served) -> None:
    body = _physical(served, "cols").json()
    settings = {s["name"]: s["value"] for s in body["settings"]}

    assert [c["name"] for c in body["schemas"][0]["columns"]] == ["id", "store"]
    assert settings["decimal_marks"] == {}  # amount is not theirs
    assert body["landing_hidden"] is True and body["snapshots"][0]["landing"] == []


def test_a_row_filter_hides_row_counts(served) -> None:
    body = _physical(served, "filt").json()

    assert body["files"]["rows"] is None
    assert {snapshot["rows"] for snapshot in body["snapshots"]} == {None}
    assert body["files"]["count"] == 1


def test_an_engineer_sees_the_landing_objects_without_counts_under_a_filter(served) -> None:
    [landed] = _physical(served, "eng").json()["snapshots"][0]["landing"]

    assert landed["original_path"].endswith("in/a.csv")
    assert landed["rows_read"] is None  # the row filter on store applies to engineers too


def test_a_model_s_inputs_are_narrowed(served) -> None:
    body = _physical(served, "vic", "exploitation/totals").json()

    assert body["kind"] == "model" and body["model"]["file"] == "models/totals.sql"
    assert body["model"]["inputs"] == {} and body["hidden_inputs"] == 1
    root = _physical(served, "root", "exploitation/totals").json()
    assert list(root["model"]["inputs"]) == ["formatted.sales"]


def test_the_table_page_has_the_section(served) -> None:
    client, tokens = served
    page = client.get("/catalog/formatted/sales", headers=tokens["root"])

    assert page.status_code == 200
    assert 'id="physical"' in page.text and "Physical metadata" in page.text
    assert '<tr data-setting="delimiter"><td><code>delimiter</code></td><td class="value">;' in (
        page.text
    )
    assert 'id="schema-versions"' in page.text and 'class="landing-object"' in page.text
    assert "csv; encoding utf-8; delimiter ;" in page.text


def test_the_section_follows_the_user_s_view(served) -> None:
    client, tokens = served
    page = client.get("/catalog/formatted/sales", headers=tokens["cols"]).text
    refused = client.get("/catalog/formatted/sales", headers=tokens["vic"])

    assert 'id="landing-hidden"' in page and 'class="landing-object"' not in page
    assert "amount double" not in page
    assert refused.status_code == 403 and 'id="physical"' not in refused.text
