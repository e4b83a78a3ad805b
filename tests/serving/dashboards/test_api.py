"""The dashboards' pages and JSON/CSV endpoints (FastAPI's TestClient on the real app over a
small real lakehouse): results equal hand-written SQL, user values stay data."""

from __future__ import annotations

import csv
import io
import os

import pytest
from fastapi.testclient import TestClient

from lakebox.serving.app import create_app
from tests.serving.dashboards.conftest import HOSTILE

TOTAL = "/api/dashboards/visits/charts/total"


@pytest.fixture(scope="module")
def app(shop):
    return create_app(shop, timeout=10)  # once: the app confines the lakehouse's engine


@pytest.fixture
def client(app, boards):
    return TestClient(app, base_url="http://127.0.0.1")


def total(client, **params) -> int | None:
    answer = client.get(TOTAL, params=params)
    assert answer.status_code == 200, answer.text
    return answer.json()["rows"][0]["visitors"]


def expected(shop, where: str) -> int | None:
    sql = f"SELECT sum(visitors) AS n FROM exploitation.visits_hourly WHERE {where}"
    return shop.query(sql).to_pylist()[0]["n"]


def test_the_listing_names_each_dashboard_and_the_broken_ones(client, boards):
    (boards / "broken.yaml").write_text(
        "title: Broken\ncharts:\n  a:\n    kind: pie\n    sql: SELECT 1\n"
    )
    listed = {board["name"]: board for board in client.get("/api/dashboards").json()}
    assert listed["visits"]["title"] == "Visits" and listed["visits"]["charts"] == 3
    assert listed["visits"]["error"] is None
    assert "broken.yaml:4: charts.a.kind: unknown chart kind 'pie'" in listed["broken"]["error"]
    page = client.get("/dashboards")
    assert page.status_code == 200
    assert 'href="/dashboards/visits"' in page.text and "unknown chart kind" in page.text
    broken = client.get("/dashboards/broken")
    assert broken.status_code == 422 and "unknown chart kind &#39;pie&#39;" in broken.text
    assert client.get("/api/dashboards/broken").status_code == 422
    assert client.get("/api/dashboards/broken/charts/a").status_code == 422
    assert client.get("/api/dashboards/nope").status_code == 404
    assert client.get("/dashboards/nope").status_code == 404
    assert client.get("/api/dashboards/visits/charts/nope").status_code == 404


def test_the_dashboard_view_resolves_its_filters(client):
    view = client.get("/api/dashboards/visits", params={"store": "LYS", "grain": "bogus"}).json()
    filters = {f["name"]: f for f in view["filters"]}
    assert filters["store"]["value"] == "LYS"
    assert [o["value"] for o in filters["store"]["options"]] == sorted(["BCN", "LYS", HOSTILE])
    assert filters["days"]["bounds"] == ["2025-06-02", "2025-06-04"]
    assert filters["grain"]["value"] == "hourly"  # an undeclared value falls back on the page
    assert [t["name"] for t in view["tabs"]] == ["main", "rows"]
    assert [(c["name"], c["kind"], c["tab"]) for c in view["charts"]] == [
        ("total", "kpi", "main"),
        ("over_time", "line", "main"),
        ("rows", "table", "rows"),
    ]
    assert "sql" not in view["charts"][0]


