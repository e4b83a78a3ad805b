"""The `http` source against more hostile APIs, each made at test time and kept small:
headers or an error page dripping in (the pull's deadline still holds), a page nested
100,000 deep (quarantined, not a crash), a redirect repeating the source's key in its query
to an allowed origin (refused) and a raw deflate body (read, as other clients do)."""

from __future__ import annotations

import logging
import time
import zlib

import pytest

from lakebox.errors import LandingError
from lakebox.landing.loader import land
from lakebox.orchestration.runner import ingest
from tests.landing.sources.hostile_api import HostileApi, Reply

KEY = "k3y-value-xyz"


def _credentials() -> dict:
    return {"headers": {"X-Api-Key": KEY}, "params": {"api_key": KEY}}


def _source(url: str, **settings: object) -> dict:
    source: dict = {"kind": "http", "url": url, "backoff": 0.01, "retries": 0}
    source.update(settings)
    return source


class _Drip:
    """Answers with bytes dripping in every 0.1 s for 4 s, before any body: the headers, or
    a 503's error page. `ends` says whether the client stayed to the end or hung up."""

    def __init__(self, where: str) -> None:
        self.where = where
        self.ends: list[str] = []

    def route(self, reply: Reply, params: dict[str, str]) -> None:
        out = reply.handler.wfile
        try:
            out.write(b"HTTP/1.1 " + (b"200 OK" if self.where == "headers" else b"503 Busy"))
            out.write(b"\r\n" if self.where == "headers" else b"\r\nConnection: close\r\n\r\n")
            for _ in range(40):
                out.flush()
                time.sleep(0.1)
                out.write(b"X-Wait: 1\r\n" if self.where == "headers" else b".")
            if self.where == "headers":
                out.write(b'Content-Length: 10\r\n\r\n[{"id":1}]')
            out.flush()
        except OSError:
            self.ends.append("hung up")
            return
        self.ends.append("stayed to the end")


@pytest.mark.parametrize("where", ["headers", "error page"])
def test_a_response_dripping_before_its_body_stops_at_the_pull_timeout(make_project, where):
    drip = _Drip(where)
    with HostileApi({"/drip": drip.route}) as api:
        lh = make_project({"items": _source(f"{api.url}/drip", timeout=2, pull_timeout="1s")})
        with pytest.raises(LandingError) as raised:
            land(lh, "items")
        for _ in range(100):  # the server notices the hang-up on its next writes
            if drip.ends:
                break
            time.sleep(0.1)
    assert "did not finish within sources.items.pull_timeout (1s)" in str(raised.value)
    assert drip.ends == ["hung up"]  # cut at the deadline, not read to the end


def test_a_page_nested_a_hundred_thousand_deep_is_quarantined(make_project):
    body = b"[" * 100_000 + b"]" * 100_000

    def route(reply: Reply, params: dict[str, str]) -> None:
        reply.send(200, body, {"Content-Type": "application/json"})

    with HostileApi({"/deep": route}) as api:
        lh = make_project({"items": _source(f"{api.url}/deep")})
        report = ingest(lh)
    assert report.ok, report
    [bad] = lh.query("SELECT _reason, _raw FROM quarantine.items").to_pylist()
    assert bad["_reason"] == "page 1: response body is JSON nested too deeply to read"
    assert bad["_raw"].startswith("[[[")


def test_a_redirect_repeating_the_key_to_an_allowed_origin_is_refused(make_project):
    with HostileApi() as other, HostileApi() as api:
        other.routes["/data"] = lambda reply, params: reply.json([{"id": 1}])
        api.routes["/r"] = lambda reply, params: reply.send(
            302, b"", {"Location": f"{other.url}/data?api_key={params['api_key']}"}
        )
        source = _source(f"{api.url}/r", redirect_origins=[other.url], params={"api_key": KEY})
        lh = make_project({"items": source})
        with pytest.raises(LandingError) as raised:
            land(lh, "items")
        assert other.seen == []
    message = str(raised.value)
    assert f"redirected to {other.url} with the source's credentials" in message
    assert "query parameter 'api_key'" in message
    assert KEY not in message


def test_a_raw_deflate_body_is_read(make_project):
    packer = zlib.compressobj(wbits=-zlib.MAX_WBITS)  # no zlib header, as some servers send
    body = packer.compress(b'[{"id": 1}, {"id": 2}]') + packer.flush()

    def route(reply: Reply, params: dict[str, str]) -> None:
        reply.send(200, body, {"Content-Type": "application/json", "Content-Encoding": "deflate"})

    with HostileApi({"/raw": route}) as api:
        lh = make_project({"items": _source(f"{api.url}/raw")})
        assert ingest(lh).ok
    assert lh.query("SELECT id FROM formatted.items ORDER BY id").column(0).to_pylist() == [1, 2]


@pytest.mark.parametrize("charset", ["undefined", "idna", "punycode"])
def test_a_charset_python_cannot_decode_with_is_read_as_utf8(make_project, charset):
    def route(reply: Reply, params: dict[str, str]) -> None:
        body = '[{"id": 1, "name": "café"}]'.encode()
        reply.send(200, body, {"Content-Type": f"application/json; charset={charset}"})

    with HostileApi({"/cs": route}) as api:
        lh = make_project({"items": _source(f"{api.url}/cs")})
        assert ingest(lh).ok
    assert lh.query("SELECT id, name FROM formatted.items").to_pylist() == [
        {"id": 1, "name": "café"}
    ]


def test_a_next_link_to_another_origin_is_not_followed(make_project):
    with HostileApi() as other, HostileApi() as api:
        other.routes["/meta"] = lambda reply, params: reply.json([{"id": 99, "secret": "x"}])
        api.routes["/p"] = lambda reply, params: reply.json(
            [{"id": 1}], {"Link": f'<{other.url}/meta>; rel="next"'}
        )
        source = _source(f"{api.url}/p", pagination={"type": "link"}, **_credentials())
        lh = make_project({"items": source})
        report = ingest(lh)
        assert other.seen == []
    [landing] = report.landing
    assert f"page 2: GET {other.url}/meta: the next page is on another origin" in (
        landing.error or ""
    )
    assert "sources.items.redirect_origins" in (landing.error or "")
    assert landing.landed == []  # a full pull lands whole or not at all


def test_pages_differing_only_by_a_timestamp_stop_at_the_repeated_records(make_project, caplog):
    served = iter(range(1_000_000))

    def route(reply: Reply, params: dict[str, str]) -> None:
        # the page parameter is ignored; only the generation stamp changes
        reply.json({"data": [{"id": 1}, {"id": 2}], "generated": next(served)})

    with HostileApi({"/p": route}) as api:
        pagination = {"type": "page", "max_pages": 40}
        lh = make_project({"items": _source(f"{api.url}/p", records="data", pagination=pagination)})
        with caplog.at_level(logging.WARNING):
            assert ingest(lh).ok
        assert len(api.seen) == 2
    assert "page 2 has the same records as page 1" in caplog.text
    assert lh.query("SELECT count(*) AS n FROM formatted.items").to_pylist() == [{"n": 2}]
