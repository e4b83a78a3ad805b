"""Reading a micro-batch of events: the fast path (the whole batch at once) and the slow one
(event by event, taken when any event is bad) accept the same events with the same values,
every refusal has its reason, and how a batch is split never changes the result."""

from __future__ import annotations

import json
import random

import pyarrow as pa
import pytest

from lakebox.config.streams import StreamConfig
from lakebox.stream.events import MAX_RAW_KEPT, OFFSET, TIME, Record, parse, parse_at_once
from tests.stream.projects import FIELDS

STREAM = StreamConfig.model_validate(
    {"key": "device_id", "time": "ts", "fields": FIELDS, "max_event_bytes": 200}
)
BAD = b"{not json"


def batch(*lines: bytes, first: int = 0) -> list[Record]:
    return [Record(0, offset, line) for offset, line in enumerate(lines, start=first)]


def event(**values: object) -> bytes:
    return json.dumps({"device_id": "d1", "ts": "2024-01-01T00:00:00Z", **values}).encode()


ODD_BUT_GOOD = [
    event(pm25=1.5, co2=400, ok=True),
    event(ts="2024-01-01T02:00:00+02:00"),
    event(ts="2024-01-01T00:00:00"),  # naive: UTC
    event(ts="2024-01-01 00:00:00.123456"),
    event(ts="2024-01-01T00:00:00.5-01:30"),
    event(ts="2024-01-01"),
    event(pm25=3),
    event(pm25=-0.0),
    event(pm25="2.5"),  # a number written as text
    event(co2="410"),
    event(co2=415.0),  # a whole number written with a decimal point
    event(ok="true"),
    event(device_id=7),  # a key written as a number
    event(pm25=None, co2=None, ok=None),
    event(extra={"nested": [1, 2]}),  # undeclared fields are ignored
    b'{"device_id": "d\\u00e9", "ts": "2024-01-01T00:00:00Z"}',
    b'  {"device_id": "d2", "ts": "2024-01-01T00:00:00Z"}  ',
    event(device_id=" d1\t"),  # text is trimmed, as the format step trims it
    event(ts="2024-01-01T10:00"),
    # what the format step reads though Arrow's reader does not
    b'{"device_id": "d1", "ts": "2024-01-01T00:00:00Z", "pm25": 1,}',
    event(ok="yes"),
    event(ok=0),
    event(pm25="1,234.5"),
    event(pm25="12,5"),
    event(co2="12.0"),
    event(co2="1e3"),
    event(device_id=[1]),
    event(ts="01/02/2024 10:00"),
    event(ts="2024-01-01T24:00:00"),
]


def as_rows(table: pa.Table) -> list[dict[str, object]]:
    """Rows with NaN made comparable."""
    return [
        {key: ("nan" if isinstance(v, float) and v != v else v) for key, v in row.items()}
        for row in table.to_pylist()
    ]


def test_the_fast_and_the_slow_path_accept_the_same_events_with_the_same_values():
    fast = parse(batch(*ODD_BUT_GOOD), STREAM)
    slow = parse(batch(*ODD_BUT_GOOD, BAD), STREAM)  # one bad event: read one by one
    assert fast.refused == [] and [r.offset for r in slow.refused] == [len(ODD_BUT_GOOD)]
    assert fast.events.schema == slow.events.schema
    assert as_rows(fast.events) == as_rows(slow.events)
    assert fast.events.num_rows == len(ODD_BUT_GOOD)
    for line in ODD_BUT_GOOD:
        alone, with_bad = parse(batch(line), STREAM), parse(batch(line, BAD), STREAM)
        assert as_rows(alone.events) == as_rows(with_bad.events), line


