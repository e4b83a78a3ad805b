"""The `http` source against hostile APIs, each made at test time and kept small: a gzip bomb
and an oversized body (capped, the page quarantined), a body dripping one byte at a time (the
pull's deadline), a next link or cursor pointing back (a loop, stopped), a page failing half
way through a pull (the pages before it landed, the next pull resumes), a redirect to another
origin (no credentials sent there) and a pull of nothing but bad pages (quarantined)."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta

import pytest

from lakebox.errors import LandingError
from lakebox.landing.loader import land
from lakebox.orchestration.runner import ingest
from tests.landing.sources.hostile_api import HostileApi, Reply, gzip_bomb

KEY = "k3y-value-xyz"
START = datetime(2026, 3, 1, tzinfo=UTC)


def _source(url: str, **settings: object) -> dict:
    source: dict = {"kind": "http", "url": url, "backoff": 0.01, "retries": 1}
    source.update(settings)
    return source


def _quarantined(lh) -> list[dict]:
    return lh.query("SELECT _reason, _raw FROM quarantine.items").to_pylist()


def test_a_gzip_bomb_is_cut_at_the_decompressed_cap_and_its_page_quarantined(make_project):
    bomb = gzip_bomb(48 * 1024 * 1024)  # about 50 KB on the wire

    def route(reply: Reply, params: dict[str, str]) -> None:
        reply.send(200, bomb, {"Content-Type": "application/json", "Content-Encoding": "gzip"})

    with HostileApi({"/bomb": route}) as api:
        lh = make_project({"items": _source(f"{api.url}/bomb", max_body_bytes="1MiB")})
        report = ingest(lh)
    assert report.ok, report
    [entry] = report.landing[0].landed
    assert entry.bytes < 1024 * 1024  # the expanded body never reached the landing zone
    [bad] = _quarantined(lh)
    assert "larger than sources.items.max_body_bytes (1 MiB) once decompressed" in bad["_reason"]
    assert bad["_raw"].startswith("[0,0,0")


def test_a_body_over_the_raw_cap_is_refused_and_its_page_quarantined(make_project):
    body = json.dumps([{"id": n, "pad": "x" * 200} for n in range(12_000)]).encode()  # ~2.6 MB

    def route(reply: Reply, params: dict[str, str]) -> None:
        reply.send(200, body, {"Content-Type": "application/json"})

    with HostileApi({"/big": route}) as api:
        lh = make_project({"items": _source(f"{api.url}/big", max_raw_body_bytes="1MiB")})
        report = ingest(lh)
    assert report.ok, report
    [entry] = report.landing[0].landed
    assert entry.bytes < 1024 * 1024
    [bad] = _quarantined(lh)
    assert "larger than sources.items.max_raw_body_bytes (1 MiB)" in bad["_reason"]


def test_a_body_dripping_a_byte_at_a_time_stops_at_the_pull_timeout(make_project):
    def route(reply: Reply, params: dict[str, str]) -> None:
        reply.drip(b'[{"id": 1}', every=0.1, most=20)

    with HostileApi({"/drip": route}) as api:
        # each read gets an answer within `timeout`; only the pull's deadline can stop it
        lh = make_project({"items": _source(f"{api.url}/drip", timeout=2, pull_timeout="1s")})
        with pytest.raises(LandingError) as raised:
            land(lh, "items")
    message = str(raised.value)
    assert "did not finish within sources.items.pull_timeout (1s)" in message
    assert message.startswith("source items: GET http://127.0.0.1:")


def test_a_pull_timeout_is_on_by_default():
    from lakebox.config import SourceConfig

    source = SourceConfig(kind="http", url="http://127.0.0.1/x")
    assert source.pull_timeout_seconds == 30 * 60


def test_a_next_link_to_itself_stops_with_a_warning(make_project, caplog):
    def route(reply: Reply, params: dict[str, str]) -> None:
        reply.json([{"id": 1}], {"Link": '</self?a=1>; rel="next"'})

    with HostileApi({"/self": route}) as api:
        source = _source(f"{api.url}/self", params={"a": "1"}, pagination={"type": "link"})
        lh = make_project({"items": {**source, "pagination": {"type": "link", "max_pages": 40}}})
        with caplog.at_level(logging.WARNING):
            report = ingest(lh)
        assert report.ok, report
        assert api.paths() == ["/self"]
    assert "asks for a page it fetched before" in caplog.text
    assert lh.query("SELECT id FROM formatted.items").to_pylist() == [{"id": 1}]


def test_a_cursor_that_comes_back_stops_with_a_warning(make_project, caplog):
    def route(reply: Reply, params: dict[str, str]) -> None:
        token = "b" if params.get("cursor") == "a" else "a"  # a → b → a → b …
        got = params.get("cursor")
        reply.json({"results": [{"id": 1 if token == "a" else 2}], "next": token, "got": got})

    with HostileApi({"/c": route}) as api:
        pagination = {"type": "cursor", "cursor_path": "next", "max_pages": 40}
        lh = make_project(
            {"items": _source(f"{api.url}/c", records="results", pagination=pagination)}
        )
        with caplog.at_level(logging.WARNING):
            assert ingest(lh).ok
        assert len(api.seen) == 3  # no cursor, a, b; then a again: a loop
    assert "asks for a page it fetched before" in caplog.text


def test_a_page_number_the_api_ignores_stops_at_the_repeated_page(make_project, caplog):
    def route(reply: Reply, params: dict[str, str]) -> None:
        reply.json({"data": [{"id": 1}, {"id": 2}]})  # the same page whatever `page` says

    with HostileApi({"/p": route}) as api:
        pagination = {"type": "page", "max_pages": 40}
        lh = make_project({"items": _source(f"{api.url}/p", records="data", pagination=pagination)})
        with caplog.at_level(logging.WARNING):
            assert ingest(lh).ok
        assert len(api.seen) == 2
    assert "same body as page 1" in caplog.text
    assert lh.query("SELECT count(*) AS n FROM formatted.items").to_pylist() == [{"n": 2}]


def test_max_pages_defaults_to_a_thousand():
    from lakebox.config import PaginationConfig

    assert PaginationConfig().max_pages == 1000


class _Records:
    """45 records on pages of 10, newest last, filtered by `since`; `broken` pages fail."""

    def __init__(self) -> None:
        self.records = [
            {"id": n, "updated_at": (START + timedelta(minutes=n)).strftime("%Y-%m-%dT%H:%M:%SZ")}
            for n in range(1, 46)
        ]
        self.broken: dict[int, int] = {}

    def route(self, reply: Reply, params: dict[str, str]) -> None:
        page = int(params.get("page", "1"))
        if page in self.broken:
            reply.send(self.broken[page], b'{"detail": "gone"}')
            return
        found = [r for r in self.records if r["updated_at"] > params.get("since", "")]
        reply.json({"data": found[(page - 1) * 10 : page * 10]})


@pytest.mark.parametrize("status", [404, 503])
def test_a_page_failing_mid_pull_lands_the_pages_before_it_and_the_next_pull_resumes(
    make_project, status
):
    records = _Records()
    records.broken = {4: status}
    with HostileApi({"/items": records.route}) as api:
        source = _source(
            f"{api.url}/items",
            records="data",
            pagination={"type": "page", "size": 10},
            incremental={"cursor": "updated_at", "param": "since"},
            key=["id"],
        )
        lh = make_project({"items": source})
        first = ingest(lh)
        assert not first.ok  # the pull is incomplete: reported, and retried by a pipeline
        [landing] = first.landing
        assert f"page 4: GET {api.url}/items" in (landing.error or "")
        assert "pages 1-3 landed" in (landing.error or "")
        [entry] = landing.landed
        assert entry.pages == 3
        ids = lh.query("SELECT id FROM formatted.items ORDER BY id").column(0).to_pylist()
        assert ids == list(range(1, 31))

        records.broken = {}
        api.seen.clear()
        second = ingest(lh)
        assert second.ok, second
        assert api.seen[0].params["since"] == "2026-03-01T00:30:00Z"
        ids = lh.query("SELECT id FROM formatted.items ORDER BY id").column(0).to_pylist()
        assert ids == list(range(1, 46))


def test_a_full_pull_failing_mid_way_lands_nothing(make_project):
    records = _Records()
    records.broken = {2: 404}
    with HostileApi({"/items": records.route}) as api:
        source = _source(
            f"{api.url}/items", records="data", pagination={"type": "page", "size": 10}
        )
        lh = make_project({"items": source})
        report = ingest(lh)
    # a full pull replaces the table: half of it must not
    assert not report.ok
    assert report.landing[0].landed == []
    assert "a full pull replaces the table" in (report.landing[0].error or "")


def _credentials() -> dict:
    return {"headers": {"X-Api-Key": KEY}, "params": {"api_key": KEY}}


def test_a_redirect_to_another_origin_is_refused_and_gets_no_credentials(make_project):
    with HostileApi() as other, HostileApi() as api:
        other.routes["/data"] = lambda reply, params: reply.json([{"id": 1}])
        api.routes["/r"] = lambda reply, params: reply.send(
            302, b"", {"Location": f"{other.url}/data"}
        )
        lh = make_project({"items": _source(f"{api.url}/r", **_credentials())})
        with pytest.raises(LandingError) as raised:
            land(lh, "items")
        assert other.seen == []
    message = str(raised.value)
    assert f"redirected to another origin, {other.url}" in message
    assert "sources.items.redirect_origins" in message
    assert KEY not in message


def test_an_allowed_redirect_is_followed_without_credentials_and_recorded(make_project):
    with HostileApi() as other, HostileApi() as api:
        other.routes["/data"] = lambda reply, params: reply.json([{"id": 1}])
        api.routes["/r"] = lambda reply, params: reply.send(
            302, b"", {"Location": f"{other.url}/data"}
        )
        source = _source(f"{api.url}/r", redirect_origins=[other.url], **_credentials())
        lh = make_project({"items": source})
        report = ingest(lh)
        assert report.ok, report
        [seen] = other.seen
        assert api.seen[0].headers.get("X-Api-Key") == KEY
    assert "X-Api-Key" not in seen.headers and "x-api-key" not in seen.headers
    assert seen.params == {}
    [entry] = report.landing[0].landed
    assert entry.final_url == f"{other.url}/data"
    assert lh.query("SELECT id FROM formatted.items").to_pylist() == [{"id": 1}]


def test_a_redirect_on_the_same_origin_keeps_the_credentials(make_project):
    with HostileApi() as api:
        api.routes["/old"] = lambda reply, params: reply.send(302, b"", {"Location": "/new"})
        api.routes["/new"] = lambda reply, params: reply.json([{"id": 1}])
        lh = make_project({"items": _source(f"{api.url}/old", **_credentials())})
        report = ingest(lh)
        assert report.ok, report
        assert [seen.path for seen in api.seen] == ["/old", "/new"]
        assert api.seen[1].headers.get("X-Api-Key") == KEY
    [entry] = report.landing[0].landed
    assert entry.final_url == f"{api.url}/new"


def test_a_pull_of_nothing_but_bad_pages_is_quarantined(make_project):
    with HostileApi() as api:
        api.routes["/html"] = lambda reply, params: reply.send(200, b"<html>oops</html>")
        lh = make_project({"items": _source(f"{api.url}/html")})
        report = ingest(lh)
    assert report.ok, report
    [result] = report.formatting
    assert result.counts.rows_quarantined == 1 and result.counts.rows_formatted == 0
    [bad] = _quarantined(lh)
    assert "not valid JSON" in bad["_reason"]
    assert bad["_raw"] == "<html>oops</html>"


def test_a_page_over_sixteen_mib_is_read_not_dropped(make_project):
    body = json.dumps([{"id": n, "pad": "x" * 1024 * 1024} for n in range(1, 18)])  # ~17.8 MB

    def route(reply: Reply, params: dict[str, str]) -> None:
        reply.send(200, body.encode(), {"Content-Type": "application/json"})

    with HostileApi({"/wide": route}) as api:
        lh = make_project({"items": _source(f"{api.url}/wide")})
        report = ingest(lh)
    assert report.ok, report
    [result] = report.formatting
    assert (result.counts.rows_read, result.counts.rows_formatted) == (17, 17)
    [row] = lh.query("SELECT count(*) AS n, max(id) AS top FROM formatted.items").to_pylist()
    assert row == {"n": 17, "top": 17}


def test_a_pull_stopped_by_its_deadline_lands_the_pages_before(make_project):
    records = _Records()

    def route(reply: Reply, params: dict[str, str]) -> None:
        if params.get("page") == "2":
            reply.drip(b'{"data": [', every=0.1, most=20)
        else:
            records.route(reply, params)

    with HostileApi({"/items": route}) as api:
        source = _source(
            f"{api.url}/items",
            records="data",
            timeout=2,
            pull_timeout="1s",
            pagination={"type": "page", "size": 10},
            incremental={"cursor": "updated_at", "param": "since"},
        )
        lh = make_project({"items": source})
        report = ingest(lh)
    [landing] = report.landing
    assert "did not finish within sources.items.pull_timeout (1s)" in (landing.error or "")
    assert "page 1 landed, the next pull resumes after them" in (landing.error or "")
    ids = lh.query("SELECT id FROM formatted.items ORDER BY id").column(0).to_pylist()
    assert ids == list(range(1, 11))


@pytest.mark.parametrize("key", [[], ["id"]])
def test_a_partial_pull_out_of_cursor_order_does_not_move_the_state(make_project, key):
    records = _Records()
    records.records.reverse()  # newest first: the pages fetched say nothing of the rest
    records.broken = {3: 404}
    with HostileApi({"/items": records.route}) as api:
        source = _source(
            f"{api.url}/items",
            records="data",
            pagination={"type": "page", "size": 10},
            incremental={"cursor": "updated_at", "param": "since"},
            key=key,
        )
        lh = make_project({"items": source})
        report = ingest(lh)
        [landing] = report.landing
        if not key:  # the rows would come again next time, and twice without a key
            assert landing.landed == []
            assert "not in cursor order and the source has no key" in (landing.error or "")
            return
        assert "the next pull reads them again" in (landing.error or "")
        [entry] = landing.landed
        assert entry.cursor is None  # the state stays at the start
        records.broken = {}
        api.seen.clear()
        assert ingest(lh).ok
        assert "since" not in api.seen[0].params
    ids = lh.query("SELECT id FROM formatted.items ORDER BY id").column(0).to_pylist()
    assert ids == list(range(1, 46))


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ({"redirect_origins": ["https://files.example.com/path"]}, "is not an origin"),
        ({"redirect_origins": ["ftp://files.example.com"]}, "is not an origin"),
        ({"max_body_bytes": "lots"}, "is not a size"),
        ({"pull_timeout": "0s"}, "must be longer than zero"),
    ],
)
def test_the_http_safety_settings_are_checked(setting, message):
    from pydantic import ValidationError

    from lakebox.config import SourceConfig

    with pytest.raises(ValidationError, match=message):
        SourceConfig(kind="http", url="http://127.0.0.1/x", **setting)
