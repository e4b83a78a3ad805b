"""`GET /api/lineage/{node}` and `GET /api/impact/{node}` on a real served project with
access control: the lineage graph narrowed to the tables and columns each user may read, a
table they may not read refused as every table route refuses it, an unknown node a 404 JSON
error, and the graph built again when a model is added."""

from __future__ import annotations

import json

import pytest
import yaml
from fastapi.testclient import TestClient

import lakebox
from lakebox.access.control import access_control
from lakebox.orchestration.runner import run
from lakebox.serving.app import create_app
from tests.conftest import write_file
from tests.serving.access_data import user_tokens

CUSTOMERS = "id,name,email,region\n1,Ann,ann@example.com,north\n2,Bob,bob@example.com,south\n"
SALES = "id,region,day,amount\n1,north,2025-06-01,10\n2,south,2025-06-02,20\n"
MODELS = {
    "customers_public": "SELECT id, name, email, region FROM formatted.customers",
    "region_totals": "SELECT region, sum(amount) AS amount FROM formatted.sales GROUP BY region",
}
DASHBOARD = """title: Access
charts:
  totals:
    kind: bar
    x: region
    y: amount
    sql: SELECT region, amount FROM exploitation.region_totals ORDER BY region
"""
ACCESS = {
    "roles": {
        "partial": {
            "read": [
                "exploitation.region_totals",
                "exploitation.customers_public.id",
                "exploitation.customers_public.region",
            ],
        }
    }
}
USERS = {"root": ["admin"], "alice": ["analyst"], "paul": ["partial"]}


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    folder = tmp_path_factory.mktemp("lineage") / "project"
    folder.mkdir()
    document = {
        "name": "lineage",
        "engine": {"memory_limit": "1GB", "threads": 2},
        "access": ACCESS,
        "checks": {"exploitation.region_totals": [{"row_count": {"min": 1}}]},
        "sources": {
            "customers": {"path": "in/customers/*.csv"},
            "sales": {"path": "in/sales/*.csv"},
        },
    }
    (folder / "lakebox.yaml").write_text(yaml.safe_dump(document, sort_keys=False))
    write_file(folder / "in" / "customers", "a.csv", CUSTOMERS)
    write_file(folder / "in" / "sales", "a.csv", SALES)
    for name, sql in MODELS.items():
        write_file(folder / "models", f"{name}.sql", sql)
    write_file(folder / "dashboards", "access.yaml", DASHBOARD)
    lh = lakebox.open(folder)
    assert run(lh).ok
    yield lh
    lh.close()


@pytest.fixture(scope="module")
def tokens(project):
    return user_tokens(project, USERS)


@pytest.fixture(scope="module")
def client(project, tokens):
    return TestClient(create_app(project, timeout=10), base_url="http://127.0.0.1")


@pytest.fixture
def get(client, tokens):
    """Return a function GETting a path as one user (their bearer token)."""

    def send(user: str, path: str, **params):
        headers = {"Authorization": f"Bearer {tokens[user]}"}
        return client.get(path, headers=headers, params=params)

    return send


def _ids(answer: dict) -> set[str]:
    steps = {step["id"] for step in answer["steps"]}
    return steps | {node["id"] for node in answer["graph"]["nodes"]}


def test_lineage_walks_from_a_model_column_back_to_its_landing_column(get) -> None:
    answer = get("root", "/api/lineage/exploitation.region_totals.amount").json()
    assert answer["start"] == "exploitation.region_totals.amount"
    assert answer["direction"] == "upstream"
    steps = {step["id"]: step for step in answer["steps"]}
    assert steps["formatted.sales.amount"]["how"] == "aggregated"
    assert steps["landing.sales.amount"]["depth"] == 2
    drawn = {node["id"] for node in answer["graph"]["nodes"]}
    assert {"formatted.sales.day", "exploitation.region_totals.region"} <= drawn
    links = answer["graph"]["links"]
    assert {
        "source": "formatted.sales.amount",
        "target": "exploitation.region_totals.amount",
        "how": "aggregated",
    } in links


