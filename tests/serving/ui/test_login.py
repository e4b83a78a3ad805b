"""Logging in to the web UI and out of it: the session cookie, failed logins (audited, then
limited), the CSRF token of pages and their JavaScript, the login page's `next` (never another
site), the laptop mode that needs no login — with FastAPI's TestClient on the real app, and in
headless Chromium on a real server."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

import lakebox
from lakebox.access.control import access_control
from lakebox.serving.app import create_app
from lakebox.serving.ui.login import safe_next
from tests.serving.ui.conftest import PASSWORDS, served

HTML = {"Accept": "text/html"}


@pytest.fixture
def client(access_lakehouse: lakebox.Lakehouse) -> Iterator[TestClient]:
    """A fresh app (with its own count of failed logins) over the project under access."""
    with TestClient(create_app(access_lakehouse), base_url="http://127.0.0.1") as opened:
        yield opened


def log_in(client: TestClient, name: str) -> str:
    """Log `name` in; return the CSRF token their pages carry."""
    answer = client.post("/login", data={"user": name, "password": PASSWORDS[name]})
    assert answer.status_code == 200, answer.text
    return csrf_of(answer.text)


def csrf_of(html: str) -> str:
    found = re.search(r'<meta name="csrf-token" content="([^"]*)">', html)
    assert found is not None
    return found.group(1)


def audited(lh: lakebox.Lakehouse, user: str, action: str) -> list[dict[str, object]]:
    return access_control(lh).audit.entries(user=user, action=action)


def test_a_page_without_a_user_goes_to_the_login_page_keeping_the_address(client):
    answer = client.get("/catalog?zone=x", headers=HTML, follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/login?next=%2Fcatalog%3Fzone%3Dx"
    page = client.get(answer.headers["location"])
    assert page.status_code == 200
    assert '<input type="hidden" name="next" value="/catalog?zone=x">' in page.text
    assert 'id="logout"' not in page.text and "/catalog" not in page.text.split("<main>")[0]


def test_logging_in_starts_a_strict_http_only_session(client, access_lakehouse):
    answer = client.post(
        "/login",
        data={"user": "ana", "password": PASSWORDS["ana"], "next": "/catalog"},
        follow_redirects=False,
    )
    assert answer.status_code == 303 and answer.headers["location"] == "/catalog"
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith("lakebox_session=")
    flags = {flag.strip().lower() for flag in cookie.split(";")[1:]}
    assert {"httponly", "path=/", "samesite=strict", "max-age=43200"} <= flags
    assert "secure" not in flags
    page = client.get("/catalog")
    assert page.status_code == 200
    header = page.text.split("<main>")[0]
    assert '<span class="name">ana</span> <span class="roles muted">analyst</span>' in header
    assert f'name="csrf" value="{csrf_of(page.text)}"' in header  # the logout form
    assert audited(access_lakehouse, "ana", "login")[0]["door"] == "ui"


def test_the_session_cookie_is_secure_when_served_over_tls(client):
    client.app.state.tls = True
    answer = client.post(
        "/login", data={"user": "vic", "password": PASSWORDS["vic"]}, follow_redirects=False
    )
    assert answer.headers["location"] == "/"
    assert "secure" in {flag.strip().lower() for flag in answer.headers["set-cookie"].split(";")}


def test_a_wrong_password_is_refused_and_audited(client, access_lakehouse):
    before = len(audited(access_lakehouse, "vic", "failed login"))
    answer = client.post("/login", data={"user": "vic", "password": "not-her-password"})
    assert answer.status_code == 401
    assert "wrong user name or password for &#39;vic&#39;" in answer.text
    assert 'value="vic"' in answer.text  # the name stays in the form
    assert "lakebox_session" not in answer.headers.get("set-cookie", "")
    failed = audited(access_lakehouse, "vic", "failed login")
    assert len(failed) == before + 1
    assert failed[0]["outcome"] == "refused" and failed[0]["door"] == "ui"


def test_failed_logins_are_limited_per_user_and_address(client, access_lakehouse):
    limiter = access_control(access_lakehouse).limiter  # one per project, shared with pg-wire
    try:
        for _ in range(3):  # access.login_attempts
            wrong = {"user": "eve", "password": "guess-1234"}
            assert client.post("/login", data=wrong).status_code == 401
        right = {"user": "eve", "password": PASSWORDS["eve"]}
        limited = client.post("/login", data=right, follow_redirects=False)
        assert limited.status_code == 429
        assert "too many failed logins" in limited.text
        assert int(limited.headers["retry-after"]) >= 1
        refused = audited(access_lakehouse, "eve", "failed login")[0]
        assert refused["detail"].startswith("too many") and refused["outcome"] == "refused"
        # another user from the same address is not held back
        other = client.post("/login", data={"user": "vic", "password": PASSWORDS["vic"]})
        assert other.status_code == 200
    finally:
        limiter.succeeded("eve", "testclient")


def test_logging_out_ends_the_session(client, access_lakehouse):
    csrf = log_in(client, "vic")
    session = client.cookies["lakebox_session"]
    answer = client.post("/logout", data={"csrf": csrf}, follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/login"
    assert 'lakebox_session=""' in answer.headers["set-cookie"]
    assert audited(access_lakehouse, "vic", "logout")[0]["outcome"] == "ok"
    client.cookies.set("lakebox_session", session)  # the old cookie no longer opens pages
    again = client.get("/", headers=HTML, follow_redirects=False)
    assert again.status_code == 303 and again.headers["location"].startswith("/login")


def test_logging_out_needs_the_session_csrf_token(client):
    log_in(client, "vic")
    refused = client.post("/logout", data={"csrf": "not-the-token"}, follow_redirects=False)
    assert refused.status_code == 403
    assert client.get("/", follow_redirects=False).status_code == 200  # still logged in


def test_a_javascript_post_needs_the_csrf_token(client):
    csrf = log_in(client, "ana")
    statement = {"sql": "SELECT count(*) AS n FROM exploitation.people"}
    refused = client.post("/api/sql", json=statement)
    assert refused.status_code == 403
    assert refused.json()["error"] == "this request lacks the page's CSRF token"
    wrong = client.post("/api/sql", json=statement, headers={"X-CSRF-Token": "x" + csrf})
    assert wrong.status_code == 403
    answer = client.post("/api/sql", json=statement, headers={"X-CSRF-Token": csrf})
    assert answer.status_code == 200 and answer.json()["rows"] == [{"n": 2}]  # BCN rows only


@pytest.mark.parametrize(
    "target",
    [
        "https://elsewhere.example/",
        "//elsewhere.example/catalog",
        "/\\elsewhere.example",
        "javascript:alert(1)",
        "catalog",
        "/login",
        "/logout",
        "/catalog\r\nSet-Cookie: x=1",
    ],
)
def test_the_page_after_login_is_never_another_site(client, target):
    assert safe_next(target) == "/"
    answer = client.post(
        "/login",
        data={"user": "vic", "password": PASSWORDS["vic"], "next": target},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == "/"


def test_the_page_after_login_keeps_paths_and_queries_of_this_site():
    assert safe_next("/catalog/exploitation/people?as_of=1#rows") == (
        "/catalog/exploitation/people?as_of=1#rows"
    )
    assert safe_next(None) == "/" and safe_next("") == "/"


def test_a_user_logged_in_goes_from_the_login_page_to_the_page_asked_for(client):
    log_in(client, "vic")
    answer = client.get("/login?next=/catalog", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/catalog"


def test_a_laptop_needs_no_login(make_project):
    lh = make_project()
    client = TestClient(create_app(lh), base_url="http://127.0.0.1")
    page = client.get("/login")
    assert page.status_code == 200
    assert "No login is needed" in page.text and '<a class="button" href="/">' in page.text
    assert "<form" not in page.text.split("<main>")[1]
    home = client.get("/")
    header = home.text.split("<main>")[0]
    assert 'id="user"' in header and ">local<" in header and 'id="logout"' not in header
    sent = client.post("/login", data={"user": "x", "password": "y"}, follow_redirects=False)
    assert sent.status_code == 303 and sent.headers["location"] == "/"


def test_an_analyst_is_refused_a_table_and_logs_out_in_a_browser(browser, access_lakehouse):
    with served(create_app(access_lakehouse), probe="/login") as url:
        context = browser.new_context(viewport={"width": 1400, "height": 900})
        page = context.new_page()
        page.set_default_timeout(20_000)
        problems: list[str] = []
        page.on("pageerror", lambda error: problems.append(f"JavaScript error: {error}"))
        page.goto(f"{url}/catalog/exploitation/people")
        assert page.url.startswith(f"{url}/login?next=")
        page.fill("#user-name", "ana")
        page.fill("#password", PASSWORDS["ana"])
        page.click("#log-in")
        page.wait_for_url(f"{url}/catalog/exploitation/people")
        page.wait_for_selector("#rows-grid table")
        cells = page.locator("#rows-grid td").all_inner_texts()
        assert "[redacted]" in cells and "bo@y.org" not in cells and "LYS" not in cells
        assert page.inner_text("#user .name") == "ana"
        # the console's POST carries the CSRF token
        page.goto(f"{url}/sql?q=SELECT%20count(*)%20AS%20n%20FROM%20exploitation.people")
        page.click("#run")
        page.wait_for_selector("#row-count")
        assert page.inner_text("#grid td") == "2"
        page.goto(f"{url}/catalog/formatted/customers")
        message = page.inner_text("#refused .message")
        assert "ana may not read formatted.customers" in message
        assert "no grant of read on formatted.customers" in message
        page.click("#logout button")
        page.wait_for_url(f"{url}/login")
        assert page.locator("#log-in").is_visible()
        page.goto(f"{url}/catalog")
        assert page.url.startswith(f"{url}/login?next=")
        context.close()
    assert problems == []
