"""`lakebox access show`: the roles resolved through `extends`, tags, masks and row filters;
for one user the tables they may read with the masks and filters on each. An edit of the
access section is audited by the next command that opens the project."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.conftest import lakebox, new_project, with_access


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = with_access(new_project(tmp_path_factory.mktemp("access")))
    assert lakebox("run", "-q", cwd=project).returncode == 0
    added = lakebox(
        "users", "add", "ann", "--role", "eu_analyst", "--no-password", "--attr", "max_id=2",
        cwd=project,
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    return project


def shown(project: Path, *args: str) -> dict:
    done = lakebox("access", "show", *args, "--json", cwd=project)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_a_custom_role_shows_what_it_ends_up_with_through_extends(project):
    document = shown(project)
    assert document["configured"] is True
    roles = {role["name"]: role for role in document["roles"]}
    assert list(roles) == ["admin", "engineer", "analyst", "viewer", "eu_analyst"]
    assert roles["eu_analyst"] == {
        "name": "eu_analyst",
        "kind": "custom",
        "description": "analysts of the EU",
        "extends": "analyst",
        "reads": ["formatted.sales", "exploitation", "analytics"],
        "abilities": ["query", "sandboxes", "train"],
    }
    assert roles["viewer"]["abilities"] == [] and roles["admin"]["reads"] == ["*"]
    assert document["tags"] == {"pii": ["formatted.sales.amount"]}
    assert document["masks"] == [
        {"column": None, "tag": "pii", "mask": "null", "unmasked_for": ["admin"]}
    ]
    assert document["row_filters"] == [
        {"table": "formatted.sales", "where": "id < user.max_id", "unfiltered_for": ["admin"]}
    ]


def test_the_text_shows_each_part(project):
    text = lakebox("access", "show", cwd=project).stdout
    assert text.startswith("the access: section is in force")
    for part in ("eu_analyst", "formatted.sales, exploitation, analytics", "tag pii", "null"):
        assert part in text
    assert "id < user.max_id" in text


def test_a_users_grants_and_the_tables_they_may_read(project):
    user = shown(project, "--user", "ann")["user"]
    assert (user["name"], user["roles"], user["attributes"]) == (
        "ann",
        ["eu_analyst"],
        {"max_id": "2"},
    )
    assert user["abilities"] == ["query", "sandboxes", "train"]
    assert [table["table"] for table in user["tables"]] == ["formatted.sales"]
    [sales] = user["tables"]
    assert sales["masks"] == {"amount": "null (tag pii)"}
    assert sales["row_filters"] == ["id < user.max_id"] and sales["missing_attributes"] == []
    assert sales["columns"] is None and user["other_tables"] >= 2  # manifest, quarantine …
    text = lakebox("access", "show", "--user", "ann", cwd=project).stdout
    assert "tables ann may read" in text and "amount: null (tag pii)" in text
    assert "other table(s) are refused to ann" in text
    missing = lakebox("access", "show", "--user", "nobody", cwd=project)
    assert missing.returncode == 1 and "no user named 'nobody'" in missing.stderr


def test_an_edit_of_the_section_is_a_grant_change(project):
    text = (project / "lakebox.yaml").read_text()
    (project / "lakebox.yaml").write_text(text.replace('mask: "null"', "mask: hash"))
    try:
        masks = shown(project)["masks"]
        assert masks[0]["mask"] == "hash"
        audit = lakebox("audit", "--action", "grant change", "--json", cwd=project)
        details = [entry["detail"] for entry in json.loads(audit.stdout)]
        assert details[0] == "lakebox.yaml access: mask of tag pii changed (mask)"
        assert details[-1].startswith("lakebox.yaml access: section first seen: roles eu_analyst")
        assert details.count("lakebox.yaml access: mask of tag pii changed (mask)") == 1
    finally:
        (project / "lakebox.yaml").write_text(text)


def test_without_the_section_it_explains_the_laptop_mode(tmp_path):
    project = new_project(tmp_path)
    document = shown(project)
    assert document["configured"] is False and document["masks"] == []
    text = lakebox("access", "show", cwd=project).stdout
    assert text.startswith("no access: section in lakebox.yaml: served on 127.0.0.1")
