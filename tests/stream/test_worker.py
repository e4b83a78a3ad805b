"""The hot path end to end, with real parts: events POSTed to the app over a real HTTP server
go to the write-ahead log, a worker reads the log and flushes each interval to landing
(one object per flush, its batch id in the manifest), the window tables and the alert
ledger (each incident told once to a real webhook); an ordinary run then formats the landed
events into formatted.<stream> and the refused ones into quarantine.<stream>."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import httpx
import pytest

from lakebox.config.streams import StreamConfig
from lakebox.lakehouse import Lakehouse
from lakebox.orchestration.runner import run
from lakebox.stream.events import OFFSET, Record, parse
from lakebox.stream.status import read_status
from tests.stream.checks import assert_alerts, assert_landed_once, assert_told_once, assert_windows
from tests.stream.projects import (
    NAME,
    Event,
    Webhook,
    landed_lines,
    lines,
    readings,
    run_worker,
    served,
    stream_config,
)
from tests.stream.reference import expected

ROUNDS = (0, 130, 250, 360)
JSON = {"Content-Type": "application/json"}  # the events posted before each worker run


@pytest.fixture
def webhook() -> Iterator[Webhook]:
    hook = Webhook()
    yield hook
    hook.stop()


@pytest.fixture
def lh(make_project, webhook) -> Lakehouse:
    return make_project(
        streams={NAME: stream_config()},
        alerts={"channels": [webhook.channel], "on": ["streams"]},
    )


def post_in_requests(server, events: list[Event], size: int = 40) -> list[dict]:
    """Post `events` in requests of `size`; return the answers."""
    answers = []
    for start in range(0, len(events), size):
        chunk = events[start : start + size]
        answer = server.post(chunk)
        assert answer.status_code == 202, answer.text
        body = answer.json()
        assert (body["accepted"], body["refused"]) == (
            sum(e.good for e in chunk),
            sum(not e.good for e in chunk),
        )
        bad = [index for index, event in enumerate(chunk) if not event.good]
        assert [error["index"] for error in body["errors"]] == bad
        assert all(error["reason"] for error in body["errors"])
        answers.append(body)
    return answers


def test_events_posted_over_http_reach_landing_windows_alerts_and_the_cold_path(lh, webhook):
    events = readings(count=ROUNDS[-1], seed=4)
    flushes = []
    with served(lh) as server:
        answers = []
        for start, end in itertools.pairwise(ROUNDS):
            answers += post_in_requests(server, events[start:end])
            flushes += run_worker(lh).flushes
    sequences = [(a["first_sequence"], a["last_sequence"]) for a in answers]
    assert sequences[0][0] == 0 and sequences[-1][1] == len(events) - 1
    assert all(b[0] == a[1] + 1 for a, b in itertools.pairwise(sequences))

    # one landing object per flush, its batch id naming the stream, partition and offsets
    assert [f.batch_id for f in flushes] == [
        f"{NAME}-p0-{start}-{end - 1}" for start, end in itertools.pairwise(ROUNDS)
    ]
    assert_landed_once(lh, lines(events))
    assert {entry.status for entry in lh.manifest.entries(NAME)} == {"landed"}

    wanted = expected(events, stream_config(), NAME)
    assert_windows(lh, wanted)
    assert_alerts(lh, wanted)
    assert_told_once(webhook.bodies, wanted)

    status = read_status(lh, NAME)
    assert not status.running
    assert (status.events_in, status.refused, status.late) == (
        len(events),
        wanted.refused,
        wanted.late,
    )

    assert run(lh).ok
    assert_cold_path_keeps_the_hot_paths_events(lh, events)
    assert {entry.status for entry in lh.manifest.entries(NAME)} == {"formatted"}


def assert_cold_path_keeps_the_hot_paths_events(lh: Lakehouse, events: list[Event]) -> None:
    """formatted.<stream> holds the accepted events with the hot path's values, and
    quarantine.<stream> the refused ones, each with a reason."""
    stream = StreamConfig.model_validate(stream_config())
    hot = parse([Record(0, i, e.line) for i, e in enumerate(events)], stream)
    position = "regexp_extract(_batch_id, '-(\\d+)-\\d+$', 1)::BIGINT + _source_line - 1"
    fields = ", ".join(stream.fields)
    lh.refresh()
    formatted = lh.query(
        f"SELECT {fields}, {position} AS _offset FROM formatted.{NAME} ORDER BY _offset"
    ).to_pylist()
    assert formatted == hot.events.drop_columns(["_t"]).to_pylist()
    assert [row[OFFSET] for row in formatted] == [i for i, e in enumerate(events) if e.good]
    quarantined = lh.query(
        f"SELECT _reason, {position} AS _offset FROM quarantine.{NAME} ORDER BY _offset"
    ).to_pylist()
    assert [row["_offset"] for row in quarantined] == [r.offset for r in hot.refused]
    assert all(row["_reason"] for row in quarantined)


def test_the_door_answers_ndjson_and_json_arrays_and_refuses_what_it_cannot_read(lh):
    good = b'{"device_id": "d1", "ts": "2024-01-01T00:00:00Z", "pm25": 3}'
    bad = b'{"device_id": "d1", "ts": "2024-01-01T00:00:00Z", "co2": "many"}'
    with served(lh) as server:
        url = f"{server.url}/api/streams/{NAME}/events"
        ndjson = {"Content-Type": "application/x-ndjson"}
        body = b"\n\n" + good + b"\r\n" + bad + b"\n"
        answer = httpx.post(url, content=body, headers=ndjson, timeout=30)
        assert answer.status_code == 202
        assert answer.json() == {
            "accepted": 1,
            "refused": 1,
            "errors": [{"index": 1, "reason": 'co2: "many" is not a whole number'}],
            "first_sequence": 0,
            "last_sequence": 1,
        }
        body = b"[" + good + b", " + bad + b", null]"
        array = httpx.post(url, content=body, headers=JSON, timeout=30)
        assert array.status_code == 202
        assert (array.json()["accepted"], array.json()["refused"]) == (1, 2)
        assert array.json()["first_sequence"] == 2
        not_json = httpx.post(url, content=b"[1, 2", headers=JSON, timeout=30)
        assert not_json.status_code == 400 and "not a JSON array" in not_json.json()["error"]
        nowhere = f"{server.url}/api/streams/nope/events"
        unknown = httpx.post(nowhere, content=good, headers=JSON, timeout=30)
        assert unknown.status_code == 404
    worker = run_worker(lh)
    assert [f.batch_id for f in worker.flushes] == [f"{NAME}-p0-0-4"]
    landed = next(iter(landed_lines(lh).values()))
    assert landed == [good, bad, good.replace(b", ", b",").replace(b": ", b":"),
                      bad.replace(b", ", b",").replace(b": ", b":"), b"null"]  # fmt: skip
