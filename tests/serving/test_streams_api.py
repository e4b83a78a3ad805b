"""The streams' live view over HTTP: events posted through the real app's intake, the real
worker run over them (window tables, status files, alerts in ops.alerts), then
`GET /api/streams`, `/api/streams/{name}/windows`, `/api/streams/{name}/live` (server-sent
events from a real uvicorn server) and `/metrics`."""

from __future__ import annotations

import time

import httpx
import pytest
from fastapi.testclient import TestClient

from lakebox.serving.app import create_app
from lakebox.serving.routes import streams as streams_route
from tests.serving.streaming import served, sse_events
from tests.stream.sample import (
    LATE,
    NDJSON,
    REFUSED,
    body,
    first_round,
    minute_row,
    run_worker,
    second_round,
    stream_project,
)

TOKEN = "t" * 40


@pytest.fixture
def lh(make_project):
    return stream_project(make_project)


@pytest.fixture
def client(lh):
    with TestClient(create_app(lh, timeout=10), base_url="http://127.0.0.1") as client:
        answer = client.post(
            "/api/streams/air/events", content=body([*first_round(), LATE, REFUSED]), headers=NDJSON
        )
        assert answer.status_code == 202
        assert (answer.json()["accepted"], answer.json()["refused"]) == (21, 1)
        run_worker(lh)
        yield client


def test_streams_lists_each_stream_with_its_status_and_open_alerts(client):
    listed = {stream["name"]: stream for stream in client.get("/api/streams").json()}
    assert sorted(listed) == ["air", "meters"]
    air = listed["air"]
    assert (air["intake"], air["key"], air["time"]) == ("http", "device_id", "ts")
    windows = {window["name"]: window for window in air["windows"]}
    assert windows["1m"]["kind"] == "tumbling"
    assert windows["1m"]["table"] == "exploitation.air_1m"
    assert windows["1m"]["columns"] == ["events_count", "pm25_mean", "pm25_max", "pm25_ma3"]
    assert (windows["5m"]["kind"], windows["5m"]["size"], windows["5m"]["every"]) == (
        "hopping",
        "5m",
        "1m",
    )
    status = air["status"]
    assert (status["running"], status["rate"]) == (False, 0.0)  # its worker ran, then stopped
    assert (status["events_in"], status["refused"], status["late"], status["lag"]) == (22, 1, 1, 0)
    assert status["watermark"] == "2026-01-01T00:04:30+00:00"
    assert status["last_flush_seconds"] > 0
    assert status["checkpoint_age"] >= 0
    assert [alert["subject"] for alert in air["alerts"]] == [
        "air pm25_high: aq-07 pm25 > 35 for 2 readings"
    ]
    assert air["alerts"][0]["severity"] == "warn"
    assert air["alerts"][0]["incident_id"].startswith("stream:air:pm25_high:aq-07:")
    meters = listed["meters"]["status"]
    assert (meters["running"], meters["events_in"], meters["last_flush_seconds"]) == (
        False,
        0,
        None,
    )


def test_windows_gives_a_keys_closed_windows_and_its_open_ones(client, lh):
    answer = client.get("/api/streams/air/windows", params={"window": "1m", "key": "aq-01"})
    assert answer.status_code == 200
    found = answer.json()
    assert (found["stream"], found["window"], found["key"]) == ("air", "1m", "aq-01")
    closed = [{k: v for k, v in row.items() if k != "pm25_ma3"} for row in found["closed"]]
    assert closed == [minute_row(minute) for minute in range(4)]
    assert [row["pm25_ma3"] for row in found["closed"]][2:] == [11.5, 12.5]
    open_row = minute_row(4)
    assert found["open"] == [{k: open_row[k] for k in found["open"][0]}]
    assert found["status"]["events_in"] == 22
    # the same rows as the window table holds
    table = lh.query(
        "SELECT window_start, pm25_mean FROM exploitation.air_1m "
        "WHERE device_id = 'aq-01' ORDER BY window_start"
    ).to_pylist()
    assert [row["pm25_mean"] for row in table] == [row["pm25_mean"] for row in closed]


def test_windows_keeps_the_latest_and_reads_other_windows(client):
    latest = client.get("/api/streams/air/windows", params={"key": "aq-01", "limit": 2}).json()
    assert latest["window"] == "1m"  # the first declared window
    assert [row["window_start"][11:16] for row in latest["closed"]] == ["00:02", "00:03"]
    hopping = client.get("/api/streams/air/windows", params={"window": "5m", "key": "aq-07"})
    rows = hopping.json()["closed"]
    assert rows and all(row["device_id"] == "aq-07" for row in rows)
    assert [row["window_end"][11:16] for row in rows] == ["00:01", "00:02", "00:03", "00:04"]
    assert len(hopping.json()["open"]) == 5


def test_windows_refuses_unknown_streams_windows_and_bad_keys(client):
    def status(name: str, **params: object) -> tuple[int, str]:
        answer = client.get(f"/api/streams/{name}/windows", params=params)
        return answer.status_code, answer.json().get("error", "")

    assert status("nope", key="a") == (404, "no stream named 'nope' (declared: air, meters)")
    assert status("air", window="1h", key="a")[0] == 404
    assert status("air") == (400, "which device_id? the key is required")
    assert status("air", key="   ")[0] == 400
    assert status("air", key="x" * 201)[0] == 400
    assert status("meters", key="abc") == (400, "meter is BIGINT, and 'abc' is not one")
    assert client.get("/api/streams/air/windows", params={"key": "a", "limit": 0}).is_client_error
    empty = client.get("/api/streams/meters/windows", params={"key": "7"}).json()
    assert (empty["key"], empty["closed"], empty["open"]) == (7, [], [])


