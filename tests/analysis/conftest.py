"""Rows written into a real lakehouse, and the sensor readings the model lifecycle tests use."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta

import pyarrow as pa

from lakebox import tables
from lakebox.catalog import TableRef
from lakebox.lakehouse import Lakehouse
from tests.conftest import ProjectFactory

START = datetime(2026, 3, 2)  # a Monday
READINGS = TableRef("exploitation", "readings")
SQL = "SELECT ts, sensor, x, y FROM exploitation.readings WHERE sensor = 'a'"
_BATCHES = itertools.count()


def commit_rows(
    lh: Lakehouse, ref: TableRef, rows: list[dict[str, object]], batch: str, replace: bool = False
) -> int:
    """Commit `rows` to `ref` as batch `batch` (with `replace`, as the table's whole content);
    return the table's new snapshot id."""
    tables.commit_rows(lh, ref, pa.Table.from_pylist(rows), batch, {}, replace=replace)
    return lh.catalog.summary(ref)["snapshot_id"]


def write_table(lh: Lakehouse, table: str, rows: list[dict[str, object]]) -> None:
    """Write `rows` as the whole content of Iceberg table `zone.name`."""
    zone, _, name = table.partition(".")
    commit_rows(lh, TableRef(zone, name), rows, f"fixture-{name}-{len(rows)}", replace=True)


def add_rows(lh: Lakehouse, rows: list[dict[str, object]], ref: TableRef = READINGS) -> int:
    """Append `rows` to `ref` in one commit; return the table's new snapshot id."""
    return commit_rows(lh, ref, rows, f"fixture-{next(_BATCHES)}")


def readings(hours: range, sensors: tuple[str, ...] = ("a", "b")) -> list[dict[str, object]]:
    """Return hourly rows per sensor with y = 3x + 2 exactly (x cycles through 0 … 16)."""
    return [
        {
            "ts": START + timedelta(hours=hour),
            "sensor": sensor,
            "x": float(hour % 17),
            "y": 3.0 * (hour % 17) + 2,
        }
        for hour in hours
        for sensor in sensors
    ]


def project_with_readings(make_project: ProjectFactory, hours: int) -> Lakehouse:
    """Return a fresh project whose `exploitation.readings` holds `hours` hours of readings."""
    lh = make_project()
    add_rows(lh, readings(range(hours)))
    return lh
