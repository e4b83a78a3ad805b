"""The lineage graph's JSON and page under access control: a user gets only the nodes of the
tables and columns they may read (a landing node goes with its formatted table), a start node
they may not read is refused (403, audited) whether it exists or not, an unknown one is 404,
and the landing objects need `landing.manifest`. FastAPI's TestClient on the real app over a
real project."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient

import lakebox
from lakebox.access.control import access_control
from lakebox.orchestration.runner import run
from lakebox.serving.app import create_app

PEOPLE = "id,name,email,region\n1,Ana,ana@x.org,BCN\n2,Bo,bo@y.org,LYS\n"
# ana: analyst (exploitation and analytics); pat: two columns of exploitation.people and
# all of exploitation.regions; ben: the formatted and exploitation zones, not the manifest;
# eng: every zone (the manifest too); root: admin.
ROLES = {
    "partial": {
        "read": ["exploitation.people.id", "exploitation.people.region", "exploitation.regions"]
    },
    "builder": {"read": ["formatted", "exploitation"]},
}
USERS = {
    "root": ["admin"],
    "eng": ["engineer"],
    "ana": ["analyst"],
    "pat": ["partial"],
    "ben": ["builder"],
}


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[lakebox.Lakehouse]:
    """`formatted.customers` (a source) → `exploitation.people` → `exploitation.regions`."""
    directory: Path = tmp_path_factory.mktemp("lineage-access") / "project"
    (directory / "in").mkdir(parents=True)
    (directory / "models").mkdir()
    (directory / "in" / "people.csv").write_text(PEOPLE)
    (directory / "models" / "people.sql").write_text(
        "SELECT id, name, email, region FROM formatted.customers"
    )
    (directory / "models" / "regions.sql").write_text(
        "SELECT region, count(*) AS people FROM exploitation.people GROUP BY region"
    )
    document = {
        "name": "guarded",
        "engine": {"memory_limit": "1GB", "threads": 2},
        "sources": {"customers": {"path": "in/*.csv"}},
        "access": {"roles": ROLES},
    }
    (directory / "lakebox.yaml").write_text(yaml.safe_dump(document, sort_keys=False))
    with lakebox.open(directory) as lh:
        assert run(lh).ok
        for name, roles in USERS.items():
            access_control(lh).users.add(name, roles, f"{name}-password-1")
        yield lh


@pytest.fixture
def as_user(project: lakebox.Lakehouse) -> Iterator[object]:
    """Return a factory: `as_user(name)` → a TestClient logged in as `name`."""
    opened: list[TestClient] = []

    def log_in(name: str) -> TestClient:
        client = TestClient(create_app(project), base_url="http://127.0.0.1")
        answer = client.post("/login", data={"user": name, "password": f"{name}-password-1"})
        assert answer.status_code == 200
        opened.append(client)
        return client

    yield log_in
    for client in opened:
        client.close()


def lineage(client: TestClient, node: str, **query: object) -> dict:
    answer = client.get("/lineage/data", params={"node": node, **query})
    assert answer.status_code == 200, answer.text
    return answer.json()


def node_ids(data: dict) -> set[str]:
    return {node["id"] for node in data["graph"]["nodes"]}


def linked_ids(data: dict) -> set[str]:
    return {end for link in data["graph"]["links"] for end in (link["source"], link["target"])}


@pytest.mark.parametrize("user", ["root", "eng"])
def test_the_whole_path_comes_with_the_landing_objects(as_user, project, user):
    data = lineage(as_user(user), "exploitation.regions")
    ids = node_ids(data)
    assert {"landing.customers", "formatted.customers", "exploitation.people"} <= ids
    assert {"landing.customers.email", "exploitation.people.email"} <= ids
    assert data["start"] == "exploitation.regions"
    assert {"exploitation.people", "formatted.customers"} <= {step["id"] for step in data["steps"]}
    landed = data["landing"]["landing.customers"]
    batches = [entry.batch_id for entry in project.manifest.entries("customers")]
    assert landed["total"] == len(batches) and not landed["hidden"]
    assert [item["batch_id"] for item in landed["objects"]] == batches[::-1][:5]
    assert landed["objects"][0]["path"].startswith("landing/customers/")


def test_a_table_not_granted_is_not_a_node_of_the_graph(as_user):
    data = lineage(as_user("ana"), "exploitation.regions")
    ids = node_ids(data) | linked_ids(data)
    assert "exploitation.people.email" in ids
    assert not {i for i in ids if i.startswith(("formatted.", "landing."))}, ids
    assert data["landing"] == {}
    assert not [step for step in data["steps"] if step["table"].startswith("formatted.")]


def test_columns_not_granted_are_not_nodes_either(as_user):
    data = lineage(as_user("pat"), "exploitation.regions")
    ids = node_ids(data) | linked_ids(data)
    assert {"exploitation.people.id", "exploitation.people.region"} <= ids
    assert {"exploitation.regions.region", "exploitation.regions.people"} <= ids
    assert not ids & {"exploitation.people.name", "exploitation.people.email"}
    assert not {i for i in ids if i.startswith(("formatted.", "landing."))}


@pytest.mark.parametrize(
    ("user", "node"),
    [
        ("ana", "formatted.customers"),
        ("ana", "landing.customers"),  # goes with its formatted table
        ("ana", "formatted.customers.email"),
        ("ana", "formatted.no_such_table"),  # refused before anything says it exists
        ("pat", "exploitation.people.email"),
    ],
)
def test_a_start_node_the_user_may_not_read_is_refused(as_user, project, user, node):
    client = as_user(user)
    answer = client.get("/lineage/data", params={"node": node})
    assert answer.status_code == 403
    assert f"{user} may not read" in answer.json()["error"]
    assert "ana@x.org" not in answer.text
    page = client.get("/lineage", params={"node": node})
    assert page.status_code == 403 and 'id="refused"' in page.text
    refused = access_control(project).audit.entries(user=user, action="read lineage")
    assert refused and refused[0]["outcome"] == "refused"


def test_without_the_manifest_landing_nodes_come_without_their_objects(as_user):
    data = lineage(as_user("ben"), "formatted.customers")
    assert "landing.customers" in node_ids(data)
    hidden = {"hidden": True, "total": None, "objects": []}
    assert data["landing"]["landing.customers"] == hidden


def test_an_unknown_node_is_not_found_and_hostile_names_stay_text(as_user):
    client = as_user("root")
    hostile = "<script>alert(1)</script>"
    answer = client.get("/lineage/data", params={"node": hostile})
    assert answer.status_code == 404 and "not in the project's lineage graph" in answer.text
    page = client.get("/lineage", params={"node": hostile})
    assert page.status_code == 404
    assert hostile not in page.text and "&lt;script&gt;" in page.text
    assert client.get("/lineage/data", params={"node": "x" * 501}).status_code == 422
    assert client.get("/lineage/data", params={"node": "exploitation.people",
                                               "depth": 51}).status_code == 422  # fmt: skip


def test_the_depth_and_direction_narrow_the_drawing(as_user):
    client = as_user("root")
    upstream = node_ids(lineage(client, "exploitation.people", direction="upstream"))
    assert "formatted.customers" in upstream and "exploitation.regions" not in upstream
    near = node_ids(lineage(client, "exploitation.regions", depth=1, direction="upstream"))
    assert "exploitation.people" in near and "formatted.customers" not in near


def test_the_table_page_has_the_lineage_section_and_the_page_embeds_its_data(as_user):
    client = as_user("root")
    table = client.get("/catalog/exploitation/people").text
    assert 'id="lineage"' in table and 'data-node="exploitation.people"' in table
    assert "/static/lineage.js" in table
    page = client.get("/lineage", params={"node": "exploitation.people.email"})
    assert page.status_code == 200 and 'class="lineage-data"' in page.text
    assert client.get("/static/lineage.js").status_code == 200