def test_a_key_is_a_bound_value_never_sql(client):
    for key in ("aq-01' OR 1=1 --", 'aq-01"; DROP TABLE x; --', "%", "aq-%"):
        answer = client.get("/api/streams/air/windows", params={"key": key})
        assert answer.status_code == 200
        assert (answer.json()["closed"], answer.json()["open"]) == ([], [])


def test_metrics_show_each_streams_counters(client):
    text = client.get("/metrics").text
    lines = set(text.splitlines())
    for line in (
        'lakebox_stream_events_total{stream="air"} 22.0',
        'lakebox_stream_refused_total{stream="air"} 1.0',
        'lakebox_stream_late_total{stream="air"} 1.0',
        'lakebox_stream_lag{stream="air"} 0.0',
        'lakebox_stream_running{stream="air"} 0.0',
        'lakebox_stream_events_total{stream="meters"} 0.0',
    ):
        assert line in lines, line
    assert 'lakebox_stream_flush_seconds{stream="air"}' in text
    assert 'lakebox_stream_checkpoint_age_seconds{stream="air"}' in text
    assert 'lakebox_stream_flush_seconds{stream="meters"}' not in text  # never flushed
    assert "lakebox_table_rows" in text  # beside the lakehouse's own metrics


def test_live_sends_a_snapshot_then_the_newly_closed_windows(lh, client):
    expected = client.get("/api/streams/air/windows", params={"key": "aq-01"}).json()
    app = client.app
    with served(app) as (url, _), httpx.Client(base_url=url, timeout=30) as http:
        params = {"window": "1m", "key": "aq-01"}
        with http.stream("GET", "/api/streams/air/live", params=params) as answer:
            assert answer.status_code == 200
            assert answer.headers["content-type"].startswith("text/event-stream")
            assert answer.headers["cache-control"] == "no-cache"
            events = sse_events(answer)
            name, snapshot = next(events)
            assert name == "snapshot"
            assert (snapshot["closed"], snapshot["open"]) == (expected["closed"], expected["open"])
            assert snapshot["status"]["events_in"] == 22
            assert snapshot["keys"] == ["aq-01", "aq-07"]
            assert [a["subject"][:16] for a in snapshot["alerts"]] == ["air pm25_high: a"]
            name, tick = next(events)
            assert (name, tick["closed"]) == ("tick", [])  # nothing new since the snapshot
            assert "keys" not in tick  # sent only when they change
            posted = http.post(
                "/api/streams/air/events", content=body(second_round()), headers=NDJSON
            )
            assert posted.status_code == 202, posted.text
            run_worker(lh)
            fresh = []
            for _, (_name, tick) in zip(range(30), events, strict=False):  # a tick a second
                fresh += tick["closed"]
                if tick["status"]["events_in"] == 28 and len(fresh) == 3:
                    break
            assert [row["window_start"][11:16] for row in fresh] == ["00:04", "00:05", "00:06"]
            assert [row["pm25_mean"] for row in fresh] == [14.5, 15.5, 16.5]
            assert [row["window_start"][11:16] for row in tick["open"]] == ["00:07"]


def test_live_stops_when_the_client_leaves_and_ends_after_its_lifetime(client, monkeypatch):
    app = client.app
    with served(app) as (url, _), httpx.Client(base_url=url, timeout=30) as http:
        with http.stream("GET", "/api/streams/air/live", params={"key": "aq-07"}) as answer:
            events = sse_events(answer)  # kept: dropping it closes the connection
            assert next(events)[0] == "snapshot"
            assert next(events)[0] == "tick"
            assert len(app.state.live_answers) == 1
        deadline = time.monotonic() + 20
        while app.state.live_answers and time.monotonic() < deadline:
            time.sleep(0.05)
        assert app.state.live_answers == set()
        monkeypatch.setattr(streams_route, "LIVE_SECONDS", 2.0)
        with http.stream("GET", "/api/streams/air/live", params={"key": "aq-07"}) as answer:
            names = [name for name, _ in sse_events(answer)]  # until the server ends it
        assert names[0] == "snapshot"
        assert names[-1] == "end"
        assert set(names[1:-1]) <= {"tick"}
        assert app.state.live_answers == set()


def test_live_without_a_key_sends_the_status_and_the_keys(client):
    with served(client.app) as (url, _), httpx.Client(base_url=url, timeout=30) as http:
        with http.stream("GET", "/api/streams/air/live") as answer:
            name, snapshot = next(sse_events(answer))
        assert name == "snapshot"
        assert (snapshot["closed"], snapshot["open"], snapshot["keys"]) == (
            [],
            [],
            ["aq-01", "aq-07"],
        )
        assert http.get("/api/streams/nope/live").status_code == 404
        assert http.get("/api/streams/air/live", params={"window": "2m"}).status_code == 404
        assert http.get("/api/streams/meters/live", params={"key": "x"}).status_code == 400


def test_live_behind_a_token_takes_the_browsers_cookie(lh):
    app = create_app(lh, token=TOKEN, timeout=10)
    with served(app) as (url, _), httpx.Client(base_url=url, timeout=30) as http:
        assert http.get("/api/streams/air/live").status_code == 401
        # a browser opens a page once with ?token=, then sends the cookie it was given
        assert http.get("/streams", params={"token": TOKEN}).status_code == 303
        assert http.cookies.get("lakebox_token") == TOKEN
        with http.stream("GET", "/api/streams/air/live") as answer:
            assert answer.status_code == 200
            assert next(sse_events(answer))[0] == "snapshot"
        assert http.get("/streams").status_code == 200
