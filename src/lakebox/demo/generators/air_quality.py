"""Demo readings of an indoor air-quality fleet: 50 devices, one reading per device per step.

Two sites in Barcelona (Europe/Madrid): an office building, `BCN-HQ` (lobby, canteen and its
kitchen, and on each of three floors five open-plan areas, three meeting rooms and a phone
booth: aq-01..aq-30), and a block of five flats, `BCN-FLATS` (kitchen, living room, bedroom and
study each: aq-31..aq-50). A reading holds `device_id`, `site`, `room`, the event time `ts`
(ISO 8601 UTC) and pm25 (µg/m³), co2 (ppm), voc (ppb), temperature (°C) and humidity (%).

Daily shapes follow each room's occupancy in local time: CO2, VOC and warmth rise with the
people in a room (office hours on weekdays, meetings booked by the hour, evenings and nights in
the flats); PM2.5 follows the outdoor morning traffic; humidity falls as a room warms. Every
value also drifts slowly and carries a little sensor noise.

Planted, and listed by `incidents`:
- **cooking**: a kitchen's PM2.5 climbs to 45-180 µg/m³ while a meal is cooked (the canteen's
  kitchen every weekday before lunch; a flat's kitchen at dinner most days and at lunch some
  days), then clears within minutes. An incident ends when the smoke has cleared (under
  2 µg/m³ above the room's usual level); PM2.5 is above 35 for most of it.
- **off_gassing**: new furniture in one meeting room: for five hours the room warms by up to
  5 °C and its VOC rises with the temperature (exponentially, up to ~6×).
- **stuck**: one open-plan sensor's PM2.5 repeats exactly the same value for eight hours (its
  other readings carry on).

The one-off incidents (off_gassing, stuck) are placed relative to the calendar's `end`
(by default `DEFAULT_END`, where the demo's clock stands after its build): the off-gassing
10 to 5 hours before it, the stuck sensor from 5 hours before it to 3 hours after. Cooking
recurs on every day.

Every value is a pure function of (seed, device, second, end): readings come from hashes of
those, not from a random sequence, so any range at any step gives the same value for a
reading, the one-second live feed and the demo's backlog agree, and `readings` is vectorised.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

import numpy as np
import pyarrow as pa

ZONE = ZoneInfo("Europe/Madrid")
DEFAULT_END = datetime(2025, 6, 30, 18, 0, tzinfo=UTC)
FIELDS: dict[str, str] = {
    "device_id": "VARCHAR",
    "site": "VARCHAR",
    "room": "VARCHAR",
    "ts": "TIMESTAMPTZ",
    "pm25": "DOUBLE",
    "co2": "DOUBLE",
    "voc": "DOUBLE",
    "temperature": "DOUBLE",
    "humidity": "DOUBLE",
}
MEASURES = ("pm25", "co2", "voc", "temperature", "humidity")
COOKING, OFF_GASSING, STUCK = "cooking", "off_gassing", "stuck"
_OFF_GASSING = (timedelta(hours=-10), timedelta(hours=-5))
_STUCK = (timedelta(hours=-5), timedelta(hours=3))
_OFF_GASSING_WARMING = 5.0
_VOC_PER_DEGREE = 0.35
_SMOKE_RISE_SECONDS = 90.0
_SMOKE_CLEAR_SECONDS = 180.0
_SMOKE_CLEARED = 2.0
_DAY = 86_400
_HOUR = 3_600


@dataclass(frozen=True)
class Device:
    """An air-quality device: its id, site, room and the kind of room it is in."""

    id: str
    site: str
    room: str
    kind: str


@dataclass(frozen=True)
class Incident:
    """A planted incident: `kind` (cooking, off_gassing, stuck) on `device` in [start, end)."""

    device: str
    kind: str
    start: datetime
    end: datetime


@dataclass(frozen=True)
class _Smoke:
    """One cooked meal's smoke on a kitchen device: seconds since the epoch, peak µg/m³."""

    device: int
    start: int
    stop: int
    peak: float

    @property
    def cleared(self) -> int:
        """Return when the smoke has cleared: under `_SMOKE_CLEARED` above the usual level."""
        return self.stop + int(_SMOKE_CLEAR_SECONDS * np.log(self.peak / _SMOKE_CLEARED)) + 1


