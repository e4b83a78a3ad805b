"""Every HTTP door of `lakebox serve` under an `access:` section, on a real project: users
with their own tokens see only the tables their roles grant, masked and row-filtered as the
SQL endpoint shows them — in listings, columns, sample rows (now and as of a snapshot),
profiles, dashboards and their CSV files — and each route family checks its grant; what is
refused names the missing grant, and reads, downloads and refusals are audited."""

from __future__ import annotations

import re
from datetime import datetime

import pyarrow as pa
import pytest
import yaml
from fastapi.testclient import TestClient

import lakebox
from lakebox.access.control import access_control
from lakebox.analysis.anomalies.store import ANOMALIES
from lakebox.analysis.anomalies.store import SCHEMA as ANOMALY_SCHEMA
from lakebox.orchestration.runner import run
from lakebox.serving.app import create_app
from lakebox.tables import commit_rows
from tests.conftest import write_file
from tests.serving.access_data import user_tokens

CUSTOMERS = """id,name,email,phone,region,birth
1,Ann Lee,ann@example.com,555-0101,north,1990-05-01
2,Bob Roy,bob@example.com,555-0102,south,1985-02-11
3,Cid Moe,cid@example.com,555-0103,north,1979-12-30
4,Dee Fox,dee@example.com,555-0104,south,2001-07-04
"""
CLEAR = ("ann@example.com", "bob@example.com", "Ann Lee", "Bob Roy", "555-0101", "555-0102")
SALES = "id,region,day,amount\n" + "".join(
    f"{n},{'north' if n % 2 else 'south'},2025-06-{n:02d},{10 * n}\n" for n in range(1, 13)
)
MODELS = {
    "customers_public": "SELECT id, name, email, phone, region, birth FROM formatted.customers",
    "region_totals": "SELECT region, sum(amount) AS amount FROM formatted.sales GROUP BY region",
    "sales_daily": "SELECT day, sum(amount) AS amount FROM formatted.sales GROUP BY day",
    "sales_features": "SELECT day, amount AS x, amount * 3 + 2 AS y FROM formatted.sales",
}
ACCESS = {
    "roles": {
        "partial": {
            "description": "two columns of the customers and the totals",
            "read": [
                "exploitation.region_totals",
                "exploitation.customers_public.id",
                "exploitation.customers_public.region",
            ],
            "can": ["query"],
        },
        "operator": {"description": "the ops zone only", "read": ["ops"]},
    },
    "tags": {"pii": ["*.*.email"]},
    "masks": [
        {"tag": "pii", "mask": "partial"},
        {"column": "exploitation.customers_public.name", "mask": "hash"},
        {"column": "exploitation.customers_public.phone", "mask": "null"},
        {"column": "exploitation.customers_public.birth", "mask": "year"},
    ],
    "row_filters": [
        {"table": "exploitation.customers_public", "where": "region = user.region"},
        {
            "table": "analytics.anomalies",
            "where": "severity <> 'info'",
            "unfiltered_for": ["admin", "analyst"],
        },
    ],
}
FORECASTS = {
    "daily": {
        "table": "exploitation.sales_daily",
        "time": "day",
        "value": "amount",
        "freq": "D",
        "horizon": 3,
    }
}
DASHBOARD = """title: Access
filters:
  who:
    kind: select
    all: Everyone
    options_sql: SELECT DISTINCT region FROM formatted.customers ORDER BY 1
charts:
  totals:
    kind: bar
    x: region
    y: amount
    sql: SELECT region, amount FROM exploitation.region_totals ORDER BY region
  people:
    kind: table
    sql: SELECT id, email, region FROM exploitation.customers_public ORDER BY id
  secret:
    kind: table
    sql: SELECT id, email FROM formatted.customers ORDER BY id
"""
USERS = {
    "root": (["admin"], {}),
    "erin": (["engineer"], {"region": "north"}),
    "alice": (["analyst"], {"region": "north"}),
    "victor": (["viewer"], {"region": "south"}),
    "paul": (["partial"], {"region": "north"}),
    "otto": (["operator"], {}),
}
CHECKS = {
    "exploitation.customers_public": [
        {"regex": {"column": "email", "pattern": "x.*"}, "severity": "warn"}
    ],
    "exploitation.region_totals": [{"row_count": {"min": 1}}],
}
HEX64 = re.compile(r"[0-9a-f]{64}")


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    folder = tmp_path_factory.mktemp("access") / "project"
    folder.mkdir()
    document = {
        "name": "access",
        "engine": {"memory_limit": "1GB", "threads": 2},
        "access": ACCESS,
        "forecasts": FORECASTS,
        "checks": CHECKS,
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
    _anomalies(lh)
    yield lh
    lh.close()


def _anomalies(lh) -> None:
    rows = [
        {
            "incident_id": f"i{n}",
            "rule": "spike",
            "rule_name": "spikes",
            "table_name": "exploitation.sales_daily",
            "entity": "all",
            "ts": datetime(2025, 6, n),
            "ts_end": datetime(2025, 6, n),
            "value": 1.0,
            "expected": 0.0,
            "deviation": 1.0,
            "severity": severity,
        }
        for n, severity in ((1, "info"), (2, "warn"), (3, "critical"))
    ]
    commit_rows(lh, ANOMALIES, pa.Table.from_pylist(rows, schema=ANOMALY_SCHEMA), "test-a", {})


@pytest.fixture(scope="module")
def tokens(project):
    return user_tokens(project, USERS)


@pytest.fixture(scope="module")
def client(project, tokens):
    return TestClient(create_app(project, timeout=10), base_url="http://127.0.0.1")


@pytest.fixture
def as_user(client, tokens):
    """Return a function sending a request as one user (their bearer token)."""

    def send(user: str, method: str, path: str, **options):
        headers = {
            "Authorization": f"Bearer {tokens[user]}",
            "Content-Type": "application/json",  # what a cross-site form cannot send
            **options.pop("headers", {}),
        }
        return client.request(method, path, headers=headers, **options)

    return send


def _latest(project, user: str, action: str) -> dict:
    return access_control(project).audit.entries(user=user, action=action, limit=1)[0]


def test_without_a_credential_every_door_is_closed(client):
    for method, path in [
        ("GET", "/api/zones"),
        ("GET", "/api/tables"),
        ("GET", "/api/tables/exploitation/region_totals/rows"),
        ("GET", "/api/dashboards/access/charts/totals"),
        ("GET", "/api/anomalies"),
        ("GET", "/metrics"),
    ]:
        assert client.request(method, path).status_code == 401, path
    refused = client.post("/api/sql", json={"sql": "SELECT 1"})
    assert refused.status_code == 401
    wrong = client.get("/api/tables", headers={"Authorization": "Bearer lbx_nope_nope"})
    assert wrong.status_code == 401


def test_listings_show_only_the_tables_the_user_reads(as_user):
    assert set(as_user("alice", "GET", "/api/zones").json()) == {"exploitation", "analytics"}
    assert "formatted" in as_user("root", "GET", "/api/zones").json()
    listed = as_user("paul", "GET", "/api/tables").json()
    assert [t["table"] for t in listed] == [
        "exploitation.customers_public",
        "exploitation.region_totals",
    ]
    rows = {t["table"]: t["rows"] for t in listed}
    # a row filter hides how many rows the table holds; the totals have no filter
    assert rows == {"exploitation.customers_public": None, "exploitation.region_totals": 2}
    only = as_user("alice", "GET", "/api/tables", params={"zone": "formatted"}).json()
    assert only == []


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/tables/formatted/customers"),
        ("GET", "/api/tables/formatted/customers/rows"),
        ("GET", "/api/tables/formatted/customers/rows?as_of=2020-01-01T00:00:00"),
        ("GET", "/api/tables/formatted/customers/profile"),
    ],
)
def test_a_table_not_granted_is_refused_naming_the_grant(project, as_user, method, path):
    answer = as_user("alice", method, path)
    assert answer.status_code == 403, answer.text
    assert answer.json()["error"].startswith(
        "alice may not read formatted.customers: no grant of read on formatted.customers"
    )
    latest = access_control(project).audit.entries(user="alice", limit=1)[0]
    assert (latest["action"], latest["outcome"]) == ("read table", "refused")
    assert latest["detail"].startswith("alice may not read formatted.customers")


