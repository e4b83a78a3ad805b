"""The access matrix: users of each role × each door (HTTP SQL, the UI console, a dashboard
chart, pg-wire) × each kind of table. Deny by default, the same answer through every door
for the same user and query, and a filtered row or a masked column's clear value never seen
(not through SELECT *, a join, a CTE, information_schema, a CSV download, a sample or a
profile)."""

from __future__ import annotations

import re
import threading

import psycopg
import pytest
from fastapi.testclient import TestClient

from lakebox.access.control import access_control
from lakebox.orchestration.runner import run
from lakebox.serving.app import create_app
from lakebox.serving.pgwire.server import PgServer
from tests.conftest import free_port, write_file
from tests.serving.access_data import ACCESS, CUSTOMERS

QUERIES = {
    "customers": "SELECT id, name, email, born FROM formatted.customers ORDER BY id",
    "people": "SELECT id, name, ssn FROM exploitation.people ORDER BY id",
    "quarantine": "SELECT * FROM quarantine.customers",
}
DASHBOARD = "title: Matrix\ncharts:\n" + "".join(
    f'  {name}: {{kind: table, title: {name}, sql: "{sql}"}}\n' for name, sql in QUERIES.items()
)
USERS = {  # name: (roles, attributes)
    "root": (["admin"], {}),
    "eng": (["engineer"], {}),
    "alice": (["eu_analyst"], {"region": "EU"}),
    "vic": (["viewer"], {}),
}
# what each user may read of each object (True: rows; False: refused)
READS = {
    "root": {"customers": True, "people": True, "quarantine": True},
    # an engineer reads every zone, but not the quarantine of a table they read filtered
    "eng": {"customers": True, "people": True, "quarantine": False},
    "alice": {"customers": True, "people": True, "quarantine": False},
    "vic": {"customers": False, "people": True, "quarantine": False},
}
CLEAR = ("111-22-3333", "ann@example.com", "bob@example.org", "1980-05-17", "Bob")
PASSWORD = "matrix-password"


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    import lakebox

    project = tmp_path_factory.mktemp("matrix")
    import yaml

    (project / "lakebox.yaml").write_text(
        yaml.safe_dump(
            {
                "name": "matrix",
                "engine": {"memory_limit": "1GB", "threads": 2},
                "sources": {"customers": {"path": "in/*.csv"}},
                "access": ACCESS,
            }
        )
    )
    write_file(project / "in", "customers.csv", CUSTOMERS)
    write_file(project / "models", "people.sql", "SELECT id, name, ssn FROM formatted.customers")
    write_file(project / "dashboards", "matrix.yaml", DASHBOARD)
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


def _normal(rows: list[dict]) -> list[tuple[str, ...]]:
    return sorted(tuple(str(value) for value in row.values()) for row in rows)


def _http(app, token: str, sql: str) -> tuple[int, list[dict] | str]:
    with TestClient(app, base_url="http://127.0.0.1") as client:
        answer = client.post(
            "/api/sql", json={"sql": sql}, headers={"Authorization": f"Bearer {token}"}
        )
    return answer.status_code, answer.json()["rows"] if answer.is_success else answer.text


def _console(app, user: str, sql: str) -> tuple[int, list[dict] | str]:
    with TestClient(app, base_url="http://127.0.0.1") as client:
        login = client.post(
            "/login", data={"user": user, "password": PASSWORD}, follow_redirects=False
        )
        assert login.status_code in (302, 303), login.text
        page = client.get("/sql").text
        csrf = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
        answer = client.post("/api/sql", json={"sql": sql}, headers={"X-CSRF-Token": csrf})
    return answer.status_code, answer.json()["rows"] if answer.is_success else answer.text


def _dashboard(app, token: str, chart: str, form: str = "json") -> tuple[int, object]:
    with TestClient(app, base_url="http://127.0.0.1") as client:
        answer = client.get(
            f"/api/dashboards/matrix/charts/{chart}",
            params={"format": form},
            headers={"Authorization": f"Bearer {token}"},
        )
    if not answer.is_success:
        return answer.status_code, answer.text
    return answer.status_code, answer.json()["rows"] if form == "json" else answer.text


def _pg(port: int, user: str, sql: str) -> tuple[int, list[dict] | str]:
    with psycopg.connect(
        host="127.0.0.1", port=port, user=user, password=PASSWORD, dbname="lakebox"
    ) as connection:
        try:
            cursor = connection.execute(sql)
        except psycopg.Error as error:
            return (403 if error.sqlstate == "42501" else 400), str(error)
        names = [column.name for column in cursor.description]
        return 200, [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


@pytest.mark.parametrize("user", list(USERS))
@pytest.mark.parametrize("thing", list(QUERIES))
def test_every_door_gives_the_same_answer(served, user, thing):
    _, app, tokens, port = served
    sql = QUERIES[thing]
    answers = {
        "http": _http(app, tokens[user], sql),
        "console": _console(app, user, sql),
        "pg": _pg(port, user, sql),
        "dashboard": _dashboard(app, tokens[user], thing),
    }
    writes_sql = user != "vic"
    for door, (status, body) in answers.items():
        expected = READS[user][thing] and (writes_sql or door == "dashboard")
        assert (status == 200) == expected, (door, status, body)
        if not expected:
            assert status == 403, (door, status, body)
            missing = "query" if not writes_sql and door != "dashboard" else thing
            assert missing in str(body), (door, body)
    rows = [_normal(body) for status, body in answers.values() if status == 200]
    assert all(each == rows[0] for each in rows), answers
    if (user, thing) == ("alice", "customers"):
        expected_rows = [
            ("1", "Ann", "a***@example.com", "1980"),
            ("3", "Cid", "c***@example.net", "1990"),
        ]
        assert rows[0] == expected_rows and len(rows) == 4
    if user in ("alice", "vic"):
        hidden = [c for c in CLEAR if c != "Bob" or (user, thing) == ("alice", "customers")]
        assert not any(clear in repr(answers) for clear in hidden), answers


def test_alice_never_sees_a_filtered_row_or_a_clear_value(served):
    lh, app, tokens, port = served
    token = tokens["alice"]
    attempts = [
        "SELECT * FROM formatted.customers",
        "SELECT c.*, p.* FROM formatted.customers c JOIN exploitation.people p USING (id)",
        "WITH x AS (SELECT * FROM formatted.customers) SELECT * FROM x",
        "SELECT * FROM information_schema.columns WHERE table_name = 'customers'",
    ]
    seen = [_http(app, token, sql) for sql in attempts]
    seen += [_pg(port, "alice", sql) for sql in attempts]
    with TestClient(app, base_url="http://127.0.0.1") as client:
        headers = {"Authorization": f"Bearer {token}"}
        for path in (
            "/api/tables/formatted/customers/rows",
            "/api/tables/formatted/customers",
        ):
            seen.append((0, client.get(path, headers=headers).text))
        seen.append((0, client.post("/api/tables/formatted/customers/profile",
                                     headers=headers).text))  # fmt: skip
    seen.append(_dashboard(app, token, "customers", "csv"))
    text = repr(seen)
    assert not any(clear in text for clear in CLEAR), text
    assert "ssn" not in repr(seen[3]) and "ssn" not in repr(seen[7])
    kinds = {entry["action"] for entry in access_control(lh).audit.entries(user="alice")}
    assert {"query", "read table", "download", "login"} <= kinds