def test_a_consumer_with_a_slash_is_a_start_and_depth_bounds_the_walk(get) -> None:
    answer = get("root", "/api/lineage/chart:access/totals", depth=1).json()
    assert answer["start"] == "chart:access/totals"
    assert {step["depth"] for step in answer["steps"]} == {1}
    assert "exploitation.region_totals.amount" in {step["id"] for step in answer["steps"]}
    both = get("root", "/api/lineage/exploitation.region_totals", direction="both").json()
    drawn = {node["id"] for node in both["graph"]["nodes"]}
    assert {"formatted.sales", "chart:access/totals"} <= drawn
    assert both["direction"] == "upstream"
    down = get("root", "/api/lineage/exploitation.region_totals", direction="downstream").json()
    assert "formatted.sales" not in {node["id"] for node in down["graph"]["nodes"]}
    assert get("root", "/api/lineage/x", direction="sideways").status_code == 422
    assert get("root", "/api/lineage/x", depth=51).status_code == 422


def test_impact_groups_what_is_downstream(get) -> None:
    answer = get("root", "/api/impact/formatted.sales.amount").json()
    groups = {group["group"]: group for group in answer["groups"]}
    assert [item["id"] for item in groups["columns"]["items"]] == [
        "exploitation.region_totals.amount"
    ]
    assert [item["id"] for item in groups["charts"]["items"]] == ["chart:access/totals"]
    assert [item["id"] for item in groups["dashboards"]["items"]] == ["dashboard:access"]
    checks = get("root", "/api/impact/formatted.sales").json()["groups"]
    assert "check:exploitation.region_totals/row_count" in json.dumps(checks)


def test_a_user_sees_only_the_tables_they_read(get) -> None:
    answer = get("alice", "/api/lineage/exploitation.region_totals.amount", direction="both")
    assert answer.status_code == 200
    body = answer.text
    assert "formatted." not in body and "landing." not in body
    assert "chart:access/totals" in body  # what reads a table she reads
    impact = get("alice", "/api/impact/chart:access/totals").json()
    assert impact["count"] == 0
    upstream = get("alice", "/api/lineage/dashboard:access").json()
    assert {step["table"] for step in upstream["steps"]} == {"exploitation.region_totals"}


@pytest.mark.parametrize(
    "path",
    [
        "/api/lineage/formatted.sales.amount",
        "/api/lineage/formatted.nothing_here",
        "/api/lineage/landing.sales",
        "/api/impact/formatted.sales",
    ],
)
def test_a_table_not_granted_is_refused_like_every_table_route(project, get, path) -> None:
    refused = get("alice", path)
    assert refused.status_code == 403
    assert "alice may not read formatted." in refused.json()["error"]
    entry = access_control(project).audit.entries(user="alice", limit=1)[0]
    assert entry["outcome"] == "refused"


def test_a_user_reading_some_columns_sees_only_those(get) -> None:
    answer = get("paul", "/api/lineage/exploitation.customers_public", direction="both").json()
    ids = _ids(answer)
    assert {"exploitation.customers_public.id", "exploitation.customers_public.region"} <= ids
    assert not ids & {"exploitation.customers_public.email", "exploitation.customers_public.name"}
    assert not any(node.startswith(("formatted.", "landing.")) for node in ids)
    refused = get("paul", "/api/lineage/exploitation.customers_public.email")
    assert refused.status_code == 403
    assert "may not read column exploitation.customers_public.email" in refused.json()["error"]


def test_an_unknown_or_hostile_node_is_a_json_404(get) -> None:
    missing = get("root", "/api/lineage/exploitation.region_total.amount")
    assert missing.status_code == 404
    assert "exploitation.region_totals.amount" in missing.json()["hint"]
    for name in ("<script>alert(1)</script>", "../../etc/passwd", "a" * 5000, "dashboard:"):
        answer = get("root", f"/api/lineage/{name}")
        assert answer.status_code == 404, name
        assert answer.headers["content-type"] == "application/json"
    # hints name only what the user may read
    hint = get("alice", "/api/lineage/chart:access/total").json()["hint"]
    assert "chart:access/totals" in hint


def test_without_a_credential_the_doors_are_closed(client) -> None:
    assert client.get("/api/lineage/exploitation.region_totals").status_code == 401
    assert client.get("/api/impact/exploitation.region_totals").status_code == 401


def test_a_new_model_is_in_the_graph_at_once(project, get) -> None:
    before = get("root", "/api/impact/exploitation.region_totals.amount").json()
    write_file(
        project.project_dir / "models", "top.sql", "SELECT max(amount) AS top FROM region_totals"
    )
    after = get("root", "/api/impact/exploitation.region_totals.amount").json()
    assert "exploitation.top.top" not in json.dumps(before)
    assert "exploitation.top.top" in json.dumps(after)