def test_a_quarantine_needs_a_grant_on_the_quarantine_table(as_user):
    refused = as_user("alice", "GET", "/api/tables/formatted/customers/quarantine")
    assert refused.status_code == 403
    assert "may not read" in refused.json()["error"]
    allowed = as_user("erin", "GET", "/api/tables/formatted/customers/quarantine")
    assert allowed.status_code == 200 and allowed.json()["total_rows"] == 0


def test_columns_are_the_readable_ones_with_their_masks(as_user):
    partial = as_user("paul", "GET", "/api/tables/exploitation/customers_public").json()
    assert [c["name"] for c in partial["columns"]] == ["id", "region"]
    assert {s["rows"] for s in partial["snapshots"]} == {None}
    masked = as_user("alice", "GET", "/api/tables/exploitation/customers_public").json()
    columns = {c["name"]: (c["type"], c["mask"]) for c in masked["columns"]}
    assert columns == {
        "id": ("BIGINT", None),
        "name": ("VARCHAR", "hash"),
        "email": ("VARCHAR", "partial"),
        "phone": ("VARCHAR", "null"),
        "region": ("VARCHAR", None),
        "birth": ("BIGINT", "year"),
    }
    clear = as_user("root", "GET", "/api/tables/exploitation/customers_public").json()
    assert {c["mask"] for c in clear["columns"]} == {None}


