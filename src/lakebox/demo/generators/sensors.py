"""Demo exports of a retail chain's door sensors: hourly visitor counts, defects included.

Five stores in five European cities, with 1 to 20 sensors each, send one file per store and ISO
week. Four send flat CSV (`store_id,city,sensor,ts,count`); München's system sends NDJSON with
the store as a nested object (`{"store": {"id": …, "city": …}, "sensor": …, "ts": …, "count": …}`),
which the formatter flattens to `store.id` / `store.city` and the source renames to `store_id` /
`city`. Timestamps are the store's wall-clock hour with its UTC offset, `2025-05-05T10:00:00+02:00`.

Counts follow a daily shape within shop hours (09:00-21:00, Monday to Saturday) and are 0 outside
them and on Sundays. Planted: -1 for a failed reading (rarely, at any hour, and for every hour of
a few sensor-days) and anomalous store-days whose whole traffic is multiplied by a factor.

Every reading is a pure function of (seed, sensor, UTC hour): `readings_between` gives the same
count for an hour whatever range is asked, so the weekly files and the demo's HTTP API
(`lakebox.demo.api`) agree. The planted defects are placed within the file calendar
(`dates(days, end)`); hours beyond it carry the normal shape and the random failures only.
"""

from __future__ import annotations

import csv
import json
import math
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from itertools import groupby
from pathlib import Path
from zoneinfo import ZoneInfo

CSV_HEADER = ("store_id", "city", "sensor", "ts", "count")
DEFAULT_END = date(2025, 6, 29)
OPENING_HOUR = 9
CLOSING_HOUR = 21
FAILED = -1
# Share of the peak hour's visitors in each opening hour, 09:00 to 20:00: lunch and after-work.
_HOUR_SHAPE = (0.45, 0.65, 0.80, 0.95, 1.00, 0.85, 0.75, 0.85, 1.00, 0.95, 0.70, 0.40)
_WEEKDAY_SHAPE = (0.80, 0.85, 0.90, 0.95, 1.10, 1.45, 0.0)
_FAILURE_RATE = 0.003
_ANOMALY_FACTORS = (0.3, 2.5, 1.8)
_FAILED_SENSOR_DAYS = 2
_HISTORY_DAYS = 28


@dataclass(frozen=True)
class Store:
    """A store: its id, city, timezone, number of door sensors and how it exports."""

    id: str
    city: str
    timezone: str
    sensors: int
    peak_visitors: float
    file_format: str

    @property
    def sensor_ids(self) -> list[str]:
        """Return the ids of the store's sensors, `BCN-01-S01` onwards."""
        return [f"{self.id}-S{number:02d}" for number in range(1, self.sensors + 1)]


STORES: tuple[Store, ...] = (
    Store("BCN-01", "Barcelona", "Europe/Madrid", 12, 34.0, "csv"),
    Store("LYS-01", "Lyon", "Europe/Paris", 4, 48.0, "csv"),
    Store("MIL-01", "Milano", "Europe/Rome", 20, 21.0, "csv"),
    Store("OPO-01", "Porto", "Europe/Lisbon", 1, 95.0, "csv"),
    Store("MUC-01", "München", "Europe/Berlin", 7, 40.0, "ndjson"),
)


@dataclass(frozen=True)
class Reading:
    """One sensor's count for one hour; -1 when the reading failed."""

    sensor: str
    ts: datetime
    count: int


@dataclass(frozen=True)
class _Sensor:
    """A door sensor with what its readings need: its store, share of traffic and timezone."""

    id: str
    store: Store
    weight: float
    zone: ZoneInfo


@dataclass(frozen=True)
class _Plan:
    """The defects planted over one file calendar."""

    anomalies: dict[tuple[str, date], float]
    failures: frozenset[tuple[str, date]]