def test_values_are_typed_and_times_are_utc_microseconds():
    parsed = parse(batch(*ODD_BUT_GOOD[:6], first=100), STREAM).events
    assert parsed.column_names == [*FIELDS, OFFSET, TIME]
    assert parsed.schema.field("ts").type == pa.timestamp("us", tz="UTC")
    assert parsed.column(OFFSET).to_pylist() == list(range(100, 106))
    base = 1704067200_000000
    assert parsed.column(TIME).to_pylist() == [
        base,
        base,
        base,
        base + 123456,
        base + 5_400_500000,
        base,
    ]
    first = parsed.to_pylist()[0]
    assert (first["pm25"], first["co2"], first["ok"]) == (1.5, 400, True)


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (BAD, "malformed JSON"),
        (b"", "malformed JSON"),
        (b'{"device_id": "d1", "ts": "2024-01-01T00:00:00Z"', "malformed JSON"),
        (b'{"device_id": "d1", "ts": "2024-01-01"}{"a": 1}', "malformed JSON"),
        (b'{"device_id": "\\ud800", "ts": "2024-01-01"}', "malformed JSON"),
        (b'{"device_id": "\\ud800", "ts": "2024-01-01", "pm25": NaN}', "malformed JSON"),
        (b"[1, 2]", "not a JSON object"),
        (b'"text"', "not a JSON object"),
        (b"null", "not a JSON object"),
        (json.dumps({"ts": "2024-01-01"}).encode(), "device_id: required value is missing"),
        (event(device_id=None), "device_id: required value is missing"),
        (event(ts=None), "ts: required value is missing"),
        (event(pm25="lots"), 'pm25: "lots" is not a number'),
        (event(pm25=True), "pm25: true is not a number"),
        (event(co2=12.5), "co2: 12.5 is not a whole number"),
        (event(co2="12a"), 'co2: "12a" is not a whole number'),
        (event(co2=2**63), "co2: 9223372036854775808 is not a whole number"),
        (event(co2=1e23), "co2: 1e23 is not a whole number"),
        (
            event(co2="1,234"),
            'co2: "1,234" is ambiguous: its comma may separate thousands or decimals',
        ),
        (event(ok="maybe"), 'ok: "maybe" is not true or false'),
        (event(ok=2), "ok: 2 is not true or false"),
        (event(device_id="d\x00"), 'device_id: "d\\u0000" holds a NUL byte'),
        (event(ts="yesterday"), 'ts: "yesterday" is not a time'),
        (event(ts=1704067200), "ts: 1704067200 is not a time"),
        (event(ts="2024-01-01T10Z"), 'ts: "2024-01-01T10Z" is not a time'),
        (event(ts="9999-12-31T23:59:59-01:00"), "is outside years 1 to 9999"),
        (event(ts="0000-01-01T00:00:00Z"), "is outside years 1 to 9999"),
        (event(ts="2024-02-30T00:00:00"), "is not a time"),
        (b'{"device_id": "d1", "ts": "2024-01-01"} // note', "malformed JSON"),
        # a number a DOUBLE cannot hold as written, refused as the format step refuses it
        (b'{"device_id": "d1", "ts": "2024-01-01", "pm25": NaN}', "NaN is not a JSON number"),
        (b'{"device_id": "d1", "ts": "2024-01-01", "pm25": -Infinity}', "is not a JSON number"),
        (
            b'{"device_id": "d1", "ts": "2024-01-01", "pm25": 1e309}',
            "out of range for a number (beyond ±1.8e308)",
        ),
        (event(note="x" * 200), "event larger than 200 bytes"),
    ],
)
def test_a_refused_event_says_why_alone_and_among_good_ones(line, reason):
    for records in (batch(line), batch(event(), line, event())):
        parsed = parse(records, STREAM)
        assert len(parsed.refused) == 1, parsed.refused
        refusal = parsed.refused[0]
        assert refusal.reason.endswith(reason) and refusal.offset == records.index(
            next(r for r in records if r.value == line)
        )
        assert refusal.raw == line.decode("utf-8", errors="replace")
        assert parsed.events.num_rows == len(records) - 1


def test_bytes_that_are_not_utf8_are_read_as_u_fffd_as_they_land():
    parsed = parse(batch(b'{"device_id": "d\xff", "ts": "2024-01-01"}', event()), STREAM)
    assert parsed.refused == []
    assert parsed.events.column("device_id").to_pylist()[0] == "d\ufffd"


def test_a_refused_event_keeps_the_start_of_its_text():
    long = STREAM.model_copy(update={"max_event_bytes": 10_000})
    line = b'{"device_id": ' + b"1" * 5000
    refusal = parse(batch(line), long).refused[0]
    assert refusal.raw == line.decode()[:MAX_RAW_KEPT] + "…"


