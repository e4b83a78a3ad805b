"""The hot and the cold path read each event the same way: what the worker accepts (and
the values it reads) is what the format step writes to formatted.<stream>, and what it
refuses the format step quarantines.

The corpus goes through the worker and a run as one stream would (each event of its own
device, so that no two rows are the same), and each event is also read alone, which takes
Arrow's fast path whenever the event is strict JSON: both readings must be the cold one.
Where the format step reads an event by the rest of its flush, each case is a flush of its
own, beside an event holding plain values; the cases no per-event reading can match, or
where the format step fails a whole flush, are expected to differ, each with its reason."""

from __future__ import annotations

import contextlib
import json
import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

import lakebox
from lakebox.config.streams import StreamConfig
from lakebox.formatted.formatter import format_entry
from lakebox.orchestration.runner import run
from lakebox.stream.events import Record, parse
from lakebox.stream.landed import Spool
from tests.stream.projects import (
    FIELDS,
    NAME,
    Event,
    log_events,
    run_worker,
    stream_config,
    write_project,
)

TYPED = {**FIELDS, "level": "INTEGER", "ratio": "FLOAT"}
CONFIG = stream_config(windows={}, averages={}, alerts={}, fields=TYPED)
TIME = "2024-01-01T00:00:00Z"


def reading(**values: object) -> dict[str, object]:
    return {"ts": TIME, **values}


LENIENT = [  # what the format step reads though Arrow's reader does not
    reading(ok="yes"),
    reading(ok="0"),
    reading(ok=1),
    reading(ok="x"),
    reading(pm25="1,234.5"),
    reading(pm25="12,5"),
    reading(co2="12.0"),
    reading(co2="1e3"),
    reading(co2="9223372036854775807.0"),
    reading(device_id=[1]),
    reading(device_id=7.10),
    reading(device_id=1e3),
    reading(device_id=True),
    reading(ratio="0.1"),
    reading(ts="01/02/2024 10:00"),
    reading(ts="2024-01-01T24:00:00"),
    reading(ts="2024-01-01T10:00:00.1234567Z"),
    reading(ts="2024-01-01T10:00:00 Europe/Paris"),
    reading(ts="20240101T000000"),
    reading(ts="2024-W01-1"),
]
STRICT = [  # strict JSON Arrow's reader takes, some of which the format step reads otherwise
    reading(pm25=1.5, co2=400, ok=True),
    reading(ts="2024-01-01T02:00:00+02:00"),
    reading(ts="2024-01-01T00:00:00"),
    reading(ts="2024-01-01 00:00:00.123456"),
    reading(ts="2024-01-01"),
    reading(ts="2024-01-01T10:00"),
    reading(ts="2024-01-01T10:00:00.5-01:30"),
    reading(ts="2024-01-01T10"),
    reading(ts="2024-01-01T10Z"),
    reading(ts="2024-01-01T10:00Z"),
    reading(ts="2024-01-01T10:00:00+0130"),
    reading(device_id=" padded\t"),
    reading(device_id="no-break\u00a0"),
    reading(device_id="nul\u0000"),
    reading(co2=-9223372036854775808),
    reading(level=2147483647),
    reading(ratio=0.1),
    reading(ratio=1.0000000596046448),  # halfway between two FLOATs
    reading(ratio=3.5e38),  # beyond a FLOAT
    reading(ratio=1e-40),  # a FLOAT's subnormal
    reading(pm25=None, co2=None),
    reading(ts=None),
    reading(device_id=None),
]
REFUSED = [
    reading(pm25="lots"),
    reading(co2=12.5),
    reading(co2="12.50"),
    reading(co2=9223372036854775807.0),  # beyond 64 bits once read as a double
    reading(ok=2),
    reading(ts="yesterday"),
    reading(ts=1704067200),
]
RAW = [
    b'{"ts": "2024-01-01T00:00:00Z", "pm25": 1, "device_id": "trailing",}',
    b'{"ts": "2024-01-01T00:00:00Z", "device_id": "nan", "pm25": NaN}',
    b'{"ts": "2024-01-01T00:00:00Z", "device_id": "-inf", "pm25": -Infinity}',
    b'{"ts": "2024-01-01T00:00:00Z", "device_id": "first", "device_id": "second"}',
    b'{"ts": "2024-01-01T00:00:00Z", "device_id": "comment"} // no',
    b'{"ts": "2024-01-01T00:00:00Z", "device_id": "lone \\ud800"}',
    b"[1, 2]",
]
FIELD_NAMES = list(TYPED)


