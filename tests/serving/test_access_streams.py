"""The streams' HTTP doors under an `access:` section: sending events needs the ability
`runs`, the stream list shows the streams whose window tables the user reads (and the open
alerts only to who reads ops.alerts whole), and a key's windows need the window table whole
— their open windows come unmasked from the worker."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from lakebox.access.control import access_control
from lakebox.serving.app import create_app
from tests.stream.sample import NDJSON, STREAMS, body, first_round, run_worker

ACCESS = {
    "roles": {
        "sensor": {"description": "devices sending readings", "can": ["runs"]},
        "outsider": {"description": "the analytics zone only", "read": ["analytics"]},
    },
    "masks": [{"column": "exploitation.air_5m.pm25_mean", "mask": "null"}],
}
USERS = {"root": ["admin"], "erin": ["engineer"], "victor": ["viewer"], "device": ["sensor"]}
USERS["olga"] = ["outsider"]
EVENTS = "/api/streams/air/events"


@pytest.fixture
def served(make_project):
    lh = make_project(streams=STREAMS, access=ACCESS)
    control = access_control(lh)
    tokens = {}
    for name, roles in USERS.items():
        control.users.add(name, roles)
        tokens[name] = control.tokens.create(name, "tests", 1)[1]
    with TestClient(create_app(lh, timeout=10), base_url="http://127.0.0.1") as client:

        def send(user: str, method: str, path: str, **options):
            headers = {"Authorization": f"Bearer {tokens[user]}", **options.pop("headers", {})}
            return client.request(method, path, headers=headers, **options)

        yield lh, send


def test_sending_events_needs_the_runs_ability(served):
    _, send = served
    events = body(first_round())
    refused = send("victor", "POST", EVENTS, content=events, headers=NDJSON)
    assert refused.status_code == 403 and "'runs'" in refused.json()["error"]
    accepted = send("device", "POST", EVENTS, content=events, headers=NDJSON)
    assert accepted.status_code == 202 and accepted.json()["accepted"] == 20


def test_streams_and_their_windows_show_as_the_grants_allow(served):
    lh, send = served
    events = body(first_round())
    assert send("device", "POST", EVENTS, content=events, headers=NDJSON).status_code == 202
    run_worker(lh)

    def alerts(user: str) -> dict[str, int]:
        listed = send(user, "GET", "/api/streams").json()
        return {stream["name"]: len(stream["alerts"]) for stream in listed}

    assert alerts("erin") == {"air": 1, "meters": 0}  # engineers read ops.alerts
    assert alerts("victor") == {"air": 0, "meters": 0}  # viewers do not
    assert alerts("olga") == {}

    windows = "/api/streams/air/windows"
    one = send("victor", "GET", windows, params={"window": "1m", "key": "aq-01"})
    assert one.status_code == 200 and len(one.json()["closed"]) == 4
    masked = send("victor", "GET", windows, params={"window": "5m", "key": "aq-07"})
    assert masked.status_code == 403
    assert "may read exploitation.air_5m only in part" in masked.json()["error"]
    assert send("root", "GET", windows, params={"window": "5m", "key": "aq-07"}).status_code == 200
    outside = send("olga", "GET", windows, params={"window": "1m", "key": "aq-01"})
    assert outside.status_code == 403
    assert "olga may not read exploitation.air_1m" in outside.json()["error"]
    live = send("victor", "GET", "/api/streams/air/live", params={"window": "5m"})
    assert live.status_code == 403
    entry = access_control(lh).audit.entries(user="victor", action="read table", limit=5)
    assert any(e["tables"] == ["exploitation.air_1m"] and e["rows"] == 4 for e in entry)
