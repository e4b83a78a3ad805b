"""The forecast and anomaly endpoints of `lakebox serve`, and the analysis pages' empty states,
called with FastAPI's TestClient on small real lakehouses."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from fastapi.testclient import TestClient

from lakebox.analysis.anomalies import detect
from lakebox.catalog import TableRef
from lakebox.serving.app import create_app
from tests.analysis.anomalies.conftest import store_days
from tests.analysis.conftest import write_table
from tests.analysis.forecast.conftest import SALES, monthly_rows, seasonal_values

JSON = {"Content-Type": "application/json"}  # what a cross-site form cannot send
DAYS_RULE = {
    "table": "exploitation.store_daily",
    "ids": ["store_id"],
    "time": "local_date",
    "value": "visitors",
    "weekday_deviation": {"grain": "day", "weeks": 4},
}
# S1 doubled on Tue 2025-02-25 (day 50), S2 at 60% on Thu 2025-02-20 (day 45), S1 at 20% on
# Mon 2025-02-10 (day 35): two critical days and a warning.
PLANTED = {("S1", 50): 2.0, ("S2", 45): 0.6, ("S1", 35): 0.2}


@pytest.fixture
def lh(make_project):
    lh = make_project(forecasts={"sales": SALES}, anomalies={"days": DAYS_RULE})
    values = {"north": seasonal_values(36, seed=1), "south/east": 20 + 2.0 * np.arange(36)}
    write_table(lh, "exploitation.sales", monthly_rows(values))
    write_table(lh, "exploitation.store_daily", store_days({"S1": 1000, "S2": 500}, 70, PLANTED))
    return lh


@pytest.fixture
def client(lh):
    return TestClient(create_app(lh, timeout=10), base_url="http://127.0.0.1")


@pytest.fixture
def made(client):
    """The client after the declared forecast ran through the API."""
    answer = client.post("/api/forecasts/sales", headers=JSON)
    assert answer.status_code == 200, answer.text
    return client


def test_a_declared_forecast_is_listed_before_it_is_made(client):
    listed = client.get("/api/forecasts").json()
    assert [(f["name"], f["declared"], f["exists"]) for f in listed] == [("sales", True, False)]
    assert listed[0]["source"] == "exploitation.sales" and listed[0]["series_count"] == 0
    detail = client.get("/api/forecasts/sales").json()
    assert detail["rows"] == [] and "POST /api/forecasts/sales" in detail["history_note"]


def test_running_it_writes_the_tables_and_reports_per_series(client, lh):
    answer = client.post("/api/forecasts/sales", headers=JSON)
    assert answer.status_code == 200
    run = answer.json()
    assert run["rows"] == 12 and {s["ids"]["store"] for s in run["series"]} == {
        "north",
        "south/east",
    }
    snapshot = lh.catalog.summary(TableRef("analytics", "forecast_sales"))["snapshot_id"]
    assert run["snapshot"] == str(snapshot)  # 64-bit ids travel as text
    source = lh.catalog.summary(TableRef("exploitation", "sales"))["snapshot_id"]
    assert run["inputs"] == {"exploitation.sales": str(source)}

    listed = client.get("/api/forecasts").json()[0]
    assert listed["exists"] and listed["series_count"] == 2 and listed["rows"] == 12
    assert listed["strategy"] == run["strategy"] and listed["snapshot"] == str(snapshot)
    assert listed["created_at"] is not None


def test_a_series_has_its_rows_metrics_and_history(made, lh):
    answer = made.get("/api/forecasts/sales", params={"series": "south/east"})
    assert answer.status_code == 200
    detail = answer.json()
    expected = lh.query(
        "SELECT ds, forecast, hi_95, model FROM analytics.forecast_sales "
        "WHERE store = 'south/east' ORDER BY ds"
    ).to_pylist()
    assert [row["ds"] for row in detail["rows"]] == [row["ds"].isoformat() for row in expected]
    assert [row["forecast"] for row in detail["rows"]] == pytest.approx(
        [row["forecast"] for row in expected]
    )
    assert detail["rows"][0]["bounds"]["hi_95"] == pytest.approx(expected[0]["hi_95"])
    assert detail["levels"] == [80, 95]
    assert [(s["series"], s["model"]) for s in detail["series"]][1] == (
        "south/east",
        expected[0]["model"],
    )

    candidates = lh.query(
        "SELECT model, chosen FROM analytics.forecast_sales_metrics WHERE store = 'south/east'"
    ).to_pylist()
    assert sorted(m["model"] for m in detail["metrics"]) == sorted(c["model"] for c in candidates)
    assert [m["model"] for m in detail["metrics"] if m["chosen"]] == [
        c["model"] for c in candidates if c["chosen"]
    ]
    assert {m["series"] for m in detail["metrics"]} == {"south/east"}

    history = detail["history"]
    assert len(history) == 36 and history[0] == {"ds": "2020-01-01", "value": 20.0}
    assert history[-1]["value"] == pytest.approx(90.0)


def test_without_a_series_every_row_comes_and_limit_cuts(made):
    everything = made.get("/api/forecasts/sales").json()
    assert len(everything["rows"]) == 12 and not everything["truncated"]
    assert everything["history"] == [] and "?series=" in everything["history_note"]
    cut = made.get("/api/forecasts/sales", params={"limit": 5}).json()
    assert len(cut["rows"]) == 5 and cut["truncated"]
    unknown = made.get("/api/forecasts/sales", params={"series": "nowhere"}).json()
    assert unknown["rows"] == [] and unknown["metrics"] == []


def test_a_forecast_from_a_body_is_made_and_listed_as_not_declared(client, lh):
    body = {**SALES, "horizon": 3}
    answer = client.post("/api/forecasts/adhoc", json=body)
    assert answer.status_code == 200, answer.text
    assert answer.json()["rows"] == 6
    listed = {f["name"]: f for f in client.get("/api/forecasts").json()}
    assert listed["adhoc"]["declared"] is False and listed["adhoc"]["exists"] is True
    assert listed["adhoc"]["ids"] == ["store"] and listed["adhoc"]["series_count"] == 2
    detail = client.get("/api/forecasts/adhoc", params={"series": "north"}).json()
    assert len(detail["rows"]) == 3 and detail["history"] == []
    assert "not declared" in detail["history_note"]


@pytest.mark.parametrize(
    ("name", "body", "status", "message"),
    [
        ("nope", None, 404, "no forecast 'nope' is declared"),
        ("sales", {**SALES}, 400, "declared in lakebox.yaml"),
        ("Bad-Name", None, 400, "lower-case letters"),
        ("other", {**SALES, "table": "exploitation.missing"}, 404, "no table"),
        ("other", {**SALES, "value": "amount_kg"}, 400, "no column 'amount_kg'"),
        ("other", {**SALES, "value": "store"}, 400, "not a number column"),
        ("other", {**SALES, "freq": "fortnightly"}, 400, "freq: unknown freq"),
        ("other", {**SALES, "horizon": 40}, 400, "steps"),
    ],
)
def test_errors_say_what_to_do(client, name, body, status, message):
    answer = client.post(f"/api/forecasts/{name}", json=body, headers=JSON)
    assert answer.status_code == status, answer.text
    assert message in answer.json()["error"]
    assert set(answer.json()) == {"error", "hint"}


def test_an_unknown_forecast_is_a_404(client):
    answer = client.get("/api/forecasts/nope")
    assert answer.status_code == 404
    assert answer.json()["hint"].startswith("list them with GET /api/forecasts")


def test_anomalies_are_filtered_by_rule_severity_entity_and_days(client, lh):
    assert client.get("/api/anomalies").json() == {
        "total": 0,
        "counts": [],
        "by_day": [],
        "rows": [],
        "truncated": False,
    }
    assert detect(lh).ok

    every = client.get("/api/anomalies").json()
    found = lh.query("SELECT entity, CAST(ts AS DATE) AS day, severity FROM analytics.anomalies")
    assert every["total"] == found.num_rows == len(every["rows"]) == 3
    assert [(c["rule_name"], c["severity"], c["count"]) for c in every["counts"]] == [
        ("days", "critical", 2),
        ("days", "warn", 1),
    ]
    assert [row["ts"] for row in every["rows"]] == [
        "2025-02-25T00:00:00",
        "2025-02-20T00:00:00",
        "2025-02-10T00:00:00",
    ]
    assert sum(day["count"] for day in every["by_day"]) == 3

    def total(**filters: object) -> int:
        answer = client.get("/api/anomalies", params=filters)
        assert answer.status_code == 200, answer.text
        return answer.json()["total"]

    assert total(rule="days") == total(rule="weekday_deviation") == 3
    assert total(rule="nights") == 0
    assert total(severity="critical") == 2 and total(severity="info") == 0
    assert total(entity="s2") == 1
    assert total(since="2025-02-11") == 2 and total(until="2025-02-20") == 2
    assert total(since="2025-02-20", until="2025-02-20") == 1
    cut = client.get("/api/anomalies", params={"limit": 1}).json()
    assert cut["total"] == 3 and len(cut["rows"]) == 1 and cut["truncated"]
    assert client.get("/api/anomalies", params={"severity": "bad"}).status_code == 422


def test_requests_in_threads_share_the_engine_safely(made):
    urls = ["/api/forecasts", "/api/forecasts/sales?series=north", "/api/anomalies"] * 6

    def fetch(url: str) -> int:
        return made.get(url).status_code

    with ThreadPoolExecutor(max_workers=6) as pool:
        sql = pool.submit(made.post, "/api/sql", json={"sql": "SELECT 1"})
        statuses = [*pool.map(fetch, urls), sql.result().status_code]
        ran = pool.submit(made.post, "/api/forecasts/sales", headers=JSON)
        during = list(pool.map(fetch, urls))
    assert set(statuses) == set(during) == {200} and ran.result().status_code == 200


@pytest.mark.parametrize(
    ("page", "command"),
    [
        ("/forecasts", "lakebox forecast materials --table"),
        ("/anomalies", "lakebox anomalies"),
        ("/models", "lakebox models train"),
    ],
)
def test_the_pages_say_how_to_make_the_first_one(make_project, page, command):
    client = TestClient(create_app(make_project(), timeout=5), base_url="http://127.0.0.1")
    answer = client.get(page)
    assert answer.status_code == 200
    assert 'id="empty"' in answer.text and command in answer.text


def test_pages_of_a_made_forecast_and_of_an_unknown_one(made):
    listing = made.get("/forecasts")
    assert 'data-forecast="sales"' in listing.text
    page = made.get("/forecasts/sales", params={"series": "south/east"})
    assert page.status_code == 200
    assert '<option value="south/east" selected>' in page.text
    assert made.get("/forecasts/nope").status_code == 404


def test_user_text_is_escaped_on_the_pages(make_project):
    lh = make_project(forecasts={"sales": SALES}, anomalies={"days": DAYS_RULE})
    tag = "<b>S1</b>"
    write_table(
        lh, "exploitation.store_daily", store_days({tag: 1000, "S2": 500}, 70, {(tag, 50): 3.0})
    )
    write_table(lh, "exploitation.sales", monthly_rows({tag: seasonal_values(36)}))
    assert detect(lh).ok
    client = TestClient(create_app(lh, timeout=5), base_url="http://127.0.0.1")
    assert client.post("/api/forecasts/sales", headers=JSON).status_code == 200
    page = client.get("/forecasts/sales").text
    assert tag not in page and '<option value="&lt;b&gt;S1&lt;/b&gt;" selected>' in page
    assert tag not in client.get("/anomalies").text  # rows come through lakebox.escape
    expected = lh.query("SELECT count(*) AS n FROM analytics.anomalies WHERE entity LIKE '%<b>%'")
    shown = client.get("/api/anomalies", params={"entity": "<B>"}).json()
    assert shown["total"] == expected["n"][0].as_py() >= 1
    assert {row["entity"] for row in shown["rows"]} == {f"store_id={tag}"}
