"""What guards `lakebox serve` from hostile browsers and networks: cross-site requests (CSRF),
Host headers (DNS rebinding), the token in an address, the security headers; on the real app
over a real lakehouse, asserting on what the requests did to the lakehouse."""

from __future__ import annotations

import socket

import httpx
import numpy as np
import pytest
from fastapi.testclient import TestClient

from lakebox.errors import ConfigError
from lakebox.serving.app import create_app
from lakebox.serving.security import SECURITY_HEADERS, allowed_hosts, check_token
from tests.analysis.conftest import write_table
from tests.analysis.forecast.conftest import SALES, monthly_rows

LOCAL = "http://127.0.0.1"
JSON = {"Content-Type": "application/json"}
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
TOKEN = "t" * 40


@pytest.fixture
def lh(make_project):
    lh = make_project(forecasts={"sales": SALES})
    write_table(lh, "exploitation.sales", monthly_rows({"north": 20 + np.arange(36.0)}))
    return lh


@pytest.fixture
def client(lh):
    return TestClient(create_app(lh, timeout=10), base_url=LOCAL)


def snapshot_count(client: TestClient, table: str) -> int:
    answer = client.get(f"/api/tables/{table}")
    return answer.json()["snapshot_count"] if answer.status_code == 200 else 0


@pytest.mark.parametrize(
    "headers",
    [
        {**FORM, "Origin": "http://evil.example"},
        FORM,  # a form from a page that sends no Origin
        {"Content-Type": "text/plain", "Origin": "null"},
        {**JSON, "Origin": "http://evil.example"},
        {**JSON, "Sec-Fetch-Site": "cross-site"},
        {**JSON, "Origin": "http://127.0.0.1:9999"},  # another local origin
    ],
    ids=["form-evil-origin", "form-no-origin", "null-origin", "json-evil", "fetch-site", "port"],
)
def test_a_cross_site_request_makes_no_forecast_snapshot(client, headers):
    assert client.post("/api/forecasts/sales", headers=JSON).status_code == 200
    before = snapshot_count(client, "analytics/forecast_sales")

    # a form without fields: an empty body, which the route takes for "the declared forecast"
    refused = client.post("/api/forecasts/sales", headers=headers, content=b"")

    assert refused.status_code in (403, 415)
    assert refused.json()["error"] and refused.json()["hint"]
    assert snapshot_count(client, "analytics/forecast_sales") == before == 1


def test_the_ui_itself_and_scripts_may_still_post(client):
    from_the_page = {**JSON, "Origin": LOCAL, "Sec-Fetch-Site": "same-origin"}
    assert client.post("/api/forecasts/sales", headers=from_the_page).status_code == 200
    once = snapshot_count(client, "analytics/forecast_sales")
    assert client.post("/api/forecasts/sales", headers=JSON).status_code == 200  # like curl
    assert snapshot_count(client, "analytics/forecast_sales") > once >= 1


def test_a_cross_site_form_cannot_profile_a_table(client):
    evil = {**FORM, "Origin": "http://evil.example"}
    assert client.post("/api/tables/exploitation/sales/profile", headers=evil).status_code == 403
    assert client.post("/api/tables/exploitation/sales/profile", headers=FORM).status_code == 415
    assert client.get("/api/tables/exploitation/sales/profile").status_code == 404  # none stored


@pytest.mark.parametrize(
    "path",
    ["/api/sql", "/api/models/m/predict", "/api/pipelines/default/runs"],
)
def test_every_post_route_refuses_a_cross_site_form(client, path):
    answer = client.post(path, headers={**FORM, "Origin": "http://evil.example"}, content=b"")
    assert answer.status_code == 403


def test_get_api_sql_runs_no_sql(client):
    answer = client.get("/api/sql", params={"q": "SELECT 42 AS answer"})
    assert answer.status_code == 405 and answer.headers["allow"] == "POST"
    assert "POST" in answer.json()["hint"] and "rows" not in answer.json()
    assert client.post("/api/sql", json={"sql": "SELECT 42 AS answer"}).json()["rows"] == [
        {"answer": 42}
    ]


@pytest.mark.parametrize("host", ["evil.example", "evil.example:8765", "127.0.0.2", "[::2]:80"])
def test_a_host_it_was_not_bound_for_is_misdirected(client, host):
    answer = client.get("/api/tables", headers={"Host": host})
    assert answer.status_code == 421
    assert "host" in answer.json()["error"] and "--allowed-host" in answer.json()["hint"]
    assert client.get("/", headers={"Host": host}).status_code == 421


@pytest.mark.parametrize("host", ["127.0.0.1:8765", "localhost:8765", "LOCALHOST", "[::1]:8765"])
def test_the_loopback_names_are_answered(client, host):
    assert client.get("/api/zones", headers={"Host": host}).status_code == 200


def test_configured_names_are_answered(lh):
    hosts = allowed_hosts("0.0.0.0", ["lakebox.internal"])
    client = TestClient(create_app(lh, allowed_hosts=hosts), base_url="http://lakebox.internal")
    assert client.get("/api/zones").status_code == 200
    assert client.get("/api/zones", headers={"Host": "evil.example"}).status_code == 421


def test_a_wildcard_bind_answers_this_machines_names_and_addresses():
    hosts = allowed_hosts("0.0.0.0")
    assert {"127.0.0.1", "localhost", "::1", socket.gethostname().lower()} <= hosts
    assert "evil.example" not in hosts
    assert allowed_hosts("192.0.2.7") == {"127.0.0.1", "localhost", "::1", "192.0.2.7"}