def test_chart_results_equal_hand_written_sql(client, shop):
    assert total(client) == expected(shop, "store = 'BCN'") == 75
    assert total(client, store="LYS") == expected(shop, "store = 'LYS'") == 10
    assert total(client, weekday=["1", "6"]) == expected(
        shop, "store = 'BCN' AND isodow(day) IN (1, 6)"
    )
    assert total(client, weekday="") is None
    narrowed = {"days_from": "2025-06-03", "days_to": "2025-06-07"}
    assert (
        total(client, **narrowed) == expected(shop, "store = 'BCN' AND day >= '2025-06-03'") == 45
    )
    hours = {"hours_from": "9", "hours_to": "9"}
    assert total(client, **hours) == expected(shop, "store = 'BCN' AND hour = 9") == 15
    assert total(client, grain="daily", **hours) == 75  # the daily fragment ignores hours
    series = client.get("/api/dashboards/visits/charts/over_time", params={"grain": "daily"}).json()
    assert [(r["time"], r["visitors"]) for r in series["rows"]] == [
        ("2025-06-02", 30),
        ("2025-06-03", 5),
        ("2025-06-07", 40),
    ]
    assert series["parameters"]["store"] == "BCN" and "$store" in series["sql"]
    assert "visits_daily" in series["sql"] and "{{" not in series["sql"]


def test_a_hostile_value_is_matched_as_data(client, shop):
    assert total(client, store=HOSTILE) == 1
    assert shop.query("SELECT count(*) AS n FROM formatted.visits").to_pylist() == [{"n": 7}]


def test_values_a_filter_does_not_allow_are_refused(client):
    for params, message in [
        ({"grain": "exploitation.visits_hourly --"}, "filter 'grain'"),
        ({"store": "x' OR '1'='1"}, "is not one of its options"),
        ({"hours_from": "5", "hours_to": "99"}, "not an hour"),
        ({"days_from": "2025-13-01", "days_to": "2025-06-03"}, "not a date"),
    ]:
        answer = client.get(TOTAL, params=params)
        assert answer.status_code == 400, params
        assert message in answer.json()["error"]


def test_csv_download_reflects_the_filters(client, shop):
    answer = client.get(
        "/api/dashboards/visits/charts/rows",
        params={"format": "csv", "store": "BCN", "weekday": ["1"], "grain": "hourly"},
    )
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    assert 'filename="visits-rows.csv"' in answer.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert [(r["day"], r["hour"], r["visitors"]) for r in rows] == [
        ("2025-06-02", "9", "10"),
        ("2025-06-02", "10", "20"),
    ]


def test_an_edited_file_is_read_again(client, boards):
    path = boards / "visits.yaml"
    path.write_text(path.read_text().replace("title: Visits", "title: Footfall"))
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert client.get("/api/dashboards/visits").json()["title"] == "Footfall"


def test_the_page_carries_the_resolved_view(client):
    page = client.get("/dashboards/visits", params={"store": "LYS", "tab": "rows"})
    assert page.status_code == 200
    assert 'id="dashboard"' in page.text and "/static/dashboard.js" in page.text
    assert "/static/plotly.min.js" in page.text
    assert (
        "&#34;value&#34;: &#34;LYS&#34;" in page.text
        or "&quot;value&quot;: &quot;LYS&quot;" in page.text
    )


def test_the_endpoints_are_in_the_openapi_schema(client):
    paths = client.get("/openapi.json").json()["paths"]
    assert {
        "/api/dashboards",
        "/api/dashboards/{name}",
        "/api/dashboards/{name}/charts/{chart}",
    } <= set(paths)
    chart = paths["/api/dashboards/{name}/charts/{chart}"]["get"]
    assert "text/csv" in chart["responses"]["200"]["content"]
    assert "/dashboards/{name}" not in paths


def test_a_failing_filter_query_shows_on_the_page_and_in_the_api(client, boards):
    (boards / "gone.yaml").write_text(
        "title: Gone\nfilters:\n  store:\n    kind: select\n"
        "    options_sql: SELECT store FROM exploitation.closed_stores\n"
        "charts:\n  a: {kind: kpi, value: n, sql: 'SELECT count(*) AS n WHERE $store IS NULL'}\n"
    )
    page = client.get("/dashboards/gone")
    assert page.status_code == 400 and "closed_stores" in page.text
    answer = client.get("/api/dashboards/gone")
    assert answer.status_code == 400 and "closed_stores" in answer.json()["error"]
