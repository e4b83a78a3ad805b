"""Attacks on access control, each a hole found by a review: a restricted user (alice, an
eu_analyst; vic, a viewer) or an anonymous client reaching what their grants hide. Every test
here states what should hold; each failed on the day it was written."""

from __future__ import annotations

import re
import threading

import psycopg
import pytest
import yaml
from fastapi.testclient import TestClient

from lakebox.access.control import access_control
from lakebox.cli.serve import uvicorn_config
from lakebox.orchestration.runner import run
from lakebox.serving.app import create_app
from lakebox.serving.pgwire.server import PgServer
from tests.conftest import free_port, write_file
from tests.serving.access_data import ACCESS, CUSTOMERS

USERS = {  # name: (roles, attributes)
    "root": (["admin"], {}),
    "alice": (["eu_analyst"], {"region": "EU"}),
    "vic": (["viewer"], {}),
}
PASSWORD = "attack-password"
# what alice may never see: a hidden column (ssn), a filtered row (Bob), clear masked values
SECRETS = ("111-22-3333", "444-55-6666", "ann@example.com", "bob@example.org", "Bob", "1980-05-17")


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    import lakebox

    project = tmp_path_factory.mktemp("attacks")
    (project / "lakebox.yaml").write_text(
        yaml.safe_dump(
            {
                "name": "attacks",
                "engine": {"memory_limit": "1GB", "threads": 2},
                "sources": {"customers": {"path": "in/*.csv"}},
                "access": ACCESS,
            }
        )
    )
    write_file(project / "in", "customers.csv", CUSTOMERS)
    write_file(project / "models", "people.sql", "SELECT id, name, ssn FROM formatted.customers")
    write_file(project / "models", "regions.sql", "SELECT DISTINCT region FROM formatted.customers")
    lh = lakebox.open(project)
    assert run(lh).ok
    control = access_control(lh)
    tokens = {}
    for name, (roles, attributes) in USERS.items():
        control.users.add(name, roles, PASSWORD, attributes)
        tokens[name] = control.tokens.create(name)[1]
    app = create_app(lh, timeout=10)
    port = free_port()
    pg = PgServer(lh, "127.0.0.1", port, None, require_users=True)
    thread = threading.Thread(target=pg.serve_forever, daemon=True)
    thread.start()
    yield lh, app, tokens, port
    pg.stop()
    lh.close()


def _http(app, token: str, sql: str) -> tuple[int, str]:
    with TestClient(app, base_url="http://127.0.0.1") as client:
        answer = client.post(
            "/api/sql", json={"sql": sql}, headers={"Authorization": f"Bearer {token}"}
        )
    return answer.status_code, answer.text


def _pg(port: int, user: str, sql: str) -> tuple[int, str]:
    with psycopg.connect(
        host="127.0.0.1", port=port, user=user, password=PASSWORD, dbname="lakebox"
    ) as connection:
        try:
            rows = connection.execute(sql).fetchall()
        except psycopg.Error as error:
            return (403 if error.sqlstate == "42501" else 400), str(error)
        return 200, repr(rows)


# -- 1. DuckDB's table macros histogram() and histogram_values() read any table --------------
# They take the table as a bare name (`histogram_values(formatted.customers, ssn)`), which the
# parser reads as a column, not a table: no grant, column grant, mask or row filter applies,
# and the audit log names no table. The macro body runs query_table() on the real table.
HISTOGRAMS = [
    "SELECT * FROM histogram_values(formatted.customers, ssn)",
    "SELECT * FROM histogram(formatted.customers, email)",
    "SELECT bin FROM histogram_values(formatted.customers, name || '|' || ssn || '|' || born)",
    "SELECT * FROM histogram_values(exploitation.people, ssn)",
]


@pytest.mark.parametrize("sql", HISTOGRAMS)
def test_histogram_macros_do_not_read_around_grants_over_http(served, sql):
    _, app, tokens, _ = served
    status, body = _http(app, tokens["alice"], sql)
    leaked = [secret for secret in SECRETS if secret in body]
    assert not leaked, (status, body)


@pytest.mark.parametrize("sql", HISTOGRAMS[:1])
def test_histogram_macros_do_not_read_around_grants_over_pg(served, sql):
    _, _, _, port = served
    status, body = _pg(port, "alice", sql)
    leaked = [secret for secret in SECRETS if secret in body]
    assert not leaked, (status, body)


def test_histogram_macros_do_not_read_ungranted_tables(served):
    _, app, tokens, _ = served
    status, body = _http(
        app, tokens["alice"], "SELECT * FROM histogram_values(quarantine.customers, _reason)"
    )
    assert status == 403, body
    status, body = _http(app, tokens["alice"], 'SELECT * FROM histogram_values(ops.audit, "user")')
    assert status == 403, body


def test_reads_through_a_table_macro_are_audited_with_their_table(served):
    lh, app, tokens, _ = served
    _http(app, tokens["alice"], "SELECT count(*) FROM histogram_values(formatted.customers, id)")
    control = access_control(lh)
    control.audit.flush()
    latest = control.audit.entries(user="alice", limit=1)[0]
    assert latest["outcome"] == "refused" or "formatted.customers" in latest["tables"], latest


