"""The demo sensor API, run for real: paging, live hours, agreement with the files, auth."""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest

from lakebox.demo.api import SensorService
from lakebox.demo.generators import sensors

SEED = 7
# Monday 15:20 UTC, the day after the file calendar ends: the default week spans both sides.
NOW = datetime(2025, 6, 30, 15, 20, tzinfo=UTC)
SENSORS = sum(store.sensors for store in sensors.STORES)
TOKEN = "s3cret-token"


# -- helpers -----------------------------------------------------------------------------------


def _get(client: httpx.Client, path: str = "/v1/counts", **params: object) -> dict:
    response = client.get(path, params=params)
    assert response.status_code == 200, response.text
    return response.json()


def _all_rows(client: httpx.Client, page_size: int = 1000, **params: object) -> list[dict]:
    """Return every row of a range, following the pages until `pages` says stop."""
    first = _get(client, page=1, page_size=page_size, **params)
    rows = list(first["data"])
    for page in range(2, first["pages"] + 1):
        rows += _get(client, page=page, page_size=page_size, **params)["data"]
    return rows


def _hour_utc(row: dict) -> datetime:
    return datetime.fromisoformat(row["hour"]).astimezone(UTC)


def _counts(rows: list[dict]) -> dict[tuple[str, datetime], int]:
    return {(row["sensor"], _hour_utc(row)): row["count"] for row in rows}


def _file_counts(folder: Path) -> dict[tuple[str, datetime], int]:
    """Return {(sensor, UTC hour): count} for every reading of the weekly exports."""
    found = {}
    for path in folder.iterdir():
        if path.suffix == ".ndjson":
            items = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
        else:
            with path.open(encoding="utf-8", newline="") as handle:
                items = list(csv.DictReader(handle))
        for item in items:
            ts = datetime.fromisoformat(item["ts"]).astimezone(UTC)
            found[(item["sensor"], ts)] = int(item["count"])
    return found


@pytest.fixture(scope="module")
def service() -> Iterator[SensorService]:
    with SensorService(seed=SEED, now=NOW) as running:
        yield running


@pytest.fixture
def client(service: SensorService) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=service.url, timeout=30) as http:
        yield http


@pytest.fixture(scope="module")
def file_counts(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, datetime], int]:
    folder = tmp_path_factory.mktemp("door_counts")
    sensors.write_door_sensors(folder, seed=SEED)
    return _file_counts(folder)


# -- paging ------------------------------------------------------------------------------------


def test_pages_cover_every_row_of_the_default_week_exactly_once(client: httpx.Client):
    first = _get(client, page_size=1000)
    rows = _all_rows(client, page_size=1000)
    hours = 7 * 24 - 1  # since NOW - 7 days (exclusive, 16:00 on) to 15:00 (exclusive)
    assert first["total"] == len(rows) == hours * SENSORS
    assert first["pages"] == math.ceil(hours * SENSORS / 1000) == 8
    keys = [(_hour_utc(row), row["sensor"]) for row in rows]
    assert len(set(keys)) == len(keys)
    assert keys == sorted(keys)
    assert keys[0][0] == datetime(2025, 6, 23, 16, tzinfo=UTC)
    assert keys[-1][0] == datetime(2025, 6, 30, 14, tzinfo=UTC)
    assert _get(client, page=9, page_size=1000)["data"] == []


def test_pages_of_an_odd_size_split_hours_and_still_tile_the_range(client: httpx.Client):
    params = {"since": "2025-06-30T05:00:00Z", "until": "2025-06-30T09:00:00Z", "store": "MIL-01"}
    wide = _get(client, page_size=5000, **params)["data"]
    paged = _all_rows(client, page_size=7, **params)
    assert len(wide) == 3 * 20 and paged == wide
    assert {row["store_id"] for row in wide} == {"MIL-01"}


def test_rows_name_the_store_and_the_local_hour_with_its_offset(client: httpx.Client):
    rows = _get(client, since="2025-06-30T09:00:00Z", until="2025-06-30T11:00:00Z")["data"]
    porto = next(row for row in rows if row["sensor"] == "OPO-01-S01")
    barcelona = next(row for row in rows if row["sensor"] == "BCN-01-S01")
    assert porto == {**porto, "store_id": "OPO-01", "city": "Porto"}
    assert porto["hour"] == "2025-06-30T11:00:00+01:00"
    assert barcelona["hour"] == "2025-06-30T12:00:00+02:00"
    assert set(barcelona) == {"store_id", "city", "sensor", "hour", "count"}


# -- determinism -------------------------------------------------------------------------------


def test_a_sensor_hour_has_one_count_in_any_range_and_in_the_files(
    client: httpx.Client, file_counts: dict[tuple[str, datetime], int]
):
    wide = _counts(_all_rows(client, since="2025-06-27T23:00:00Z", until="2025-06-30T12:00:00Z"))
    narrow = _counts(
        _get(client, since="2025-06-28T09:30:00Z", until="2025-06-28T12:00:00Z", store="LYS-01")[
            "data"
        ]
    )
    assert len(narrow) == 2 * 4
    assert narrow == {key: wide[key] for key in narrow}
    in_files = {key: count for key, count in file_counts.items() if key in wide}
    assert len(in_files) > 24 * SENSORS  # all of Saturday and Sunday 28-29 June
    assert in_files == {key: wide[key] for key in in_files}
    assert len({count for count in in_files.values() if count > 0}) > 10


