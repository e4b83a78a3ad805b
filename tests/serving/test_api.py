"""The HTTP API of `lakebox serve`, called with httpx (FastAPI's TestClient) on the real app
over a real lakehouse."""

from __future__ import annotations

import io

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient

from lakebox.orchestration.runner import run
from lakebox.serving.api import create_app
from tests.conftest import write_file

SALES = "id,store,amount\n1,BCN,10.5\n2,LYS,20\n3,BCN,4\n"


@pytest.fixture
def lh(make_project):
    lh = make_project(
        {"sales": {"path": "in/*.csv", "columns": {"store": {"description": "Store code."}}}}
    )
    write_file(lh.project_dir / "in", "a.csv", SALES)
    write_file(
        lh.project_dir / "models",
        "totals.sql",
        "SELECT store, sum(amount) AS amount FROM formatted.sales GROUP BY store",
    )
    assert run(lh).ok
    return lh


@pytest.fixture
def client(lh):
    return TestClient(create_app(lh, timeout=5))


def test_zones_and_tables_are_listed(client):
    assert client.get("/api/zones").json() == {"exploitation": 1, "formatted": 1, "quarantine": 1}
    tables = {t["table"]: t["rows"] for t in client.get("/api/tables").json()}
    assert tables == {"exploitation.totals": 2, "formatted.sales": 3, "quarantine.sales": 0}
    only = client.get("/api/tables", params={"zone": "formatted"}).json()
    assert [t["table"] for t in only] == ["formatted.sales"]


def test_a_table_has_columns_descriptions_and_history(client):
    table = client.get("/api/tables/formatted/sales").json()
    columns = {c["name"]: (c["type"], c["description"]) for c in table["columns"]}
    assert columns["store"] == ("VARCHAR", "Store code.")
    assert columns["amount"][0] == "DOUBLE"
    assert "_batch_id" in columns
    assert len(table["snapshots"]) == 1 and table["snapshots"][0]["rows"] == 3
    rows = client.get("/api/tables/formatted/sales/rows", params={"limit": 2}).json()
    assert rows["row_count"] == 2 and rows["truncated"] is True


def test_sql_returns_json_with_a_row_limit(client):
    answer = client.post(
        "/api/sql", json={"sql": "SELECT * FROM exploitation.totals ORDER BY store"}
    )
    body = answer.json()
    assert answer.status_code == 200
    assert body["rows"] == [{"store": "BCN", "amount": 14.5}, {"store": "LYS", "amount": 20.0}]
    assert [c["name"] for c in body["columns"]] == ["store", "amount"]
    limited = client.post("/api/sql", json={"sql": "SELECT * FROM range(10)", "limit": 3}).json()
    assert limited["row_count"] == 3 and limited["truncated"] is True


@pytest.mark.parametrize("output", ["csv", "parquet", "arrow"])
def test_sql_results_download_in_each_format(client, output):
    answer = client.get(
        "/api/sql",
        params={"q": "SELECT id, store FROM formatted.sales ORDER BY id", "format": output},
    )
    assert answer.status_code == 200
    assert answer.headers["x-lakebox-truncated"] == "false"
    if output == "csv":
        assert answer.text.splitlines() == ['"id","store"', '1,"BCN"', '2,"LYS"', '3,"BCN"']
        return
    if output == "parquet":
        table = pq.read_table(io.BytesIO(answer.content))
    else:
        table = pa.ipc.open_stream(answer.content).read_all()
    assert table.to_pydict() == {"id": [1, 2, 3], "store": ["BCN", "LYS", "BCN"]}


@pytest.mark.parametrize(
    "sql",
    [
        "DELETE FROM formatted.sales",
        "CREATE TABLE x AS SELECT 1",
        "COPY formatted.sales TO '/tmp/leak.csv'",
        "SELECT 1; DROP VIEW formatted.sales",
        "ATTACH '/tmp/other.db' AS other",
        "SELECT * FROM read_text('/etc/hostname')",
    ],
)
def test_writing_sql_is_refused_and_nothing_changes(client, sql):
    answer = client.post("/api/sql", json={"sql": sql})
    assert answer.status_code == 400
    assert "Traceback" not in answer.text
    assert answer.json()["error"]
    count = client.post("/api/sql", json={"sql": "SELECT count(*) AS n FROM formatted.sales"})
    assert count.json()["rows"] == [{"n": 3}]


def test_bad_sql_is_a_clear_error(client):
    answer = client.post("/api/sql", json={"sql": "SELECT nope FROM formatted.sales"})
    assert answer.status_code == 400
    assert "nope" in answer.json()["error"] and "Traceback" not in answer.text


def test_a_slow_query_is_stopped_at_its_timeout(client):
    slow = "SELECT count(*) FROM range(100000000) a, range(100000) b WHERE a.range + b.range = -1"
    answer = client.post("/api/sql", json={"sql": slow, "timeout": 0.5})
    assert answer.status_code == 400
    assert "longer than 0.5 s" in answer.json()["error"]
    assert client.post("/api/sql", json={"sql": "SELECT 1 AS x"}).json()["rows"] == [{"x": 1}]


def test_an_unknown_table_is_404(client):
    assert client.get("/api/tables/formatted/nosuch").status_code == 404


def test_a_token_is_required_when_configured(lh):
    guarded = TestClient(create_app(lh, token="s3cret-token"))
    assert guarded.get("/api/zones").status_code == 401
    wrong = guarded.get("/api/zones", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    right = guarded.get("/api/zones", headers={"Authorization": "Bearer s3cret-token"})
    assert right.status_code == 200


def test_the_openapi_document_lists_the_endpoints(client):
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/api/zones", "/api/tables", "/api/sql", "/api/checks"} <= set(paths)