def test_a_star_answers_any_host(lh):
    anything = TestClient(create_app(lh, allowed_hosts=allowed_hosts("127.0.0.1", ["*"])))
    assert anything.get("/api/zones", headers={"Host": "evil.example"}).status_code == 200


def test_the_token_in_an_address_starts_a_session_and_leaves_the_address(lh):
    app = create_app(lh, token=TOKEN)
    guarded = TestClient(app, base_url=LOCAL, follow_redirects=False)
    opened = guarded.get("/catalog", params={"token": TOKEN, "x": "1"})
    assert opened.status_code == 303 and opened.headers["location"] == "/catalog?x=1"
    assert TOKEN not in opened.text and guarded.cookies.get("lakebox_token") == TOKEN
    assert guarded.get("/catalog").status_code == 200

    stranger = TestClient(app, base_url=LOCAL, follow_redirects=False)
    api = stranger.get("/api/zones", params={"token": TOKEN})
    assert api.status_code == 303 and "token" not in api.headers["location"]
    stranger.cookies.clear()
    assert stranger.get("/api/zones?token=" + TOKEN, follow_redirects=True).status_code == 200
    wrong = TestClient(app, base_url=LOCAL, follow_redirects=False)
    refused = wrong.get("/catalog", params={"token": "nope"})
    assert refused.status_code == 303 and "lakebox_token" not in wrong.cookies
    assert wrong.get(refused.headers["location"]).status_code == 401


def test_a_token_redirect_stays_on_this_server(lh):
    guarded = TestClient(create_app(lh, token=TOKEN), base_url=LOCAL, follow_redirects=False)
    raw = httpx.URL(LOCAL).copy_with(raw_path=f"//evil.example/x?token={TOKEN}".encode())
    answer = guarded.get(raw)
    assert answer.headers["location"] == "/evil.example/x"


@pytest.mark.parametrize(
    "path", ["/", "/api/zones", "/static/lakebox.css", "/api/tables/x/y", "/docs", "/openapi.json"]
)
def test_every_answer_has_the_security_headers(client, path):
    answer = client.get(path)
    for name, value in SECURITY_HEADERS.items():
        assert answer.headers[name] == value
    assert "frame-ancestors 'none'" in answer.headers["content-security-policy"]
    misdirected = client.get(path, headers={"Host": "evil.example"})
    assert misdirected.headers["x-frame-options"] == "DENY"


def test_another_address_needs_a_long_token():
    check_token("0.0.0.0", None)  # users log in as themselves
    with pytest.raises(ConfigError, match="at least 32") as short:
        check_token("0.0.0.0", "x")
    assert "secrets.token_urlsafe(32)" in str(short.value)
    check_token("0.0.0.0", TOKEN)
    check_token("127.0.0.1", "x")  # a loopback address trusts its own machine


@pytest.fixture
def served(lh):
    """The token-guarded app on a real uvicorn (in a thread), as `lakebox serve` runs it."""
    import threading
    import time

    import uvicorn

    from tests.conftest import free_port

    port = free_port()
    app = create_app(lh, token=TOKEN, timeout=10)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    yield port
    server.should_exit = True
    thread.join(timeout=10)


def raw_request(port: int, head: str, body: bytes = b"") -> bytes:
    """Send a request's head (and `body`, if any), then return the status line and headers of
    the answer: the server must answer without the rest of an announced body."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(head.replace("\n", "\r\n").encode() + b"\r\n" + body)
        answer = b""
        while b"\r\n\r\n" not in answer and (chunk := sock.recv(65536)):
            answer += chunk
        return answer


POST = "POST /api/sql HTTP/1.1\nHost: 127.0.0.1\nContent-Type: application/json\n"
BIG = POST + f"Content-Length: {50 << 20}\n"


def test_a_big_body_without_the_token_is_refused_before_it_is_sent(served):
    answer = raw_request(served, BIG)
    assert answer.startswith(b"HTTP/1.1 401")


def test_a_body_announced_past_the_cap_is_refused_before_it_is_sent(served):
    answer = raw_request(served, BIG + f"Authorization: Bearer {TOKEN}\n")
    assert answer.startswith(b"HTTP/1.1 413")


def test_a_chunked_body_is_cut_at_the_cap(served):
    head = "POST /api/sql HTTP/1.1\nHost: 127.0.0.1\nContent-Type: application/json\n"
    head += f"Authorization: Bearer {TOKEN}\nTransfer-Encoding: chunked\n"
    chunk = b"x" * 65536
    body = (b"%x\r\n" % len(chunk) + chunk + b"\r\n") * 20  # 1.25 MB, no end: never finished
    answer = raw_request(served, head, body)
    assert answer.startswith(b"HTTP/1.1 413")


def test_a_small_body_with_the_token_is_served(served):
    sql = b'{"sql": "SELECT 42 AS answer"}'
    head = "POST /api/sql HTTP/1.1\nHost: 127.0.0.1\nContent-Type: application/json\n"
    head += f"Authorization: Bearer {TOKEN}\nContent-Length: {len(sql)}\nConnection: close\n"
    assert raw_request(served, head, sql).startswith(b"HTTP/1.1 200")


def test_a_same_origin_form_passes_even_with_a_null_origin(client):
    """Chromium sends `Origin: null` on a form of a page served with no-referrer, and says
    `Sec-Fetch-Site: same-origin`, which a page of another site cannot make it say."""
    same = {**FORM, "Origin": "null", "Sec-Fetch-Site": "same-origin"}
    assert client.post("/login", headers=same, content=b"user=a&password=b").status_code != 403
    cross = {**FORM, "Origin": "null", "Sec-Fetch-Site": "cross-site"}
    assert client.post("/login", headers=cross, content=b"user=a&password=b").status_code == 403