def line(index: int, values: dict[str, object]) -> bytes:
    """Return the event `values` of its own device (unless it names one)."""
    return json.dumps({"device_id": f"d{index}", **values}).encode()


LINES = [line(i, values) for i, values in enumerate(LENIENT + STRICT + REFUSED)] + RAW
CASES = [pytest.param(index, id=value.decode()[:70]) for index, value in enumerate(LINES)]


@pytest.fixture(scope="module")
def both_paths(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[dict, dict, dict]]:
    """Per offset: the hot path's values (or "refused") read in one batch and read alone,
    and the cold path's."""
    project = write_project(tmp_path_factory.mktemp("hot_and_cold") / "project", CONFIG)
    stream = StreamConfig.model_validate(CONFIG)
    records = [Record(0, i, value) for i, value in enumerate(LINES)]
    together = _hot(parse(records, stream))
    alone = {}
    for record in records:
        alone |= _hot(parse([record], stream))
    with lakebox.open(project) as lh:
        log_events(lh, [Event(value, True) for value in LINES])
        run_worker(lh)
        assert run(lh).ok
        yield together, alone, _cold(lh)


def _hot(parsed: Any) -> dict[int, Any]:
    hot: dict[int, Any] = {row["_offset"]: _values(row) for row in parsed.events.to_pylist()}
    return hot | {refusal.offset: "refused" for refusal in parsed.refused}


def _values(row: dict[str, Any]) -> dict[str, Any]:
    """The declared fields of a row, NaN made comparable."""
    nan = {name: "NaN" for name in FIELD_NAMES if isinstance(row[name], float)}
    return {
        name: nan.get(name) if name in nan and math.isnan(row[name]) else row[name]
        for name in FIELD_NAMES
    }


def _cold(lh: Any) -> dict[int, Any]:
    position = "regexp_extract(_batch_id, '-(\\d+)-\\d+$', 1)::BIGINT + _source_line - 1"
    fields = ", ".join(FIELD_NAMES)
    lh.refresh()
    cold: dict[int, Any] = {}
    for row in lh.query(f"SELECT {fields}, {position} AS o FROM formatted.{NAME}").to_pylist():
        cold[row["o"]] = _values(row)
    for row in lh.query(f"SELECT {position} AS o FROM quarantine.{NAME}").to_pylist():
        cold[row["o"]] = "refused"
    return cold


@pytest.mark.parametrize("index", CASES)
def test_an_event_reads_the_same_hot_and_cold(both_paths, index):
    together, alone, cold = both_paths
    assert cold.get(index) == together[index]
    assert alone[index] == together[index]


# Flushes of their own. Each case's event (the last of its flush, unless `probe` says) beside
# PLAIN: values that show no decimal mark, text where text is declared.
PLAIN = line(0, {"ts": TIME, "pm25": 1, "co2": 1, "ok": True, "level": 1, "ratio": 1})


@dataclass(frozen=True)
class Flush:
    """A flush's events, the one compared, and why it differs when it is expected to."""

    lines: tuple[bytes, ...]
    probe: int = -1
    differs: str | None = None


def by_itself(**values: object) -> Flush:
    return Flush((PLAIN, line(1, reading(**values))))