def _devices() -> tuple[Device, ...]:
    rooms = [("Lobby", "lobby"), ("Canteen kitchen", "canteen_kitchen"), ("Canteen", "canteen")]
    for floor in (1, 2, 3):
        rooms += [(f"F{floor} open plan {area}", "open_plan") for area in "ABCDE"]
        rooms += [(f"F{floor} meeting room {floor}0{number}", "meeting") for number in (1, 2, 3)]
        rooms += [(f"F{floor} phone booth", "booth")]
    office = [("BCN-HQ", room, kind) for room, kind in rooms]
    flats = [
        ("BCN-FLATS", f"Flat {flat} {room}", kind)
        for flat in ("1A", "1B", "2A", "2B", "3A")
        for room, kind in (
            ("kitchen", "kitchen"),
            ("living room", "living"),
            ("bedroom", "bedroom"),
            ("study", "study"),
        )
    ]
    return tuple(
        Device(f"aq-{number:02d}", site, room, kind)
        for number, (site, room, kind) in enumerate(office + flats, start=1)
    )


DEVICES: tuple[Device, ...] = _devices()
_BY_ID = {item.id: item for item in DEVICES}


def device(device_id: str) -> Device:
    """Return the device with id `device_id` (KeyError for an unknown one)."""
    return _BY_ID[device_id]


# -- the planted incidents ---------------------------------------------------------------------


def off_gassing_device(seed: int = 7) -> Device:
    """Return the meeting room whose new furniture off-gasses, fixed by the seed."""
    rooms = [item for item in DEVICES if item.kind == "meeting"]
    return random.Random(f"aq-off-gassing:{seed}").choice(rooms)


def stuck_device(seed: int = 7) -> Device:
    """Return the open-plan device whose PM2.5 sensor gets stuck, fixed by the seed."""
    areas = [item for item in DEVICES if item.kind == "open_plan"]
    return random.Random(f"aq-stuck:{seed}").choice(areas)


def incidents(
    seed: int, start: datetime, stop: datetime, end: datetime = DEFAULT_END
) -> list[Incident]:
    """Return the planted incidents that overlap [start, stop), by start then device."""
    cooking = [
        Incident(DEVICES[smoke.device].id, COOKING, _moment(smoke.start), _moment(smoke.cleared))
        for smoke in _meals(seed, _seconds(start), _seconds(stop))
    ]
    found = [
        item for item in _one_off(seed, end) + cooking if item.start < stop and item.end > start
    ]
    return sorted(found, key=lambda item: (item.start, item.device))


def _one_off(seed: int, end: datetime) -> list[Incident]:
    """Return the off-gassing episode and the stuck sensor placed around `end`."""
    off_gassing, stuck = off_gassing_device(seed).id, stuck_device(seed).id
    return [
        Incident(off_gassing, OFF_GASSING, end + _OFF_GASSING[0], end + _OFF_GASSING[1]),
        Incident(stuck, STUCK, end + _STUCK[0], end + _STUCK[1]),
    ]


def _meals(seed: int, first: int, last: int) -> list[_Smoke]:
    """Return the meals whose smoke overlaps seconds [first, last)."""
    day = _local_date(first - _DAY)
    meals: list[_Smoke] = []
    while _midnight(day) < last:
        meals += [meal for index in _kitchens() for meal in _meals_of(seed, index, day)]
        day += timedelta(days=1)
    return [meal for meal in meals if meal.start < last and meal.cleared > first]


def _kitchens() -> list[int]:
    return [index for index, item in enumerate(DEVICES) if "kitchen" in item.kind]


class _Slot(NamedTuple):
    """When a meal may be cooked: from `hour` (local) to `spread` hours later, lasting
    `minutes` (shortest, longest), its smoke peaking at `peak` µg/m³ (lowest, highest)."""

    hour: float
    spread: float
    minutes: tuple[int, int]
    peak: tuple[float, float]


_CANTEEN_LUNCH = _Slot(11.25, 0.5, (60, 90), (45, 70))  # an extractor hood: lower peaks
_LUNCH = _Slot(13.25, 0.75, (25, 45), (60, 180))
_DINNER = _Slot(20.25, 1.0, (30, 50), (60, 180))


def _meals_of(seed: int, index: int, day: date) -> list[_Smoke]:
    """Return the meals cooked in kitchen `index` on local `day`: the canteen's lunch every
    weekday; in a flat, lunch on some days (most weekends) and dinner on most."""
    rng = random.Random(f"aq-meals:{seed}:{DEVICES[index].id}:{day.isoformat()}")
    weekend = day.weekday() >= 5
    if DEVICES[index].kind == "canteen_kitchen":
        slots = [] if weekend else [_CANTEEN_LUNCH]
    else:
        lunch = rng.random() < (0.7 if weekend else 0.3)
        dinner = rng.random() < 0.8
        slots = [slot for slot, cooked in ((_LUNCH, lunch), (_DINNER, dinner)) if cooked]
    return [_meal(rng, index, day, slot) for slot in slots]


