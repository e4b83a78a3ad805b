"""The hot and the cold path read each event the same way: what the worker accepts (and
the values it reads) is what the format step writes to formatted.<stream>, and what it
refuses the format step quarantines. Each event of the corpus has its own device, so no
two rows are the same (the format step drops exact duplicates)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

import lakebox
from lakebox.config.streams import StreamConfig
from lakebox.orchestration.runner import run
from lakebox.stream.events import Record, parse
from tests.stream.projects import (
    FIELDS,
    NAME,
    Event,
    log_events,
    run_worker,
    stream_config,
    write_project,
)

CONFIG = stream_config(windows={}, averages={}, alerts={})
MISMATCH = "the format step reads it otherwise"


def reading(**values: object) -> dict[str, object]:
    return {"ts": "2024-01-01T00:00:00Z", **values}


AGREED = [
    reading(pm25=1.5, co2=400, ok=True),
    reading(ts="2024-01-01T02:00:00+02:00"),
    reading(ts="2024-01-01T00:00:00"),
    reading(ts="2024-01-01 00:00:00.123456"),
    reading(ts="2024-01-01"),
    reading(pm25="2.5"),
    reading(pm25=" 2.5 "),
    reading(pm25="1e3"),
    reading(pm25="1_000"),
    reading(co2="410"),
    reading(co2=415.0),
    reading(ok="true"),
    reading(ok="TRUE"),
    reading(pm25=None, co2=None),
    reading(pm25="lots"),
    reading(co2=12.5),
    reading(ts="yesterday"),
    reading(ts=None),
    reading(device_id=None),
]
DIFFERING = [
    reading(ok="yes"),
    reading(ok="0"),
    reading(pm25="1,234.5"),
    reading(pm25="12,5"),
    reading(co2="12.0"),
    reading(co2="1e3"),
    reading(device_id=[1]),
    reading(ts="01/02/2024 10:00"),
    reading(ts="2024-01-01T24:00:00"),
    reading(ts="20240101T000000"),
    reading(ts="2024-W01-1"),
]
RAW_DIFFERING = [b'{"ts": "2024-01-01T00:00:00Z", "pm25": 1, "device_id": "trailing",}']


def line(index: int, values: dict[str, object]) -> bytes:
    """Return the event `values` of its own device (unless it names one)."""
    return json.dumps({"device_id": f"d{index}", **values}).encode()


LINES = [line(i, values) for i, values in enumerate(AGREED + DIFFERING)] + RAW_DIFFERING
CASES = [
    pytest.param(index, id=value.decode()[:70])
    if index < len(AGREED)
    else pytest.param(
        index, id=value.decode()[:70], marks=pytest.mark.xfail(strict=True, reason=MISMATCH)
    )
    for index, value in enumerate(LINES)
]


@pytest.fixture(scope="module")
def both_paths(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[dict, dict]]:
    """Per offset: the hot path's values (or reason), and the cold path's."""
    project = write_project(tmp_path_factory.mktemp("hot_and_cold") / "project", CONFIG)
    stream = StreamConfig.model_validate(CONFIG)
    parsed = parse([Record(0, i, value) for i, value in enumerate(LINES)], stream)
    hot: dict[int, Any] = {row["_offset"]: _values(row) for row in parsed.events.to_pylist()}
    hot |= {refusal.offset: "refused" for refusal in parsed.refused}
    with lakebox.open(project) as lh:
        log_events(lh, [Event(value, True) for value in LINES])
        run_worker(lh)
        assert run(lh).ok
        yield hot, _cold(lh)


def _values(row: dict[str, Any]) -> dict[str, Any]:
    return {name: row[name] for name in FIELDS}


def _cold(lh: Any) -> dict[int, Any]:
    position = "regexp_extract(_batch_id, '-(\\d+)-\\d+$', 1)::BIGINT + _source_line - 1"
    fields = ", ".join(FIELDS)
    lh.refresh()
    cold: dict[int, Any] = {}
    for row in lh.query(f"SELECT {fields}, {position} AS o FROM formatted.{NAME}").to_pylist():
        cold[row["o"]] = _values(row)
    for row in lh.query(f"SELECT {position} AS o FROM quarantine.{NAME}").to_pylist():
        cold[row["o"]] = "refused"
    return cold


@pytest.mark.parametrize("index", CASES)
def test_an_event_reads_the_same_hot_and_cold(both_paths, index):
    hot, cold = both_paths
    assert cold.get(index) == hot[index]