FIRST = Flush(
    (PLAIN, line(1, reading(level=2**31))),
    differs="the first flush makes the table with the declared INTEGER, which refuses a "
    "value beyond 32 bits; once the table exists the format step widens the column to "
    "BIGINT for such a value, as the worker reads it",
)
ALONE = [
    by_itself(pm25="12,5"),
    by_itself(pm25="1,234.5"),
    by_itself(pm25="1.234,5"),
    by_itself(pm25="1,234"),  # ambiguous: nothing else in the flush tells the mark
    by_itself(pm25="1.234.567"),
    by_itself(co2="1,234"),
    by_itself(co2="1.234.567"),
    by_itself(co2="12,0"),
    by_itself(ratio="12,5"),
    by_itself(level=2**31),
    by_itself(level="2147483648.0"),
    by_itself(device_id={"a": 1}),
    by_itself(pm25={"a": 1}),
    Flush((PLAIN, b'{"ts": "2024-01-01T00:00:00Z", "device_id": "line\nbreak"}')),
]
WHOLE = [
    Flush(
        (line(1, reading(pm25="12,5")), line(2, reading(pm25=1.234))),
        differs="a decimal comma elsewhere in the flush makes the format step read the "
        "number 1.234 as 1234; the worker reads each event by itself",
    ),
    Flush(
        (line(1, reading(pm25=1.5)), line(2, reading(pm25="1,234"))),
        differs="a decimal point elsewhere in the flush makes the format step read "
        "'1,234' as 1234; by itself it is ambiguous, and the worker refuses it",
    ),
    Flush(
        (line(1, reading()), line(2, reading(pm25={"a": 1}))),
        differs="an object in a field no other event of the flush holds a plain value in "
        "is flattened by the format step (pm25_a), leaving pm25 empty; the worker refuses it",
    ),
    Flush(
        (b'{"device_id": "d1", "ts": "2024-01-01", "PM25": 3}', line(2, reading(pm25=4))),
        differs="the format step reads a field by the name its first event spells: PM25 "
        "before pm25 takes pm25's place, so pm25 of the next event reads empty",
    ),
    Flush(
        (line(1, reading()), line(2, reading(pm25="lots"))),
        probe=0,
        differs="a flush whose every value of a field fails the table's type is refused "
        "whole by the format step (an incompatible schema change)",
    ),
    Flush(
        (PLAIN, b'{"device_id": "d1",\r"ts": "2024-01-01"}'),
        differs="a carriage return in an event fails the format step's whole flush: its "
        "NDJSON reader takes it for a line break its CSV parser refuses",
    ),
    Flush(
        (PLAIN, line(1, reading(ts="9999-12-31T23:59:59-01:00"))),
        probe=0,
        differs="a time beyond year 9999 fails the format step's whole flush (the table's "
        "statistics cannot hold it)",
    ),
    # bytes that are not UTF-8: read as U+FFFD, and landed so (see tests/stream/test_landed.py)
    Flush((PLAIN, b'{"device_id": "d\xff", "ts": "2024-01-01"}', line(2, reading()))),
    Flush(
        (PLAIN, line(1, reading(note="x" * 400))),
        differs="an event larger than the stream's max_event_bytes is refused by the worker "
        "alone; the format step reads it",
    ),
]
FLUSHES = [FIRST, *ALONE, *WHOLE]


@pytest.fixture(scope="module")
def flush_by_flush(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[dict, dict]]:
    """Per offset: the hot path's reading and the cold one, each case landed as the worker
    lands a flush, then formatted."""
    config = {**CONFIG, "max_event_bytes": 300}
    project = write_project(tmp_path_factory.mktemp("by_flush") / "project", config)
    stream = StreamConfig.model_validate(config)
    hot: dict[int, Any] = {}
    with lakebox.open(project) as lh:
        for records in _numbered(FLUSHES):
            hot |= _hot(parse(records, stream))
            spool = Spool(lh, NAME, 0)
            spool.add(records)
            entry = lh.manifest.get(spool.take().land(lh))
            with contextlib.suppress(OverflowError):  # a time beyond year 9999 in the flush
                format_entry(lh, entry)
        yield hot, _cold(lh)


def _numbered(flushes: list[Flush]) -> list[list[Record]]:
    batches, offset = [], 0
    for flush in flushes:
        batches.append([Record(0, offset + i, value) for i, value in enumerate(flush.lines)])
        offset += len(flush.lines)
    return batches


def _flush_cases() -> list[Any]:
    cases, offset = [], 0
    for flush in FLUSHES:
        probe = offset + range(len(flush.lines))[flush.probe]
        shown = b" | ".join(flush.lines).decode("utf-8", errors="replace")[:90]
        marks = [pytest.mark.xfail(strict=True, reason=flush.differs)] if flush.differs else []
        cases.append(pytest.param(probe, id=shown, marks=marks))
        offset += len(flush.lines)
    return cases


@pytest.mark.parametrize("index", _flush_cases())
def test_an_event_reads_the_same_hot_and_cold_in_a_flush_of_its_own(flush_by_flush, index):
    hot, cold = flush_by_flush
    assert cold.get(index) == hot[index]
