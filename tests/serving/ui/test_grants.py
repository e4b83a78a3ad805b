"""The UI's pages under access control: each shows only what its user may read — the tables
granted, their rows masked and filtered, the pages needing an ability refused without it (403,
naming the missing grant) — and the admin and audit pages, for admins only. FastAPI's
TestClient on the real app over a real project."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

import lakebox
from lakebox.access.control import access_control
from lakebox.quality.profile import profile
from lakebox.serving.app import create_app
from lakebox.serving.ui.templating import TEMPLATES
from tests.serving.ui.conftest import PASSWORDS


@pytest.fixture
def as_user(access_lakehouse: lakebox.Lakehouse) -> Iterator[object]:
    """Return a factory: `as_user(name)` → a TestClient logged in as `name`."""
    opened: list[TestClient] = []

    def log_in(name: str) -> TestClient:
        client = TestClient(create_app(access_lakehouse), base_url="http://127.0.0.1")
        answer = client.post("/login", data={"user": name, "password": PASSWORDS[name]})
        assert answer.status_code == 200
        opened.append(client)
        return client

    yield log_in
    for client in opened:
        client.close()


def listed_tables(html: str) -> list[str]:
    return re.findall(r'<tr class="table-row" data-table="([^"]+)">', html)


def first_rows(html: str) -> list[dict[str, object]]:
    settings = re.search(r'id="table-settings">(.*?)</script>', html, re.S)
    assert settings is not None
    return json.loads(settings.group(1))["current"]["rows"]


def test_the_catalog_lists_the_tables_a_user_may_read(as_user):
    assert listed_tables(as_user("ana").get("/catalog").text) == ["exploitation.people"]
    everything = listed_tables(as_user("root").get("/catalog").text)
    assert {"formatted.customers", "exploitation.people", "quarantine.customers"} <= set(everything)
    assert any(table.startswith("ops.") for table in everything)


def test_a_table_not_granted_is_refused_naming_the_grant(as_user, access_lakehouse):
    answer = as_user("ana").get("/catalog/formatted/customers")
    assert answer.status_code == 403
    assert (
        "ana may not read formatted.customers: no grant of read on formatted.customers "
        "(or its zone formatted) in their roles (analyst)"
    ) in answer.text
    assert "ana@x.org" not in answer.text
    refused = access_control(access_lakehouse).audit.entries(user="ana", action="read table")
    assert refused[0]["outcome"] == "refused" and refused[0]["tables"] == ["formatted.customers"]


def test_a_table_page_shows_rows_masked_and_filtered_for_the_user(as_user):
    page = as_user("ana").get("/catalog/exploitation/people").text
    assert first_rows(page) == [
        {"id": 1, "name": "Ana", "email": "[redacted]", "region": "BCN"},
        {"id": 3, "name": "Cy", "email": "[redacted]", "region": "BCN"},
    ]
    assert "ana@x.org" not in page and "bo@y.org" not in page
    assert "masked: redact (tag pii)" in page
    assert "rows filtered (region = user.region)" in page
    assert 'id="as-of"' not in page  # no time travel through lakebox's own reads
    assert 'id="query-in-console"' in page and 'id="profile-now"' not in page
    clear = first_rows(as_user("root").get("/catalog/exploitation/people").text)
    assert [row["email"] for row in clear] == ["ana@x.org", "bo@y.org", "cy@z.org"]


def test_a_table_page_shows_no_profile_values_of_hidden_columns(as_user, access_lakehouse):
    profile(access_lakehouse, "exploitation.people")  # top values, minima, maxima
    assert "bo@y.org" in as_user("root").get("/catalog/exploitation/people").text
    page = as_user("ana").get("/catalog/exploitation/people").text
    assert "bo@y.org" not in page and "LYS" not in page
    assert "Profiled" not in page  # under a row filter, even its row count would tell


def test_the_console_needs_the_query_ability(as_user):
    viewer = as_user("vic")
    answer = viewer.get("/sql")
    assert answer.status_code == 403
    assert "vic may not write their own SQL: no grant of &#39;query&#39;" in answer.text
    assert 'href="/sql"' not in answer.text.split("<main>")[0]
    assert as_user("ana").get("/sql").status_code == 200


def test_the_pages_of_ops_tables_need_their_grant(as_user):
    analyst = as_user("ana")
    for address in ("/runs", "/alerts"):
        answer = analyst.get(address)
        assert answer.status_code == 403
        assert "no grant of read on ops." in answer.text
    overview = analyst.get("/").text
    assert 'id="runs"' not in overview and 'id="open-alerts"' not in overview
    assert re.findall(r'<a class="card" href="/catalog#(\w+)">', overview) == ["exploitation"]
    admin = as_user("root")
    assert admin.get("/runs").status_code == 200
    assert 'id="runs"' in admin.get("/").text


def test_the_admin_page_is_for_admins(as_user, access_lakehouse):
    token, secret = access_control(access_lakehouse).tokens.create("ana", "notebook")
    assert as_user("ana").get("/admin").status_code == 403
    page = as_user("root").get("/admin")
    assert page.status_code == 200
    users = re.findall(r'<tr class="user-row" data-user="([^"]+)">', page.text)
    assert {"root", "ana", "vic"} <= set(users)
    assert "region=BCN" in page.text
    assert f'data-token="{token.id}"' in page.text and "notebook" in page.text
    assert secret not in page.text and secret.rsplit("_", 1)[1] not in page.text
    roles = dict(
        re.findall(r'data-role="(\w+)">.*?<td class="reads">([^<]*)</td>', page.text, re.S)
    )
    assert roles["analyst"] == "exploitation, analytics" and roles["admin"] == "*"
    assert "exploitation.people.email" in page.text  # the tag of the mask
    assert "region = user.region" in page.text
    assert 'href="/admin"' in page.text.split("<main>")[0]


def test_the_audit_page_is_for_admins_and_filters_entries(as_user):
    assert as_user("vic").get("/audit").status_code == 403
    admin = as_user("root")
    logins = admin.get("/audit", params={"user": "vic", "action": "login"}).text
    shown = re.findall(r'<tr class="entry" data-user="(\w+)" data-action="([^"]+)"', logins)
    assert shown and set(shown) == {("vic", "login")}
    reads = admin.get("/audit", params={"table": "exploitation.people"}).text
    assert 'data-action="read table"' in reads and 'data-action="login"' not in reads
    later = admin.get("/audit", params={"since": "2999-01-01"}).text
    assert "No entries match." in later
    wrong = admin.get("/audit", params={"since": "yesterday"})
    assert wrong.status_code == 200 and "&#39;yesterday&#39; is not a date or time" in wrong.text


def test_run_buttons_are_left_out_for_users_without_runs():
    pipelines = [{"name": "nightly", "schedule": "0 2 * * *", "last_status": "ok"}]
    runs_page = TEMPLATES.get_template("runs.html")
    shown = runs_page.render(navigation=[], pipelines=pipelines, recorded=False, may_run=True)
    hidden = runs_page.render(navigation=[], pipelines=pipelines, recorded=False, may_run=False)
    assert 'class="run-now"' in shown and 'class="run-now"' not in hidden
    summary = {"name": "sales", "declared": True, "exists": False, "ids": []}
    forecast = TEMPLATES.get_template("forecast.html")
    assert 'id="run-now"' in forecast.render(navigation=[], summary=summary, may_run=True)
    assert 'id="run-now"' not in forecast.render(navigation=[], summary=summary, may_run=False)