def test_failed_sensor_days_and_random_failures_read_minus_one(client: httpx.Client):
    failed_days = set(sensors.failed_sensor_days(SEED))
    week = _all_rows(client)
    random_failures = [
        row
        for row in week
        if row["count"] == sensors.FAILED
        and (row["sensor"], datetime.fromisoformat(row["hour"]).date()) not in failed_days
    ]
    assert random_failures
    for sensor, day in failed_days:
        zone = ZoneInfo(sensors.store_of(sensor).timezone)
        midnight = datetime.combine(day, time(), zone)
        rows = _get(
            client,
            since=(midnight - timedelta(seconds=1)).isoformat(),
            until=(midnight + timedelta(days=1)).isoformat(),
            store=sensors.store_of(sensor).id,
            page_size=5000,
        )["data"]
        counts = [row["count"] for row in rows if row["sensor"] == sensor]
        assert len(counts) == 24 and set(counts) == {sensors.FAILED}


# -- live hours --------------------------------------------------------------------------------


def test_hours_not_yet_ended_are_never_served(client: httpx.Client):
    rows = _get(client, since="2025-06-30T10:00:00Z", until="2031-01-01T00:00:00Z")["data"]
    assert sorted({_hour_utc(row).hour for row in rows}) == [11, 12, 13, 14]
    assert _get(client, since=NOW.isoformat())["total"] == 0


def test_advancing_the_clock_serves_exactly_the_new_hours():
    with (
        SensorService(seed=SEED, now=NOW) as service,
        httpx.Client(base_url=service.url) as client,
    ):
        before = _all_rows(client, since="2025-06-30T06:00:00Z")
        last_seen = max(before, key=_hour_utc)["hour"]
        service.now += timedelta(hours=3)
        new = _all_rows(client, since=last_seen)
        service.now = datetime(2025, 6, 30, 19, tzinfo=UTC)  # exactly on a boundary
        latest = _get(client, since=last_seen, page_size=5000)["data"]
    assert last_seen == "2025-06-30T16:00:00+02:00"  # BCN-01-S01 is first: 14:00 UTC
    assert len(new) == 3 * SENSORS
    expected = [datetime(2025, 6, 30, hour, tzinfo=UTC) for hour in (15, 16, 17)]
    assert sorted({_hour_utc(row) for row in new}) == expected
    assert {row["sensor"] for row in new} == {s for st in sensors.STORES for s in st.sensor_ids}
    assert max(_hour_utc(row) for row in latest) == datetime(2025, 6, 30, 18, tzinfo=UTC)


# -- errors and auth ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "params",
    [
        {"page_size": 0},
        {"page_size": 5001},
        {"page": 0},
        {"since": "yesterday"},
        {"since": "2025-06-30T10:00:00"},  # no offset
    ],
)
def test_bad_parameters_are_422(client: httpx.Client, params: dict):
    assert client.get("/v1/counts", params=params).status_code == 422


def test_an_unknown_store_is_404_with_a_detail(client: httpx.Client):
    response = client.get("/v1/counts", params={"store": "PAR-01"})
    assert response.status_code == 404
    assert "PAR-01" in response.json()["detail"]


def test_stores_lists_the_five_stores_and_their_sensors(client: httpx.Client):
    stores = {store["id"]: store for store in _get(client, "/v1/stores")["data"]}
    assert set(stores) == {store.id for store in sensors.STORES}
    assert stores["MUC-01"]["city"] == "München"
    assert stores["MUC-01"]["timezone"] == "Europe/Berlin"
    assert stores["OPO-01"]["sensors"] == ["OPO-01-S01"]
    assert len(stores["MIL-01"]["sensors"]) == 20


def test_a_token_is_required_on_every_endpoint_when_set():
    with SensorService(seed=SEED, now=NOW, token=TOKEN) as service:
        for path in ("/v1/counts", "/v1/stores"):
            url = service.url + path
            assert httpx.get(url).status_code == 401
            assert httpx.get(url, headers={"Authorization": "Bearer wrong"}).status_code == 401
            assert httpx.get(url, headers={"Authorization": TOKEN}).status_code == 401
            good = httpx.get(url, headers={"Authorization": f"Bearer {TOKEN}"})
            assert good.status_code == 200
        assert httpx.get(service.url + "/openapi.json").status_code in (401, 404)


def test_after_stop_new_connections_are_refused():
    service = SensorService(seed=SEED, now=NOW).start()
    url = service.url
    assert httpx.get(url + "/v1/stores").status_code == 200
    service.stop()
    with pytest.raises(httpx.ConnectError):
        httpx.get(url + "/v1/stores")