# -- 2. pragma_table_info / pragma_show list any table's columns -----------------------------
@pytest.mark.parametrize("function", ["pragma_table_info", "pragma_show"])
def test_pragma_listings_show_no_hidden_column(served, function):
    _, app, tokens, _ = served
    status, body = _http(app, tokens["alice"], f"SELECT * FROM {function}('formatted.customers')")
    assert "ssn" not in body, (status, body)


@pytest.mark.parametrize("table", ["quarantine.customers", "ops.audit", "landing.manifest"])
def test_pragma_listings_show_no_ungranted_table(served, table):
    _, app, tokens, _ = served
    status, body = _http(app, tokens["alice"], f"SELECT name FROM pragma_table_info('{table}')")
    assert status == 403 or '"rows":[]' in body, (status, body)


# -- 3. the web UI's catalog shows a row-filtered table's row count --------------------------
def _logged_in(app, user: str) -> TestClient:
    client = TestClient(app, base_url="http://127.0.0.1")
    login = client.post("/login", data={"user": user, "password": PASSWORD}, follow_redirects=False)
    assert login.status_code in (302, 303), login.text
    return client


def test_catalog_pages_hide_the_row_count_of_a_row_filtered_table(served):
    _, app, tokens, _ = served
    with TestClient(app, base_url="http://127.0.0.1") as client:
        api = client.get(
            "/api/tables/formatted/customers",
            headers={"Authorization": f"Bearer {tokens['alice']}"},
        ).json()
    assert api["rows"] is None  # the API hides it: it tells how many rows the filter removes
    with _logged_in(app, "alice") as client:
        listing = client.get("/catalog").text
        page = client.get("/catalog/formatted/customers").text
    row = re.search(r'data-table="formatted\.customers".*?</tr>', listing, re.DOTALL)
    assert row is not None
    assert '<td class="num rows">3</td>' not in row.group(0), row.group(0)
    card = re.search(r'id="row-count">.*?</div></div>', page, re.DOTALL)
    assert card is None or ">3<" not in card.group(0), card.group(0)
    assert '"rows": 3' not in page


# -- 4. a viewer (no abilities) computes and stores a table's profile ------------------------
def test_a_viewer_may_not_store_a_profile(served):
    from lakebox.quality.profile import latest_profile

    lh, app, tokens, _ = served
    with TestClient(app, base_url="http://127.0.0.1") as client:
        answer = client.post(
            "/api/tables/exploitation/regions/profile",
            json={},
            headers={"Authorization": f"Bearer {tokens['vic']}"},
        )
    stored = latest_profile(lh, "exploitation.regions")
    assert answer.status_code == 403, (answer.status_code, answer.text)
    assert stored is None  # nothing written to ops.profiles on a viewer's behalf


# -- 5. the HTTP table routes tell an ungranted table from a missing one ---------------------
def test_table_routes_answer_alike_for_ungranted_and_missing_tables(served):
    _, app, tokens, _ = served
    headers = {"Authorization": f"Bearer {tokens['vic']}"}
    with TestClient(app, base_url="http://127.0.0.1") as client:
        hidden = client.get("/api/tables/quarantine/customers", headers=headers)
        missing = client.get("/api/tables/quarantine/nonesuch", headers=headers)
    assert hidden.status_code == missing.status_code, (hidden.text, missing.text)


# -- 6. the OpenAPI document is served to anonymous clients (the docs page is not) -----------
def test_the_api_description_needs_a_user(served):
    _, app, _, _ = served
    with TestClient(app, base_url="http://127.0.0.1") as client:
        docs = client.get("/docs")
        described = client.get("/openapi.json")
    assert docs.status_code == 401
    assert described.status_code == 401, described.text[:200]


# -- 7. X-Forwarded-For resets the login limit (uvicorn trusts it from 127.0.0.1) ------------
def test_the_login_limit_holds_whatever_x_forwarded_for_says(served):
    """uvicorn's defaults trust X-Forwarded-For from 127.0.0.1: a client on this machine could
    name another address in each attempt and never be limited, and the audit log would record
    the address it made up. `lakebox serve` turns them off."""
    import time

    import httpx
    import uvicorn

    lh, app, _, _ = served
    port = free_port()
    server = uvicorn.Server(uvicorn_config(app, "127.0.0.1", port))  # as lakebox serve

    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(200):
        if server.started:
            break
        time.sleep(0.05)
    try:
        statuses = []
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
            for attempt in range(8):
                answer = client.post(
                    "/login",
                    data={"user": "root", "password": f"guess-{attempt}"},
                    headers={"X-Forwarded-For": f"203.0.113.{attempt}"},
                )
                statuses.append(answer.status_code)
    finally:
        server.should_exit = True
        thread.join(10)
    control = access_control(lh)
    control.audit.flush()
    clients = {entry["client"] for entry in control.audit.entries(user="root", limit=8)}
    assert 429 in statuses, statuses
    assert not any(str(client).startswith("203.0.113.") for client in clients), clients
