"""A lakehouse whose table got many small appends, for the maintenance tests."""

from __future__ import annotations

import pyarrow as pa
import pytest

from lakebox.catalog import TableRef
from lakebox.config.maintenance import MaintenanceConfig
from lakebox.tables import commit_rows

REF = TableRef("formatted", "events")
HOUR = 3600.0


def append(lh, number: int, **extra: pa.Array) -> None:
    """Commit batch `number`: three rows, ids `number * 10 + 0..2`."""
    ids = [number * 10 + i for i in range(3)]
    columns = {
        "id": pa.array(ids, pa.int64()),
        "name": pa.array([f"n{i}" if i % 4 else None for i in ids]),
        **extra,
        "_batch_id": pa.array([f"b{number:04d}"] * 3),
    }
    commit_rows(lh, REF, pa.table(columns), f"b{number:04d}", {"lakebox.note": str(number)})


def config(**settings: object) -> MaintenanceConfig:
    """Maintenance that compacts from 3 small files, keeps 2 snapshots and waits an hour."""
    defaults = {"min_input_files": 3, "min_snapshots": 2, "retention": "1h", "orphan_age": "1h"}
    return MaintenanceConfig(**{**defaults, **settings})


def rows(lh, table: str = "formatted.events") -> list[dict]:
    lh.refresh()
    return lh.query(f"SELECT * FROM {table} ORDER BY ALL").to_pylist()


@pytest.fixture
def appended(make_project):
    """A project whose `formatted.events` got 12 small appends."""
    lh = make_project()
    for number in range(12):
        append(lh, number)
    return lh