def _meal(rng: random.Random, index: int, day: date, slot: _Slot) -> _Smoke:
    start = _midnight(day) + int((slot.hour + rng.uniform(0, slot.spread)) * _HOUR)
    minutes = rng.randint(*slot.minutes)
    return _Smoke(index, start, start + minutes * 60, round(rng.uniform(*slot.peak), 1))


# -- readings ----------------------------------------------------------------------------------


def readings(
    seed: int,
    start: datetime,
    stop: datetime,
    step: timedelta = timedelta(seconds=1),
    end: datetime = DEFAULT_END,
    devices: Sequence[Device] = DEVICES,
) -> pa.Table:
    """Return every device's reading at each `ts` in [start, stop) that is a whole multiple of
    `step` since the epoch, ordered by ts then device, as a table of `FIELDS` (ts in UTC).

    Both bounds must be timezone-aware (else ValueError); `step` is whole seconds."""
    seconds = _grid(_seconds(start), _seconds(stop), _step_seconds(step))
    indices = np.array([DEVICES.index(item) for item in devices], dtype=np.int64)
    cells = _Cells.of(seed, np.repeat(seconds, len(indices)), np.tile(indices, len(seconds)))
    values = _measures(cells, _seconds(end))
    return pa.table(
        {
            "device_id": [DEVICES[i].id for i in cells.device.tolist()],
            "site": [DEVICES[i].site for i in cells.device.tolist()],
            "room": [DEVICES[i].room for i in cells.device.tolist()],
            "ts": pa.array(cells.seconds * 1_000_000, pa.timestamp("us", tz="UTC")),
            **{name: pa.array(values[name], pa.float64()) for name in MEASURES},
        }
    )


def ndjson_lines(table: pa.Table) -> list[bytes]:
    """Return one JSON object per reading of `table` (from `readings`), `ts` as ISO 8601 UTC
    (`2025-06-30T12:00:15Z`)."""
    seconds = table["ts"].cast(pa.int64()).to_numpy() // 1_000_000
    known, positions = np.unique(seconds, return_inverse=True)
    stamps = [f"{_moment(second):%Y-%m-%dT%H:%M:%SZ}" for second in known.tolist()]
    heads = {
        item.id: f'{{"device_id":"{item.id}","site":"{item.site}","room":"{item.room}","ts":"'
        for item in DEVICES
    }
    values = [table[name].to_numpy().tolist() for name in MEASURES]
    return [
        (
            f'{heads[device_id]}{stamps[position]}","pm25":{pm25},"co2":{co2},"voc":{voc},'
            f'"temperature":{temperature},"humidity":{humidity}}}'
        ).encode()
        for device_id, position, pm25, co2, voc, temperature, humidity in zip(
            table["device_id"].to_pylist(), positions.tolist(), *values, strict=True
        )
    ]


def _step_seconds(step: timedelta) -> int:
    seconds = step.total_seconds()
    if seconds < 1 or seconds != int(seconds):
        raise ValueError(f"step {step} must be a whole number of seconds, at least one")
    return int(seconds)