def test_an_empty_batch_has_the_declared_columns():
    parsed = parse([], STREAM)
    assert parsed.events.num_rows == 0 and parsed.refused == []
    assert parsed.events.column_names == [*FIELDS, OFFSET, TIME]


def mixed(seed: int, count: int = 60) -> list[bytes]:
    chooser = random.Random(seed)
    pool = [*ODD_BUT_GOOD, BAD, b"[1]", event(co2=1.5), event(ts=None), event(pm25="x")]
    return [chooser.choice(pool) for _ in range(count)]


@pytest.mark.parametrize("seed", range(3))
def test_splitting_a_batch_anywhere_gives_the_same_result(seed):
    lines = mixed(seed)
    whole = parse(batch(*lines), STREAM)
    for cut in range(len(lines) + 1):
        head = parse(batch(*lines[:cut]), STREAM)
        tail = parse(batch(*lines[cut:], first=cut), STREAM)
        joined = pa.concat_tables([head.events, tail.events])
        assert as_rows(joined) == as_rows(whole.events), cut
        assert head.refused + tail.refused == whole.refused, cut


TYPED = StreamConfig.model_validate(
    {
        "key": "device_id",
        "time": "ts",
        "fields": {**FIELDS, "level": "INTEGER", "ratio": "FLOAT"},
    }
)
USUAL = [
    event(pm25=12.5, co2=415, ok=False),
    event(ts="2024-01-01T10:00:00.123Z"),
    event(ts="2024-01-01T10:00:00+02:00"),
    event(ts="2024-01-01 10:00:00"),
    event(ts="2024-01-01"),
    b'{"device_id": "d1", "ts": "2024-01-01", "pm25": 1.5, "ratio": 0.25, "level": 7}',
]


def test_the_usual_events_are_read_at_once_as_the_slow_path_reads_them():
    mixed_times = [
        event(ts="2024-01-01T10:00:00Z"),
        event(ts="2024-01-01T10:00:00"),
        event(ts="2024-01-01"),
        event(ts="2024-01-01 10:00:00.5-05:00"),
    ]
    for lines in (USUAL, mixed_times):
        fast = parse_at_once(batch(*lines), TYPED)
        assert fast is not None
        assert as_rows(fast.events) == as_rows(parse(batch(*lines, BAD), TYPED).events)


def strict_lines() -> list[bytes]:
    """Strict JSON events Arrow's reader takes, in the shapes where its reading and the
    format step's part: times, padded text, numbers at a FLOAT's edges."""
    found = []
    for day in ("2024-01-01", "2024-02-29", "2023-02-29", "0000-01-01", "0001-01-01", "9999-12-31"):
        for clock in ("", "T10", " 10", "T10:30", "T23:59:59", "T10:30:00.5", "T10:30:00.1234567"):
            for zone in ("", "Z", "+01", "+0130", "-05:00", "+14:00", "-00:00"):
                found.append(event(ts=day + clock + zone))
    for text in (" a", "a ", "\ta", "a\n", "\u00a0a", "a\u2028", "a\u0000", "é", "", "  "):
        found.append(event(device_id=text))
    for number in (
        0.1,
        1 / 3,
        1.0000000596046448,
        3.4028234663852886e38,
        3.4028235677973366e38,
        1.1754943508222875e-38,
        1e-40,
        1e-46,
        -0.0,
        16777217,
        2**31,
        -(2**31) - 1,
    ):
        found.append(event(ratio=number, level=2**31 if number == 2**31 else 1))
    for number in (1e308, 5e-324, 0.30000000000000004, 2**53 + 1, -0.0):
        found.append(event(pm25=number))
    return found


@pytest.mark.parametrize("line", strict_lines(), ids=lambda line: line.decode()[49:][:40])
def test_the_fast_path_reads_as_the_format_step_does(line):
    """The slow path is the format step's own SQL; the fast path must agree with it on every
    event Arrow takes, or leave the event to it."""
    fast, slow = parse(batch(line), TYPED), parse(batch(line, BAD), TYPED)
    assert as_rows(fast.events) == as_rows(slow.events)
    assert [r.reason for r in fast.refused] == [r.reason for r in slow.refused[:-1]]