def _masked_rows(answer) -> list[dict]:
    assert answer.status_code == 200, answer.text
    return answer.json()["rows"]


def test_sample_rows_are_masked_and_filtered_by_the_users_region(project, as_user):
    path = "/api/tables/exploitation/customers_public/rows"
    rows = _masked_rows(as_user("alice", "GET", path))
    assert [row["id"] for row in rows] == [1, 3]
    assert [row["email"] for row in rows] == ["a***@example.com", "c***@example.com"]
    assert all(HEX64.fullmatch(row["name"]) for row in rows)
    assert [row["phone"] for row in rows] == [None, None]
    assert [row["birth"] for row in rows] == [1990, 1979]
    south = _masked_rows(as_user("victor", "GET", path))
    assert [row["id"] for row in south] == [2, 4]
    assert [row["id"] for row in _masked_rows(as_user("root", "GET", path))] == [1, 2, 3, 4]
    assert _masked_rows(as_user("root", "GET", path))[0]["email"] == "ann@example.com"
    paul = _masked_rows(as_user("paul", "GET", path))
    assert paul == [{"id": 1, "region": "north"}, {"id": 3, "region": "north"}]
    entry = _latest(project, "victor", "read table")
    assert (entry["door"], entry["tables"], entry["rows"]) == (
        "http",
        ["exploitation.customers_public"],
        2,
    )
    assert "exploitation.customers_public.email" in entry["columns"]


def test_sample_rows_as_of_a_snapshot_are_masked_and_filtered_too(project, as_user):
    detail = as_user("alice", "GET", "/api/tables/exploitation/customers_public").json()
    snapshot = detail["snapshots"][0]["snapshot_id"]
    path = "/api/tables/exploitation/customers_public/rows"
    answer = as_user("alice", "GET", path, params={"as_of": str(snapshot)})
    rows = _masked_rows(answer)
    assert [(row["id"], row["email"], row["phone"]) for row in rows] == [
        (1, "a***@example.com", None),
        (3, "c***@example.com", None),
    ]
    assert not any(clear in answer.text for clear in CLEAR)
    entry = _latest(project, "alice", "read table")
    assert entry["rows"] == 2 and entry["detail"] == f"as of snapshot {snapshot}"
    paul = _masked_rows(as_user("paul", "GET", path, params={"as_of": str(snapshot)}))
    assert [sorted(row) for row in paul] == [["id", "region"], ["id", "region"]]


