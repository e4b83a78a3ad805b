"""Small generated tables with planted anomalies, written into a real lakehouse."""

from __future__ import annotations

import math
import zlib
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any

import pytest
import yaml

import lakebox
from lakebox.analysis.anomalies import detect
from lakebox.config import AnomalyRuleConfig
from lakebox.lakehouse import Lakehouse

MONDAY = date(2025, 1, 6)
WEEKDAY_LEVEL = (0.8, 0.85, 0.9, 0.95, 1.1, 1.45, 0.0)  # Sunday closed
HOUR_SHAPE = {hour: 0.5 + 0.05 * (hour - 9) for hour in range(9, 21)}


def declare(lh: Lakehouse, **rules: dict[str, Any]) -> None:
    """Make `rules` the project's declared anomaly rules."""
    lh.config.anomalies = {
        name: AnomalyRuleConfig.model_validate(rule) for name, rule in rules.items()
    }


def found(lh: Lakehouse, *names: str, **rules: dict[str, Any]) -> set[tuple[str, str, str]]:
    """Return (entity, ts as text, severity) of every anomaly `detect` finds."""
    if rules:
        declare(lh, **rules)
    report = detect(lh, list(names) or None)
    assert report.ok, [outcome.message for outcome in report.outcomes]
    return {
        (row["entity"], row["ts"].isoformat(sep=" "), row["severity"])
        for row in report.anomalies.to_pylist()
    }


def noise(*key: object) -> float:
    """Return a fixed pseudo-random number in [-1, 1] for `key`."""
    return math.sin(zlib.crc32(repr(key).encode()) % 100_003 * 12.9898)


def store_days(
    stores: dict[str, float], days: int, planted: dict[tuple[str, int], float]
) -> list[dict[str, Any]]:
    """Return daily visitors per store from MONDAY on, ±1% noise, with `planted` factors
    (by store and day number)."""
    return [
        {
            "store_id": store,
            "local_date": MONDAY + timedelta(days=day),
            "visitors": round(
                level
                * WEEKDAY_LEVEL[day % 7]
                * (1 + 0.01 * noise(store, day))
                * planted.get((store, day), 1.0)
            ),
        }
        for store, level in stores.items()
        for day in range(days)
    ]


def sensor_hours(
    sensors: list[str], days: int, planted: dict[tuple[str, int, int], float]
) -> list[dict[str, Any]]:
    """Return hourly visitors per sensor (0 when closed), ±1% noise, with `planted` factors
    (by sensor, day number and hour)."""
    rows = []
    for sensor in sensors:
        for day in range(days):
            for hour in range(24):
                level = 200 * WEEKDAY_LEVEL[day % 7] * HOUR_SHAPE.get(hour, 0.0)
                factor = planted.get((sensor, day, hour), 1.0)
                rows.append(
                    {
                        "sensor": sensor,
                        "local_hour": datetime.combine(MONDAY, datetime.min.time())
                        + timedelta(days=day, hours=hour),
                        "visitors": round(level * (1 + 0.01 * noise(sensor, day, hour)) * factor),
                    }
                )
    return rows


@pytest.fixture
def lh(make_project) -> Lakehouse:
    return make_project()


@pytest.fixture(scope="module")
def shared_lh(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lakehouse]:
    """A lakehouse for a module's tests that write fixture tables once and only detect."""
    folder = tmp_path_factory.mktemp("anomalies")
    settings = {"name": "test", "engine": {"memory_limit": "1GB", "threads": 2}}
    (folder / "lakebox.yaml").write_text(yaml.safe_dump(settings))
    with lakebox.open(folder) as opened:
        yield opened
