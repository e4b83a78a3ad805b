"""A partition's processing against the plain-Python reference: window rows (tumbling,
hopping, session; every aggregate), moving averages, alert transitions and the accepted,
refused and late counts — the same whatever the micro-batches, and after a checkpoint."""

from __future__ import annotations

import json
import pickle
import random
from typing import Any

import pytest

from lakebox.config.streams import StreamConfig
from lakebox.stream.events import Record
from lakebox.stream.partition import Output, PartitionState
from tests.stream.projects import NAME, Event, _iso, listed, readings, same_rows, stream_config
from tests.stream.reference import Expected, expected

ORDER = ("device_id", "window_start")


def records(events: list[Event]) -> list[Record]:
    return [Record(0, offset, event.line) for offset, event in enumerate(events)]


def process(config: dict[str, Any], events: list[Event], cuts: list[int]) -> Output:
    """Return the outputs of a fresh partition fed `events` cut at `cuts`, gathered."""
    state = PartitionState(NAME, StreamConfig.model_validate(config), 0)
    gathered = Output()
    every = records(events)
    for start, end in zip([0, *cuts], [*cuts, len(every)], strict=True):
        gathered.extend(state.process(every[start:end]))
    return listed(gathered)


def assert_as_expected(output: Output, wanted: Expected) -> None:
    for name, rows in wanted.rows.items():
        same_rows(output.rows.get(name, []), rows, ORDER)
    got = sorted((t.incident.incident_id, t.opened) for t in output.transitions)
    assert got == sorted(wanted.transitions)
    counts = (output.accepted, len(output.refused), output.late)
    assert counts == (wanted.accepted, wanted.refused, wanted.late)


def random_cuts(chooser: random.Random, length: int) -> list[int]:
    return sorted(chooser.sample(range(1, length), chooser.randrange(1, 40)))


def jittery(seed: int, count: int = 150) -> list[Event]:
    """Readings of two devices with equal times, steps of exactly the session gap, and
    readings up to a minute late: the edges of every window kind."""
    chooser = random.Random(seed)
    clock, events = 0, []
    for _ in range(count):
        clock += chooser.choice([0, 0, 1, 5, 10, 19, 20, 21])
        when = clock - chooser.choice([0, 0, 0, 0, 9, 10, 11, 25, 61])
        reading: dict[str, Any] = {"device_id": f"d{chooser.randrange(2)}", "ts": _iso(when)}
        if chooser.random() < 0.9:
            reading["pm25"] = chooser.choice([1.0, 2.5, 40.0, 40.0, 100.0, chooser.random() * 50])
        if chooser.random() < 0.9:
            reading["co2"] = chooser.choice([900, 1100, 1500])
        events.append(Event(json.dumps(reading).encode(), True))
    return events


def test_one_batch_gives_the_reference_rows_alerts_and_counts():
    config, events = stream_config(), readings()
    wanted = expected(events, config, NAME)
    assert wanted.late > 0 and wanted.refused > 0  # the feed has both
    assert all(wanted.rows[name] for name in ("m1", "h2", "visit"))
    assert {incident.split(":")[2] for incident, _ in wanted.transitions} == {
        "high",
        "co2_held",
        "stuck",
        "drift",
    }
    assert_as_expected(process(config, events, []), wanted)


@pytest.mark.parametrize("seed", range(8))
def test_random_micro_batches_give_the_same_results(seed):
    config, events = stream_config(), readings(count=300, seed=seed)
    cuts = random_cuts(random.Random(seed), len(events))
    assert_as_expected(process(config, events, cuts), expected(events, config, NAME))


@pytest.mark.parametrize("lateness", [0, "10s", "1m"])
@pytest.mark.parametrize("seed", range(3))
def test_window_edges_hold_in_any_batching(lateness, seed):
    config, events = stream_config(lateness=lateness), jittery(seed)
    wanted = expected(events, config, NAME)
    assert_as_expected(process(config, events, []), wanted)
    few = events[:60]  # one event per micro-batch: a few suffice
    one_by_one = process(config, few, list(range(1, len(few))))
    assert_as_expected(one_by_one, expected(few, config, NAME))
    cuts = random_cuts(random.Random(seed), len(events))
    assert_as_expected(process(config, events, cuts), wanted)


def test_a_partition_restored_from_its_pickle_goes_on_as_if_never_stopped():
    config = stream_config(anomaly={"fields": ["pm25", "co2"], "trees": 3})
    events = readings(count=300, seed=3)
    every = records(events)
    straight = PartitionState(NAME, StreamConfig.model_validate(config), 0)
    whole = listed(straight.process(every))
    state = PartitionState(NAME, StreamConfig.model_validate(config), 0)
    first = state.process(every[:140])
    restored = pickle.loads(pickle.dumps(state))
    assert restored.next_offset == 140
    first.extend(restored.process(every[100:]))  # offsets already taken are skipped
    first = listed(first)
    for name, rows in whole.rows.items():
        same_rows(first.rows[name], rows, ORDER)
    assert sorted(incidents(first)) == sorted(incidents(whole))
    assert restored.counters == straight.counters


def test_window_rows_are_unique_per_key_and_window():
    output = process(stream_config(), readings(count=300, seed=5), [50, 51, 120, 200])
    for name, rows in output.rows.items():
        keys = [(row["device_id"], row["window_start"]) for row in rows]
        assert len(keys) == len(set(keys)), name


def test_counters_add_up_over_batches():
    events = readings(count=200, seed=9)
    state = PartitionState(NAME, StreamConfig.model_validate(stream_config()), 0)
    every = records(events)
    for start in range(0, len(every), 37):
        state.process(every[start : start + 37])
    wanted = expected(events, stream_config(), NAME)
    counters = state.counters
    assert (counters.accepted, counters.refused, counters.late) == (
        wanted.accepted,
        wanted.refused,
        wanted.late,
    )
    assert counters.windows_closed == sum(len(rows) for rows in wanted.rows.values())
    assert state.next_offset == len(events)


def incidents(output: Output) -> list[tuple[str, bool, str]]:
    return [(t.incident.incident_id, t.opened, t.incident.detail) for t in output.transitions]