def test_a_profile_never_shows_a_clear_masked_value(project, as_user):
    path = "/api/tables/exploitation/customers_public/profile"
    rows = "/api/tables/exploitation/customers_public/rows"
    stored = as_user("root", "POST", path)
    assert stored.status_code == 200 and "ann@example.com" in stored.text

    for method in ("GET", "POST"):
        answer = as_user("alice", method, path)
        assert answer.status_code == 200, answer.text
        assert not any(clear in answer.text for clear in CLEAR), method
        profile = answer.json()
        assert profile["rows"] == 2  # north only
        columns = {column["name"]: column for column in profile["columns"]}
        email = columns["email"]
        assert (email["min"], email["max"]) == ("a***@example.com", "c***@example.com")
        assert {value for value, _ in email["top_values"]} == {
            "a***@example.com",
            "c***@example.com",
        }
        # the same hashes as the rows show: one key, one mask, through every door
        hashed = {value for value, _ in columns["name"]["top_values"]}
        assert hashed == {row["name"] for row in _masked_rows(as_user("alice", "GET", rows))}
        assert columns["phone"]["null_share"] == 1.0 and columns["phone"]["top_values"] == []
        assert (columns["birth"]["min"], columns["birth"]["max"]) == ("1979", "1990")

    partial = as_user("paul", "GET", path).json()
    assert [column["name"] for column in partial["columns"]] == ["id", "region"]
    # a user's profile of their view is never stored: the admin still reads the clear one
    again = as_user("root", "GET", path)
    assert "ann@example.com" in again.text and again.json()["rows"] == 4
    entries = access_control(project).audit.entries(user="alice", action="read table", limit=5)
    assert ("profile", 2) in [(entry["detail"], entry["rows"]) for entry in entries]


def test_the_sql_endpoint_needs_query_and_answers_as_the_table_rows_do(project, as_user):
    sql = {"sql": "SELECT id, email FROM exploitation.customers_public ORDER BY id"}
    refused = as_user("victor", "POST", "/api/sql", json=sql)
    assert refused.status_code == 403
    assert "victor may not write their own SQL" in refused.json()["error"]
    answer = as_user("alice", "POST", "/api/sql", json=sql)
    assert answer.json()["rows"] == [
        {"id": 1, "email": "a***@example.com"},
        {"id": 3, "email": "c***@example.com"},
    ]
    download = as_user("alice", "POST", "/api/sql", json={**sql, "format": "csv"})
    assert download.text.splitlines() == [
        '"id","email"',
        '1,"a***@example.com"',
        '3,"c***@example.com"',
    ]
    entry = _latest(project, "alice", "download")
    assert (entry["tables"], entry["rows"]) == (["exploitation.customers_public"], 2)


def test_a_dashboard_chart_over_a_refused_table_fails_alone(project, as_user):
    board = as_user("victor", "GET", "/api/dashboards/access")
    assert board.status_code == 200
    assert [chart["name"] for chart in board.json()["charts"]] == ["totals", "people", "secret"]
    assert board.json()["filters"][0]["options"] == []  # its options come from a refused table
    page = as_user("victor", "GET", "/dashboards/access", headers={"Accept": "text/html"})
    assert page.status_code == 200
    totals = as_user("victor", "GET", "/api/dashboards/access/charts/totals")
    assert totals.status_code == 200 and totals.json()["row_count"] == 2
    secret = as_user("victor", "GET", "/api/dashboards/access/charts/secret")
    assert secret.status_code == 403
    assert secret.json()["error"].startswith("victor may not read formatted.customers")
    people = as_user("victor", "GET", "/api/dashboards/access/charts/people")
    assert people.json()["rows"] == [
        {"id": 2, "email": "b***@example.com", "region": "south"},
        {"id": 4, "email": "d***@example.com", "region": "south"},
    ]
    options = as_user("erin", "GET", "/api/dashboards/access").json()["filters"][0]["options"]
    assert [option["value"] for option in options] == ["north", "south"]


def test_a_dashboard_csv_is_masked_and_audited_as_a_download(project, as_user):
    path = "/api/dashboards/access/charts/people"
    answer = as_user("victor", "GET", path, params={"format": "csv"})
    assert answer.status_code == 200
    assert answer.text.splitlines() == [
        '"id","email","region"',
        '2,"b***@example.com","south"',
        '4,"d***@example.com","south"',
    ]
    entry = _latest(project, "victor", "download")
    assert (entry["door"], entry["tables"], entry["rows"], entry["outcome"]) == (
        "http",
        ["exploitation.customers_public"],
        2,
        "ok",
    )


@pytest.mark.parametrize(
    ("path", "refused", "missing", "allowed"),
    [
        ("/api/checks", "alice", "ops.check_results", "erin"),
        ("/api/runs", "alice", "ops.runs", "erin"),
        ("/api/pipelines", "victor", "ops.runs", "erin"),
        ("/api/models", "paul", "analytics.models", "victor"),
        ("/api/anomalies", "paul", "analytics.anomalies", "victor"),
    ],
)
def test_ops_and_analysis_reads_need_their_tables_grant(as_user, path, refused, missing, allowed):
    answer = as_user(refused, "GET", path)
    assert answer.status_code == 403, answer.text
    assert f"may not read {missing}" in answer.json()["error"]
    assert as_user(allowed, "GET", path).status_code == 200


