"""The `http` source against a real local API: every pagination style, incremental pulls,
retries (503, 429 + Retry-After), the rate limit, a server that is down, a wrong token and a
broken page that is quarantined while the others are formatted."""

from __future__ import annotations

import json

import pytest

from lakebox.errors import LandingError
from lakebox.landing.loader import land
from lakebox.orchestration.runner import ingest
from tests.conftest import free_port
from tests.landing.sources.api_server import TOKEN, Api

API_KEY = "k3y-value-xyz"


@pytest.fixture
def api():
    with Api() as server:
        yield server


def _source(url: str, **settings: object) -> dict:
    source = {
        "kind": "http",
        "url": url,
        "headers": {"Authorization": f"Bearer {TOKEN}"},
        "records": "data",
        "pagination": {"type": "page", "size_param": "per_page", "size": 10},
        "key": ["id"],
        "backoff": 0.01,
    }
    source.update(settings)
    return source


def _ids(lh) -> list[int]:
    return lh.query("SELECT id FROM formatted.items ORDER BY id").column(0).to_pylist()


def test_incremental_pulls_fetch_only_new_and_updated_records(make_project, api):
    source = _source(
        f"{api.url}/page",
        params={"api_key": API_KEY},
        incremental={"cursor": "updated_at", "param": "since"},
    )
    lh = make_project({"items": source})
    first = ingest(lh)
    assert first.ok, first
    assert _ids(lh) == list(range(1, 46))
    [entry] = first.landing[0].landed
    assert entry.pages == 5 and entry.http_status == 200
    assert API_KEY not in entry.original_path and "api_key=***" in entry.original_path
    columns = lh.query("SELECT * FROM formatted.items LIMIT 1").column_names
    assert {"id", "updated_at", "value", "tags_group"} <= set(columns)

    api.add(7)
    api.update(3, 999)
    second = ingest(lh)
    assert second.ok
    assert second.formatting[-1].counts.rows_read == 8
    [entry] = second.landing[0].landed
    assert "since=2026-03-01T00:45:00Z" in entry.original_path
    assert _ids(lh) == list(range(1, 53))
    value = lh.query("SELECT value FROM formatted.items WHERE id = 3").column(0).to_pylist()
    assert value == [999]
    assert json.loads(entry.cursor or "{}")["value"] == "2026-03-01T00:53:00Z"

    third = land(lh, "items")
    assert third.landed == [] and third.unchanged == 1


@pytest.mark.parametrize(
    ("path", "records", "pagination"),
    [
        ("/offset", "items", {"type": "offset", "size": 10}),
        ("/cursor", "results", {"type": "cursor", "cursor_path": "next"}),
        ("/link", None, {"type": "link"}),
        ("/page", "data", {"type": "page", "total_pages_path": "pages"}),
    ],
)
def test_every_pagination_style_reads_every_record_once(
    make_project, api, path, records, pagination
):
    lh = make_project({"items": _source(api.url + path, records=records, pagination=pagination)})
    assert ingest(lh).ok
    assert _ids(lh) == list(range(1, 46))
    assert lh.query("SELECT count(*) AS n FROM formatted.items").to_pylist() == [{"n": 45}]


def test_failed_requests_are_retried(make_project, api):
    api.behaviour.fail_once = {2, 4}
    lh = make_project({"items": _source(f"{api.url}/page")})
    assert ingest(lh).ok
    assert api.statuses().count(503) == 2
    assert _ids(lh) == list(range(1, 46))


def test_a_429_waits_as_long_as_retry_after_says(make_project, api):
    api.behaviour.min_interval = 0.5
    api.behaviour.retry_after = "1"
    lh = make_project({"items": _source(f"{api.url}/page", retries=6)})
    assert ingest(lh).ok
    assert _ids(lh) == list(range(1, 46))
    refused = [i for i, entry in enumerate(api.log) if entry.status == 429]
    assert refused, "the server never asked the client to slow down"
    for index in refused:
        if index + 1 < len(api.log):
            # the backoff alone would retry after 0.01 s; Retry-After asked for 1 s
            assert api.log[index + 1].at - api.log[index].at >= 0.95


def test_the_rate_limit_keeps_requests_apart(make_project, api):
    api.behaviour.min_interval = 0.1
    lh = make_project({"items": _source(f"{api.url}/page", rate_limit=6, retries=0)})
    assert ingest(lh).ok
    assert 429 not in api.statuses()
    assert _ids(lh) == list(range(1, 46))


def test_a_server_that_is_down_is_retried_then_a_clear_error(make_project):
    url = f"http://127.0.0.1:{free_port()}/page"
    lh = make_project({"items": _source(url, retries=2, params={"token": "tok-abcdef"})})
    with pytest.raises(LandingError) as raised:
        land(lh, "items")
    message = str(raised.value)
    assert message.startswith(f"source items: GET http://127.0.0.1:{url.split(':')[2]}")
    assert "gave up after 3 attempts" in message
    assert "tok-abcdef" not in message and TOKEN not in message
    report = ingest(lh)
    assert not report.ok
    assert (report.landing[0].error or "").startswith("source items: GET")


def test_a_wrong_token_fails_at_once_without_showing_it(make_project, api):
    source = _source(f"{api.url}/page", headers={"Authorization": "Bearer wrong-token-999"})
    lh = make_project({"items": source})
    with pytest.raises(LandingError) as raised:
        land(lh, "items")
    message = str(raised.value)
    assert "401" in message and "check the token" in message
    assert "wrong-token-999" not in message
    assert api.statuses() == [401]


def test_a_broken_page_is_quarantined_and_the_others_formatted(make_project, api):
    api.behaviour.broken_page = 3
    lh = make_project({"items": _source(f"{api.url}/page")})
    report = ingest(lh)
    assert report.ok
    [result] = report.formatting
    assert result.status == "formatted"
    # 45 records on 5 pages; page 3 (records 21-30) is broken: one row for the whole page
    assert (result.counts.rows_read, result.counts.rows_formatted) == (36, 35)
    assert result.counts.rows_quarantined == 1
    assert _ids(lh) == [*range(1, 21), *range(31, 46)]
    [bad] = lh.query("SELECT _source_line, _reason, _raw FROM quarantine.items").to_pylist()
    assert bad["_source_line"] == 3
    assert "not valid JSON" in bad["_reason"]
    assert bad["_raw"].endswith("<html>oops")