def write_door_sensors(
    folder: Path, seed: int = 7, days: int = 56, end: date | None = None
) -> list[Path]:
    """Return the paths of the weekly per-store door-count exports written into `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    return [
        _write_week(folder, store, week, list(readings))
        for store in STORES
        for week, readings in groupby(_store_readings(seed, store, days, end), key=_iso_week)
    ]


def readings_between(
    seed: int,
    start_utc: datetime,
    end_utc: datetime,
    stores: Sequence[Store] = STORES,
    days: int = 56,
    end: date | None = None,
) -> Iterator[tuple[Store, Reading]]:
    """Yield (store, reading) for each hour `start_utc <= h < end_utc`, by hour then sensor.

    Each reading is a pure function of (seed, sensor, UTC hour), so any two ranges that share an
    hour agree on it. The planted anomalies and whole failed sensor-days are those of the file
    calendar `dates(days, end)`; hours outside it have the normal shape and random failures only.
    Both bounds must be timezone-aware (else ValueError); `h` runs over whole UTC hours, so a
    `start_utc` inside an hour begins with the next one.
    """
    plan = _plan(seed, days, end)
    sensors = _sensors_in_order(seed, stores)
    for hour in _utc_hours(start_utc, end_utc):
        stamp = f"{hour:%Y%m%d%H}"
        for sensor in sensors:
            yield sensor.store, _reading(seed, plan, sensor, hour, stamp)


def sensor_weights(seed: int, store: Store) -> tuple[float, ...]:
    """Return each sensor's share of a store's traffic, in sensor order, fixed by the seed."""
    rng = random.Random(f"door-weights:{seed}:{store.id}")
    return tuple(rng.uniform(0.5, 1.5) for _ in range(store.sensors))


def anomalous_days(
    seed: int = 7, days: int = 56, end: date | None = None
) -> list[tuple[str, date, float]]:
    """Return (store id, local date, factor) for each store-day whose traffic is multiplied."""
    rng = random.Random(f"door-anomalies:{seed}:{days}:{end or DEFAULT_END}")
    candidates = _open_days(dates(days, end))
    late = candidates[_HISTORY_DAYS * 6 // 7 :] or candidates
    stores = rng.sample(STORES, len(_ANOMALY_FACTORS))
    pairs = zip(stores, _ANOMALY_FACTORS, strict=True)
    return [(store.id, rng.choice(late), factor) for store, factor in pairs]


def failed_sensor_days(
    seed: int = 7, days: int = 56, end: date | None = None
) -> list[tuple[str, date]]:
    """Return (sensor id, local date) for each sensor that reports -1 for a whole day."""
    rng = random.Random(f"door-failures:{seed}:{days}:{end or DEFAULT_END}")
    anomalous = {(store, day) for store, day, _ in anomalous_days(seed, days, end)}
    stores = rng.sample([store for store in STORES if store.sensors > 1], _FAILED_SENSOR_DAYS)
    open_days = _open_days(dates(days, end))
    return [
        (rng.choice(store.sensor_ids), rng.choice(_days_without(store, open_days, anomalous)))
        for store in stores
    ]


def dates(days: int = 56, end: date | None = None) -> list[date]:
    """Return the `days` local dates ending on `end` (by default the fixed `DEFAULT_END`)."""
    last = end or DEFAULT_END
    return [last - timedelta(days=offset) for offset in range(days - 1, -1, -1)]


def shop_open(local: datetime) -> bool:
    """Return whether a store is open at store-local time `local`."""
    return local.weekday() < 6 and OPENING_HOUR <= local.hour < CLOSING_HOUR


def store_of(sensor: str) -> Store:
    """Return the store a sensor id belongs to."""
    return next(store for store in STORES if sensor.startswith(f"{store.id}-"))


def _open_days(calendar: Sequence[date]) -> list[date]:
    return [day for day in calendar if day.weekday() < 6]


def _days_without(
    store: Store, candidates: Sequence[date], taken: set[tuple[str, date]]
) -> list[date]:
    return [day for day in candidates if (store.id, day) not in taken] or list(candidates)


def _plan(seed: int, days: int, end: date | None) -> _Plan:
    return _Plan(
        {(store, day): factor for store, day, factor in anomalous_days(seed, days, end)},
        frozenset(failed_sensor_days(seed, days, end)),
    )


def _store_readings(
    seed: int, store: Store, days: int, end: date | None
) -> Iterator[tuple[Store, Reading]]:
    """Yield a store's readings for every local hour of the file calendar."""
    calendar = dates(days, end)
    zone = ZoneInfo(store.timezone)
    first = datetime.combine(calendar[0], time(), zone)
    after = datetime.combine(calendar[-1] + timedelta(days=1), time(), zone)
    return readings_between(seed, first, after, (store,), days, end)


