"""The HTTP API of `lakebox serve`, called with httpx (FastAPI's TestClient) on the real app
over a real lakehouse."""

from __future__ import annotations

import io

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient

from lakebox.orchestration.runner import run
from lakebox.serving.app import create_app
from tests.conftest import write_file

JSON = {"Content-Type": "application/json"}  # what a cross-site form cannot send
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
    return TestClient(create_app(lh, timeout=5), base_url="http://127.0.0.1")


def test_zones_and_tables_are_listed(client):
    zones = client.get("/api/zones").json()
    # ops: the run history (runs, step_runs) and its lineage (table_versions, column_lineage)
    assert zones == {"exploitation": 1, "formatted": 1, "ops": 4, "quarantine": 1}
    tables = {t["table"]: t["rows"] for t in client.get("/api/tables").json()}
    assert {name: rows for name, rows in tables.items() if not name.startswith("ops.")} == {
        "exploitation.totals": 2,
        "formatted.sales": 3,
        "quarantine.sales": 0,
    }
    assert {"ops.runs", "ops.step_runs", "ops.table_versions", "ops.column_lineage"} <= set(tables)
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
    answer = client.post(  # a POST since GET /api/sql runs nothing (issue 13, point 5)
        "/api/sql",
        json={"sql": "SELECT id, store FROM formatted.sales ORDER BY id", "format": output},
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
    guarded = TestClient(create_app(lh, token="s3cret-token"), base_url="http://127.0.0.1")
    assert guarded.get("/api/zones").status_code == 401
    wrong = guarded.get("/api/zones", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    right = guarded.get("/api/zones", headers={"Authorization": "Bearer s3cret-token"})
    assert right.status_code == 200


def test_the_openapi_document_lists_the_endpoints(client):
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/api/zones", "/api/tables", "/api/sql", "/api/checks"} <= set(paths)


def test_rows_travel_back_to_a_snapshot_by_id_or_time(client, lh):
    write_file(lh.project_dir / "in", "b.csv", "id,store,amount\n4,OPO,7\n")
    assert run(lh).ok
    history = client.get("/api/tables/formatted/sales").json()["snapshots"]
    first, latest = history[0], history[-1]
    assert (first["rows"], latest["rows"]) == (3, 4)

    now = client.get("/api/tables/formatted/sales/rows").json()
    assert now["row_count"] == 4 and "as_of" not in now
    then = client.get("/api/tables/formatted/sales/rows", params={"as_of": first["snapshot_id"]})
    body = then.json()
    assert sorted(row["id"] for row in body["rows"]) == [1, 2, 3]
    assert body["as_of"]["snapshot_id"] == first["snapshot_id"]
    assert body["as_of"]["snapshot"] == str(first["snapshot_id"])

    at_time = client.get(
        "/api/tables/formatted/sales/rows", params={"as_of": first["committed_at"], "limit": 2}
    ).json()
    assert at_time["as_of"]["snapshot_id"] == first["snapshot_id"]
    assert at_time["row_count"] == 2 and at_time["truncated"] is True


@pytest.mark.parametrize(
    ("as_of", "error"),
    [
        ("12345", "has no snapshot 12345"),
        ("2001-01-01T00:00:00", "had no snapshot yet"),
        ("last tuesday", "neither a snapshot id nor an ISO time"),
        ("²", "neither a snapshot id nor an ISO time"),
        ("0001-01-01T00:00:00+01:00", "outside the times UTC can hold"),
        ("9999-12-31T23:59:59-12:00", "outside the times UTC can hold"),
    ],
)
def test_a_wrong_as_of_is_a_clear_error(client, as_of, error):
    answer = client.get("/api/tables/formatted/sales/rows", params={"as_of": as_of})
    assert answer.status_code == 400
    assert error in answer.json()["error"] and answer.json()["hint"]


def test_a_table_is_profiled_on_demand_and_the_latest_profile_is_kept(client, lh):
    never = client.get("/api/tables/formatted/sales/profile")
    assert never.status_code == 404
    assert "never profiled" in never.json()["error"] and "POST" in never.json()["hint"]

    made = client.post("/api/tables/formatted/sales/profile", headers=JSON)
    assert made.status_code == 200
    profile = made.json()
    assert profile["table"] == "formatted.sales" and profile["rows"] == 3
    columns = {column["name"]: column for column in profile["columns"]}
    assert columns["store"]["distinct_count"] == 2
    assert columns["store"]["top_values"] == [["BCN", 2], ["LYS", 1]]
    assert (columns["amount"]["min"], columns["amount"]["max"]) == ("4.0", "20.0")
    assert sum(count for _, _, count in columns["amount"]["histogram"]) == 3

    assert client.get("/api/tables/formatted/sales/profile").json() == profile
    stored = client.post("/api/sql", json={"sql": "SELECT DISTINCT table_name FROM ops.profiles"})
    assert stored.json()["rows"] == [{"table_name": "formatted.sales"}]


def test_a_formatted_table_lists_its_quarantined_rows_with_reasons(client, lh):
    write_file(lh.project_dir / "in", "bad.csv", "id,store,amount\n5,BCN,lots\n6,LYS,7\n")
    assert run(lh).ok
    answer = client.get("/api/tables/formatted/sales/quarantine")
    assert answer.status_code == 200
    body = answer.json()
    assert body["table"] == "quarantine.sales" and body["total_rows"] == 1
    assert [(r["column"], r["rows"]) for r in body["reasons"]] == [("amount", 1)]
    assert "lots" in body["reasons"][0]["reason"]
    assert [row["_reason"] for row in body["rows"]] == [body["reasons"][0]["reason"]]
    assert '"lots"' in body["rows"][0]["_raw"]
    assert body["rows"][0]["_source_line"] == 2
    assert [c["name"] for c in body["columns"]][:2] == ["_reason", "_column"]


def test_only_formatted_tables_have_a_quarantine(client):
    answer = client.get("/api/tables/exploitation/totals/quarantine")
    assert answer.status_code == 404
    assert "not a formatted table" in answer.json()["error"]
    missing = client.get("/api/tables/formatted/nosuch/quarantine")
    assert missing.status_code == 404 and missing.json()["hint"]


def test_runs_are_derived_from_check_results_and_landed_batches(client, lh):
    answer = client.get("/api/runs")
    assert answer.status_code == 200
    body = answer.json()
    assert "ops.check_results" in body["note"] and "landing.manifest" in body["note"]
    batches = body["batches"]
    assert [(b["source"], b["status"], b["rows_read"]) for b in batches] == [
        ("sales", "formatted", 3)
    ]
    entries = lh.manifest.entries()
    assert batches[0]["batch_id"] == entries[-1].batch_id
    assert body["check_runs"] == []
    assert client.get("/api/runs", params={"limit": 0}).status_code == 422


def test_runs_list_check_runs_newest_first(make_project):
    lh = make_project(
        {"sales": {"path": "in/*.csv"}},
        checks={"formatted.sales": [{"not_null": "id"}, {"unique": "store", "severity": "warn"}]},
    )
    write_file(lh.project_dir / "in", "a.csv", SALES)
    assert run(lh).ok
    write_file(lh.project_dir / "in", "b.csv", "id,store,amount\n4,OPO,7\n")
    assert run(lh).ok
    client = TestClient(create_app(lh), base_url="http://127.0.0.1")
    check_runs = client.get("/api/runs").json()["check_runs"]
    assert len(check_runs) == 2
    assert check_runs[0]["started_at"] >= check_runs[1]["started_at"]
    latest = check_runs[0]
    counts = ("tables", "checks", "passed", "warned", "failed")
    assert tuple(latest[name] for name in counts) == (1, 2, 1, 1, 0)


def test_a_browser_keeps_the_token_from_a_page_opened_with_it(lh):
    guarded = TestClient(create_app(lh, token="s3cret-token"), base_url="http://127.0.0.1")
    assert guarded.get("/catalog").status_code == 401
    opened = guarded.get("/catalog", params={"token": "s3cret-token"})
    assert opened.status_code == 200 and "formatted.sales" in opened.text
    assert guarded.cookies.get("lakebox_token") == "s3cret-token"
    assert guarded.get("/catalog/formatted/sales").status_code == 200
    assert guarded.get("/api/tables/formatted/sales/quarantine").status_code == 200


def test_the_pages_render_the_lakehouse(client):
    overview = client.get("/")
    assert overview.status_code == 200 and "Recent runs" in overview.text
    table = client.get("/catalog/formatted/sales")
    assert "Store code." in table.text and "quarantine.sales" in table.text
    assert client.get("/catalog/formatted/nosuch").status_code == 404
    console = client.get("/sql", params={"q": "SELECT '</textarea><b>x</b>'"})
    assert "&lt;/textarea&gt;&lt;b&gt;x&lt;/b&gt;" in console.text
