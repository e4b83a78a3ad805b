"""The air-quality fleet generator: deterministic, realistic in shape and range, and with its
planted incidents (cooking, off-gassing, a stuck sensor) where `incidents` says they are."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from itertools import groupby, pairwise
from statistics import correlation, median

import pytest

from lakebox.demo import HOURS_BETWEEN_PULLS
from lakebox.demo.api import DEFAULT_NOW
from lakebox.demo.generators import air_quality as aq

END = aq.DEFAULT_END
DAY_BEFORE = END - timedelta(days=1)
STEP = timedelta(seconds=30)


@pytest.fixture(scope="module")
def day() -> list[dict]:
    """The demo's backlog day at 30 s: every device's readings, by ts then device."""
    return aq.readings(7, DAY_BEFORE, END, STEP).to_pylist()


def _series(rows: list[dict], device: str, field: str = "pm25") -> list[tuple[datetime, float]]:
    return [(row["ts"], row[field]) for row in rows if row["device_id"] == device]


def _runs_above(series: list[tuple[datetime, float]], limit: float) -> list[list[datetime]]:
    """Return each run of consecutive readings above `limit`, as their times."""
    runs = []
    for above, group in groupby(series, key=lambda item: item[1] > limit):
        if above:
            runs.append([ts for ts, _ in group])
    return runs


def _longest_repeat(series: list[tuple[datetime, float]]) -> int:
    return max(len(list(group)) for _, group in groupby(value for _, value in series))


def _local_hour(ts: datetime) -> int:
    return ts.astimezone(aq.ZONE).hour


# -- the fleet ---------------------------------------------------------------------------------


def test_fifty_devices_in_rooms_of_two_sites():
    ids = [item.id for item in aq.DEVICES]
    assert ids == [f"aq-{number:02d}" for number in range(1, 51)]
    assert {item.site for item in aq.DEVICES} == {"BCN-HQ", "BCN-FLATS"}
    assert len({item.room for item in aq.DEVICES}) == 50
    assert {item.kind for item in aq.DEVICES if "kitchen" in item.room.lower()} == {
        "kitchen",
        "canteen_kitchen",
    }
    assert aq.device("aq-31").room == "Flat 1A kitchen"


def test_one_reading_per_device_per_step_with_every_field(day):
    assert len(day) == 50 * 24 * 120
    assert set(day[0]) == set(aq.FIELDS)
    stamps = sorted({row["ts"] for row in day})
    assert stamps[0] == DAY_BEFORE and stamps[-1] == END - STEP
    assert {b - a for a, b in pairwise(stamps)} == {STEP}
    assert [row["device_id"] for row in day[:50]] == [item.id for item in aq.DEVICES]


def test_the_fleet_carries_on_where_the_demo_clock_stands_after_its_build():
    assert DEFAULT_NOW + timedelta(hours=HOURS_BETWEEN_PULLS) == aq.DEFAULT_END


# -- determinism -------------------------------------------------------------------------------


def test_the_same_seed_gives_the_same_readings_and_another_seed_others():
    first = aq.readings(3, DAY_BEFORE, DAY_BEFORE + timedelta(hours=1), STEP)
    again = aq.readings(3, DAY_BEFORE, DAY_BEFORE + timedelta(hours=1), STEP)
    other = aq.readings(4, DAY_BEFORE, DAY_BEFORE + timedelta(hours=1), STEP)
    assert first.equals(again)
    assert first.column("pm25") != other.column("pm25")


def test_a_reading_is_the_same_whatever_range_or_step_asks_for_it():
    start = END - timedelta(hours=6)  # cooking, off-gassing and the stuck sensor overlap here
    wide = aq.readings(7, start, END, timedelta(seconds=5)).to_pylist()
    narrow = aq.readings(7, start + timedelta(hours=2), END, timedelta(seconds=15)).to_pylist()
    by_key = {(row["device_id"], row["ts"]): row for row in wide}
    assert narrow and all(by_key[row["device_id"], row["ts"]] == row for row in narrow)
    second = END - timedelta(seconds=5)
    one = aq.readings(7, second, second + timedelta(seconds=1), devices=[aq.device("aq-02")])
    assert one.to_pylist() == [by_key["aq-02", second]]


def test_bounds_must_carry_an_offset():
    with pytest.raises(ValueError, match="no UTC offset"):
        aq.readings(7, datetime(2025, 6, 30), END)
    with pytest.raises(ValueError, match="whole number of seconds"):
        aq.readings(7, DAY_BEFORE, END, timedelta(milliseconds=500))


# -- shapes and ranges -------------------------------------------------------------------------


def test_values_stay_in_sane_ranges(day):
    ranges = {
        "pm25": (0.5, 300),
        "co2": (370, 2500),
        "voc": (20, 5000),
        "temperature": (18, 32),
        "humidity": (20, 90),
    }
    for field, (low, high) in ranges.items():
        values = [row[field] for row in day]
        assert low <= min(values) and max(values) <= high, field


def test_co2_rises_with_office_hours_on_a_weekday(day):
    monday = [row for row in day if row["ts"].astimezone(aq.ZONE).weekday() == 0]
    open_plan = {item.id for item in aq.DEVICES if item.kind == "open_plan"}
    night = [r["co2"] for r in monday if r["device_id"] in open_plan and _local_hour(r["ts"]) == 4]
    late_morning = [
        r["co2"] for r in monday if r["device_id"] in open_plan and _local_hour(r["ts"]) == 11
    ]
    assert median(night) < 480 and median(late_morning) > 750


def test_humidity_falls_as_a_room_warms(day):
    flat = [row for row in day if row["device_id"] == "aq-34"]  # a study
    assert correlation([r["temperature"] for r in flat], [r["humidity"] for r in flat]) < 0


def test_readings_become_ndjson_lines_with_utc_times(day):
    table = aq.readings(7, END - timedelta(minutes=1), END, STEP)
    lines = aq.ndjson_lines(table)
    assert len(lines) == 100
    parsed = [json.loads(line) for line in lines]
    assert parsed[0] == {
        **{key: value for key, value in table.to_pylist()[0].items() if key != "ts"},
        "ts": "2025-06-30T17:59:00Z",
    }
    assert all(set(item) == set(aq.FIELDS) for item in parsed)


# -- the planted incidents ---------------------------------------------------------------------


def test_incidents_of_the_backlog_day_name_each_kind():
    found = aq.incidents(7, DAY_BEFORE, END)
    kinds = {item.kind for item in found}
    assert kinds == {aq.COOKING, aq.OFF_GASSING, aq.STUCK}
    assert all(item.start < END and item.end > DAY_BEFORE for item in found)
    assert found == sorted(found, key=lambda item: (item.start, item.device))
    cooking = [item for item in found if item.kind == aq.COOKING]
    assert len(cooking) >= 4
    assert all("kitchen" in aq.device(item.device).kind for item in cooking)
    assert {aq.device(item.device).site for item in cooking} == {"BCN-HQ", "BCN-FLATS"}
    [stuck] = [item for item in found if item.kind == aq.STUCK]
    assert (stuck.device, stuck.start, stuck.end) == (
        aq.stuck_device(7).id,
        END - timedelta(hours=5),
        END + timedelta(hours=3),
    )
    assert aq.incidents(7, END + timedelta(hours=8), END + timedelta(hours=9)) == []  # at night


def test_cooking_holds_pm25_over_35_for_several_readings_and_nothing_else_does(day):
    cooking = [item for item in aq.incidents(7, DAY_BEFORE, END) if item.kind == aq.COOKING]
    for device in (item.id for item in aq.DEVICES):
        runs = [run for run in _runs_above(_series(day, device), 35) if len(run) >= 3]
        mine = [item for item in cooking if item.device == device]
        # one run of 3+ readings over 35 per meal, inside it, and none elsewhere
        assert len(runs) == len(mine), device
        for run, meal in zip(runs, mine, strict=True):
            assert meal.start <= run[0] and run[-1] < meal.end
            assert len(run) >= 10  # five minutes and more at 30 s


def test_the_off_gassing_room_voc_rises_with_its_temperature(day):
    [episode] = [item for item in aq.incidents(7, DAY_BEFORE, END) if item.kind == aq.OFF_GASSING]
    assert aq.device(episode.device).kind == "meeting"
    rows = [row for row in day if row["device_id"] == episode.device]
    during = [row for row in rows if episode.start <= row["ts"] < episode.end]
    before = [row for row in rows if row["ts"] < episode.start]
    others = [
        row["voc"]
        for row in day
        if aq.device(row["device_id"]).kind == "meeting"
        and row["device_id"] != episode.device
        and episode.start <= row["ts"] < episode.end
    ]
    voc, warmth = [row["voc"] for row in during], [row["temperature"] for row in during]
    assert correlation(voc, warmth) > 0.8
    assert max(voc) > 3 * max(others)
    assert max(warmth) > max(row["temperature"] for row in before) + 3


def test_the_stuck_sensor_repeats_one_pm25_value_and_no_other_repeats_20(day):
    [stuck] = [item for item in aq.incidents(7, DAY_BEFORE, END) if item.kind == aq.STUCK]
    series = _series(day, stuck.device)
    during = {value for ts, value in series if ts >= stuck.start}
    assert len(during) == 1
    assert _longest_repeat([item for item in series if item[0] < stuck.start]) < 20
    assert len({row["co2"] for row in day if row["device_id"] == stuck.device}) > 100
    for device in (item.id for item in aq.DEVICES if item.id != stuck.device):
        assert _longest_repeat(_series(day, device)) < 20, device


def test_the_live_second_by_second_feed_keeps_the_stuck_value():
    [stuck] = [item for item in aq.incidents(7, END, END + timedelta(minutes=1))]
    live = aq.readings(7, END, END + timedelta(seconds=30), devices=[aq.device(stuck.device)])
    before = aq.readings(7, stuck.start, stuck.start + timedelta(seconds=1))
    [at_start] = [row for row in before.to_pylist() if row["device_id"] == stuck.device]
    assert set(live.column("pm25").to_pylist()) == {at_start["pm25"]}
    assert live.num_rows == 30 and stuck.start < END < stuck.end
    assert stuck.start.tzinfo is UTC or stuck.start.utcoffset() == timedelta(0)