def test_check_results_show_samples_only_of_tables_read_whole(as_user):
    def checks(user: str) -> dict[str, list]:
        answer = as_user(user, "GET", "/api/checks")
        assert answer.status_code == 200, answer.text
        return {result["table"]: result["sample"] for result in answer.json()}

    clear = checks("root")
    assert clear["exploitation.customers_public"][0]["email"] == "ann@example.com"
    assert checks("erin")["exploitation.customers_public"] == []  # emails are masked for erin
    assert checks("otto") == {}  # no grant on the tables checked


def test_anomalies_are_read_through_the_users_row_filters(as_user):
    filtered = as_user("victor", "GET", "/api/anomalies").json()
    assert filtered["total"] == 2
    assert {row["severity"] for row in filtered["rows"]} == {"warn", "critical"}
    assert as_user("alice", "GET", "/api/anomalies").json()["total"] == 3  # analysts: no filter
    one = as_user("victor", "GET", "/api/anomalies", params={"severity": "warn"}).json()
    assert [row["incident_id"] for row in one["rows"]] == ["i2"]


def test_forecasts_show_to_who_reads_their_table_and_run_with_train(as_user):
    listed = as_user("victor", "GET", "/api/forecasts").json()  # the pipeline made it
    assert [(f["name"], f["exists"]) for f in listed] == [("daily", True)]
    detail = as_user("victor", "GET", "/api/forecasts/daily")
    assert detail.status_code == 200 and len(detail.json()["rows"]) == 3
    assert as_user("paul", "GET", "/api/forecasts").json() == []
    refused = as_user("paul", "GET", "/api/forecasts/daily")
    assert refused.status_code == 403
    assert "may not read analytics.forecast_daily" in refused.json()["error"]
    run_refused = as_user("victor", "POST", "/api/forecasts/daily")
    assert run_refused.status_code == 403 and "'train'" in run_refused.json()["error"]


def test_starting_runs_needs_the_runs_ability(as_user):
    body = {"select": []}
    refused = as_user("alice", "POST", "/api/pipelines/nope/runs", json=body)
    assert refused.status_code == 403 and "'runs'" in refused.json()["error"]
    # erin may start runs: the request goes on to find no such pipeline
    assert as_user("erin", "POST", "/api/pipelines/nope/runs", json=body).status_code == 404


def test_predicting_needs_train_or_the_training_tables_whole(project, as_user):
    from lakebox.analysis import registry
    from lakebox.analysis.training import train

    trained = train(project, "lift", "exploitation.sales_features", "y", ["x"], "linear", "day")
    registry.promote(project, "lift", trained.version)
    assert set(trained.training_snapshots) == {"exploitation.sales_features", "formatted.sales"}
    body = {"rows": [{"x": 10}]}
    allowed = as_user("alice", "POST", "/api/models/lift/predict", json=body)
    assert allowed.status_code == 200 and allowed.json()["predictions"] == pytest.approx([32.0])
    refused = as_user("paul", "POST", "/api/models/lift/predict", json=body)
    assert refused.status_code == 403
    assert "may not read exploitation.sales_features" in refused.json()["error"]
    # a viewer reads the features table whole (not formatted.sales, which it was made from)
    viewer = as_user("victor", "POST", "/api/models/lift/predict", json=body)
    assert viewer.status_code == 200 and viewer.json()["predictions"] == pytest.approx([32.0])


def test_metrics_need_an_admin(as_user):
    assert as_user("alice", "GET", "/metrics").status_code == 403
    scraped = as_user("root", "GET", "/metrics")
    assert scraped.status_code == 200 and "lakebox_table_rows" in scraped.text


def test_a_run_started_over_http_is_audited_as_a_run(project, as_user):
    started = as_user("erin", "POST", "/api/forecasts/daily")
    assert started.status_code == 200, started.text
    entry = _latest(project, "erin", "run")
    assert entry["door"] == "http" and entry["outcome"] == "ok"
    assert "daily" in (entry["detail"] or "") or "analytics.forecast_daily" in entry["tables"]