def _grid(first: int, last: int, step: int) -> np.ndarray:
    """Return the multiples of `step` in [first, last)."""
    return np.arange(-(-first // step) * step, last, step, dtype=np.int64)


@dataclass(frozen=True)
class _Cells:
    """Readings to compute, one per (device, second), with their local calendar."""

    seed: int
    seconds: np.ndarray
    device: np.ndarray
    hour: np.ndarray  # local hour of day, fractional
    day: np.ndarray  # local days since 1970-01-01
    weekend: np.ndarray

    @classmethod
    def of(cls, seed: int, seconds: np.ndarray, device: np.ndarray) -> _Cells:
        """Return the cells of devices `device` at `seconds` since the epoch."""
        local = seconds + _utc_offsets(seconds)
        day = local // _DAY
        weekend = (day + 3) % 7 >= 5  # 1970-01-01 was a Thursday
        return cls(seed, seconds, device, (local % _DAY) / _HOUR, day, weekend)

    def where(self, mask: np.ndarray) -> _Cells:
        """Return the cells under `mask`."""
        return _Cells(
            self.seed,
            self.seconds[mask],
            self.device[mask],
            self.hour[mask],
            self.day[mask],
            self.weekend[mask],
        )

    def noise(self, salt: int, spacing: int) -> np.ndarray:
        """Return a smooth standard noise per cell, drifting between knots `spacing` s apart."""
        knot, into = np.divmod(self.seconds, spacing)
        before = _gauss(self.seed, salt, self.device, knot)
        after = _gauss(self.seed, salt, self.device, knot + 1)
        weight = into / spacing
        weight = weight * weight * (3 - 2 * weight)
        return before + (after - before) * weight

    def jitter(self, salt: int) -> np.ndarray:
        """Return a standard noise per cell, independent from one second to the next."""
        return _gauss(self.seed, salt, self.device, self.seconds)

    def hourly(self, salt: int) -> np.ndarray:
        """Return a uniform draw per cell, one per device and local hour."""
        return _uniform(self.seed, salt, self.device, self.day * 24 + self.hour.astype(np.int64))

    def daily(self, salt: int) -> np.ndarray:
        """Return a uniform draw per cell, one per device and local day."""
        return _uniform(self.seed, salt, self.device, self.day)


def _utc_offsets(seconds: np.ndarray) -> np.ndarray:
    """Return the zone's UTC offset in seconds at each of `seconds` (whole hours looked up)."""
    hours = seconds // _HOUR
    known, positions = np.unique(hours, return_inverse=True)
    offsets = [_moment(int(hour) * _HOUR).astimezone(ZONE).utcoffset() for hour in known.tolist()]
    table = np.array([int(offset.total_seconds()) for offset in offsets if offset is not None])
    return table[positions.reshape(-1)] if len(table) else np.zeros(0, dtype=np.int64)


# -- measures ----------------------------------------------------------------------------------


def _measures(cells: _Cells, end: int) -> dict[str, np.ndarray]:
    """Return each measure per cell, rounded as a device reports it."""
    occupancy = _occupancy(cells)
    warming = _off_gassing_warming(cells, end)
    temperature = _temperature(cells, occupancy) + warming
    return {
        "pm25": np.round(_pm25(cells, occupancy, end), 1),
        "co2": np.round(_co2(cells, occupancy)),
        "voc": np.round(_voc(cells, occupancy) * np.exp(_VOC_PER_DEGREE * warming)),
        "temperature": np.round(temperature, 2),
        "humidity": np.round(_humidity(cells, occupancy, temperature), 1),
    }


_OFFICE = np.array([item.site == "BCN-HQ" for item in DEVICES])
_CAPACITY_PPM = {
    "lobby": 250,
    "canteen_kitchen": 300,
    "canteen": 500,
    "open_plan": 550,
    "meeting": 900,
    "booth": 600,
    "kitchen": 350,
    "living": 450,
    "bedroom": 700,
    "study": 500,
}


def _per_device(values: dict[str, float]) -> np.ndarray:
    return np.array([values[item.kind] for item in DEVICES])


def _co2(cells: _Cells, occupancy: np.ndarray) -> np.ndarray:
    outdoor = np.where(_OFFICE[cells.device], 420.0, 450.0)
    capacity = _per_device(_CAPACITY_PPM)[cells.device]
    drift = 10 * np.clip(cells.noise(1, 1_800), -2, 3)
    return outdoor + capacity * occupancy + drift + 4 * cells.jitter(2)


def _temperature(cells: _Cells, occupancy: np.ndarray) -> np.ndarray:
    office = _OFFICE[cells.device]
    base = np.where(office, 22.0, 23.5)
    outdoor = np.where(office, 0.6, 1.5) * np.cos(2 * np.pi * (cells.hour - 16) / 24)
    drift = 0.3 * cells.noise(3, 1_800)
    return base + 1.2 * occupancy + outdoor + drift + 0.03 * cells.jitter(4)


def _humidity(cells: _Cells, occupancy: np.ndarray, temperature: np.ndarray) -> np.ndarray:
    base = np.where(_OFFICE[cells.device], 48.0, 55.0)
    warmer = temperature - np.where(_OFFICE[cells.device], 22.0, 23.5)
    breath = 3 * occupancy
    drift = 2 * cells.noise(5, _HOUR)
    humidity = base - 1.8 * warmer + breath + drift + 0.2 * cells.jitter(6)
    return np.clip(humidity, 20.0, 90.0)


def _voc(cells: _Cells, occupancy: np.ndarray) -> np.ndarray:
    return (90 + 180 * occupancy) * np.exp(0.15 * cells.noise(7, 2_700)) + 3 * cells.jitter(8)


def _pm25(cells: _Cells, occupancy: np.ndarray, end: int) -> np.ndarray:
    """Return PM2.5 per cell: indoor level, morning traffic, people, smoke; the stuck sensor."""
    pm25 = _pm25_unstuck(cells, occupancy)
    stuck = stuck_device(cells.seed)
    index = DEVICES.index(stuck)
    first, last = end + int(_STUCK[0].total_seconds()), end + int(_STUCK[1].total_seconds())
    mask = (cells.device == index) & (cells.seconds >= first) & (cells.seconds < last)
    if mask.any():
        at = _Cells.of(cells.seed, np.array([first]), np.array([index]))
        pm25[mask] = _pm25_unstuck(at, _occupancy(at))[0]
    return pm25


def _pm25_unstuck(cells: _Cells, occupancy: np.ndarray) -> np.ndarray:
    base = np.where(_OFFICE[cells.device], 5.0, 9.0)
    traffic = 3 * _trapezoid(cells.hour, 7, 10, 1)
    drift = np.exp(0.2 * np.clip(cells.noise(9, 1_200), -3, 3))  # at most ×1.8: never 35
    level = (base + traffic + 2 * occupancy) * drift
    return level + _smoke(cells) + 0.15 * cells.jitter(10)


def _smoke(cells: _Cells) -> np.ndarray:
    """Return each cell's PM2.5 from cooking: a quick rise to the meal's peak, held with a
    little flicker while it cooks, then cleared exponentially."""
    smoke = np.zeros(len(cells.seconds))
    if not len(cells.seconds):
        return smoke
    first, last = int(cells.seconds.min()), int(cells.seconds.max()) + 1
    for meal in _meals(cells.seed, first, last):
        mask = (cells.device == meal.device) & (cells.seconds >= meal.start)
        mask &= cells.seconds < meal.cleared
        into = (cells.seconds[mask] - meal.start).astype(np.float64)
        held = np.minimum(into, meal.stop - meal.start)
        risen = meal.peak * (1 - np.exp(-held / _SMOKE_RISE_SECONDS))
        clearing = np.exp(-np.maximum(into - (meal.stop - meal.start), 0) / _SMOKE_CLEAR_SECONDS)
        smoke[mask] = risen * clearing * (1 + 0.05 * cells.where(mask).noise(11, 60))
    return smoke


def _off_gassing_warming(cells: _Cells, end: int) -> np.ndarray:
    """Return the off-gassing room's extra warmth per cell: a 5-hour hump up to 5 °C."""
    index = DEVICES.index(off_gassing_device(cells.seed))
    first = end + int(_OFF_GASSING[0].total_seconds())
    last = end + int(_OFF_GASSING[1].total_seconds())
    into = np.clip((cells.seconds - first) / (last - first), 0, 1)
    hump = _OFF_GASSING_WARMING * np.sin(np.pi * into) ** 2
    return np.where(cells.device == index, hump, 0.0)


# -- occupancy ---------------------------------------------------------------------------------


def _occupancy(cells: _Cells) -> np.ndarray:
    """Return how full each cell's room is, 0 (empty) to about 1.3 (a crowded meeting)."""
    kinds = np.array([item.kind for item in DEVICES])[cells.device]
    occupancy = np.zeros(len(cells.seconds))
    for kind, profile in _PROFILES.items():
        mask = kinds == kind
        if mask.any():
            occupancy[mask] = profile(cells.where(mask))
    return occupancy


def _trapezoid(hour: np.ndarray, start: float, stop: float, ramp: float) -> np.ndarray:
    """Return 1 within [start, stop] of the day, ramping linearly over `ramp` hours each side."""
    return np.clip((hour - start) / ramp, 0, 1) * np.clip((stop - hour) / ramp, 0, 1)


def _open_plan(cells: _Cells) -> np.ndarray:
    day = _trapezoid(cells.hour, 8.25, 18.5, 0.75) - 0.5 * _trapezoid(cells.hour, 12.75, 14.25, 0.5)
    return ~cells.weekend * day * (0.6 + 0.4 * cells.daily(20))


def _booked(cells: _Cells, chance: float, fullness: float) -> np.ndarray:
    """Return the occupancy of a room booked by the hour on weekdays, 09:00 to 18:00."""
    booked = (cells.hourly(21) < chance) & (cells.hour >= 9) & (cells.hour < 18) & ~cells.weekend
    within = _trapezoid(cells.hour % 1, 0.05, 0.95, 0.08)
    return booked * within * fullness


def _lobby(cells: _Cells) -> np.ndarray:
    rushes = (
        0.5 * _trapezoid(cells.hour, 8, 9.75, 0.4)
        + 0.4 * _trapezoid(cells.hour, 13, 14.5, 0.4)
        + 0.5 * _trapezoid(cells.hour, 17.25, 19, 0.4)
    )
    return ~cells.weekend * (rushes + 0.1 * _trapezoid(cells.hour, 7, 20, 0.5))


def _flat_kitchen(cells: _Cells) -> np.ndarray:
    breakfast = 0.3 * _trapezoid(cells.hour, 7, 8.5, 0.25)
    lunch = _trapezoid(cells.hour, 13, 15, 0.3) * np.where(cells.weekend, 0.4, 0.15)
    return breakfast + lunch + 0.5 * _trapezoid(cells.hour, 20, 22, 0.3)


def _living(cells: _Cells) -> np.ndarray:
    starts = np.where(cells.weekend, 10.0, 18.5)
    return 0.8 * np.clip((cells.hour - starts) / 0.5, 0, 1) * _trapezoid(cells.hour, 0, 23.5, 0.5)


def _bedroom(cells: _Cells) -> np.ndarray:
    from_noon = (cells.hour + 12) % 24  # the night in one piece: 23:30 is 11.5, 07:00 is 19
    wakes = np.where(cells.weekend, 20.0, 19.0)
    return 0.9 * np.clip((from_noon - 11.5) / 0.3, 0, 1) * np.clip((wakes - from_noon) / 0.3, 0, 1)


def _study(cells: _Cells) -> np.ndarray:
    home = (cells.daily(22) < 0.5) & ~cells.weekend
    day = _trapezoid(cells.hour, 9, 18, 0.4) - 0.5 * _trapezoid(cells.hour, 13.5, 14.5, 0.3)
    return home * day * 0.8


_PROFILES: dict[str, Callable[[_Cells], np.ndarray]] = {
    "lobby": _lobby,
    "canteen_kitchen": lambda cells: ~cells.weekend * 0.6 * _trapezoid(cells.hour, 10.5, 15.5, 0.5),
    "canteen": lambda cells: ~cells.weekend * 1.2 * _trapezoid(cells.hour, 12.5, 15, 0.4),
    "open_plan": _open_plan,
    "meeting": lambda cells: _booked(cells, 0.45, 1.3),
    "booth": lambda cells: _booked(cells, 0.35, 0.5),
    "kitchen": _flat_kitchen,
    "living": _living,
    "bedroom": _bedroom,
    "study": _study,
}


# -- hashing and time --------------------------------------------------------------------------

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX_1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX_2 = np.uint64(0x94D049BB133111EB)


def _mix(values: np.ndarray) -> np.ndarray:
    """Return splitmix64's finaliser of each value: a well-spread 64-bit hash."""
    values = values ^ (values >> np.uint64(30))
    values = values * _MIX_1
    values = values ^ (values >> np.uint64(27))
    values = values * _MIX_2
    return values ^ (values >> np.uint64(31))


def _uniform(seed: int, salt: int, device: np.ndarray, key: np.ndarray) -> np.ndarray:
    """Return a uniform draw in [0, 1) per (seed, salt, device, key)."""
    with np.errstate(over="ignore"):
        head = _mix(np.full(1, (seed * 1_000 + salt) & 0xFFFFFFFFFFFFFFFF, dtype=np.uint64))
        hashed = _mix(head ^ (device.astype(np.uint64) * _GOLDEN))
        hashed = _mix(hashed ^ np.asarray(key, dtype=np.int64).astype(np.uint64))
    return (hashed >> np.uint64(11)).astype(np.float64) * 2.0**-53


def _gauss(seed: int, salt: int, device: np.ndarray, key: np.ndarray) -> np.ndarray:
    """Return a standard normal draw per (seed, salt, device, key) (Box-Muller)."""
    first = _uniform(seed, salt, device, key)
    second = _uniform(seed, salt + 500, device, key)
    return np.sqrt(-2 * np.log1p(-first)) * np.cos(2 * np.pi * second)


def _seconds(moment: datetime) -> int:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{moment.isoformat()} has no UTC offset; pass an aware datetime")
    return int(moment.timestamp())


def _moment(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def _local_date(seconds: int) -> date:
    return _moment(seconds).astimezone(ZONE).date()


def _midnight(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=ZONE).timestamp())