def _sensors_in_order(seed: int, stores: Sequence[Store]) -> list[_Sensor]:
    """Return every sensor of `stores`, ordered by sensor id."""
    sensors = [
        _Sensor(sensor, store, weight, ZoneInfo(store.timezone))
        for store in stores
        for sensor, weight in zip(store.sensor_ids, sensor_weights(seed, store), strict=True)
    ]
    return sorted(sensors, key=lambda sensor: sensor.id)


def _utc_hours(start: datetime, stop: datetime) -> Iterator[datetime]:
    """Yield each whole UTC hour `h` with `start <= h < stop`, stepping in UTC so DST is moot."""
    hour, stop = _ceil_hour(_as_utc(start)), _as_utc(stop)
    while hour < stop:
        yield hour
        hour += timedelta(hours=1)


def _as_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{moment.isoformat()} has no UTC offset; pass an aware datetime")
    return moment.astimezone(UTC)


def _ceil_hour(moment: datetime) -> datetime:
    floor = moment.replace(minute=0, second=0, microsecond=0)
    return floor if floor == moment else floor + timedelta(hours=1)


def _reading(seed: int, plan: _Plan, sensor: _Sensor, hour: datetime, stamp: str) -> Reading:
    """Return a sensor's reading for UTC hour `hour` (`stamp`: `%Y%m%d%H`) from its own RNG."""
    local = hour.astimezone(sensor.zone)
    day = local.date()
    rng = random.Random(f"door-count:{seed}:{sensor.id}:{stamp}")
    failed = rng.random() < _FAILURE_RATE or (sensor.id, day) in plan.failures
    level = _day_level(seed, sensor.store, day) * plan.anomalies.get((sensor.store.id, day), 1.0)
    count = _count(rng, level * sensor.weight * _shape(local))
    return Reading(sensor.id, local, FAILED if failed else count)


@lru_cache(maxsize=4096)
def _day_level(seed: int, store: Store, day: date) -> float:
    """Return a store's peak-hour visitors for one local day: busier or quieter at random."""
    rng = random.Random(f"door-level:{seed}:{store.id}:{day.isoformat()}")
    return store.peak_visitors * rng.gauss(1, 0.05)


def _shape(local: datetime) -> float:
    if not shop_open(local):
        return 0.0
    return _WEEKDAY_SHAPE[local.weekday()] * _HOUR_SHAPE[local.hour - OPENING_HOUR]


def _count(rng: random.Random, mean: float) -> int:
    if mean <= 0:
        return 0
    return max(0, round(rng.gauss(mean, math.sqrt(mean))))


def _iso_week(item: tuple[Store, Reading]) -> tuple[int, int]:
    year, week, _ = item[1].ts.isocalendar()
    return year, week


def _write_week(
    folder: Path, store: Store, week: tuple[int, int], readings: Sequence[tuple[Store, Reading]]
) -> Path:
    path = folder / f"{store.id}_{week[0]}-W{week[1]:02d}.{store.file_format}"
    if store.file_format == "ndjson":
        lines = (json.dumps(_nested(store, reading), ensure_ascii=False) for _, reading in readings)
        path.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
        return path
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(CSV_HEADER)
        writer.writerows(_flat(store, reading) for _, reading in readings)
    return path


def _flat(store: Store, reading: Reading) -> tuple[str, str, str, str, int]:
    return (store.id, store.city, reading.sensor, reading.ts.isoformat(), reading.count)


def _nested(store: Store, reading: Reading) -> dict[str, object]:
    return {
        "store": {"id": store.id, "city": store.city},
        "sensor": reading.sensor,
        "ts": reading.ts.isoformat(),
        "count": reading.count,
    }
