"""The manifest of a catalog an older lakebox made: opening it adds the columns it lacks
(`read_with`), its rows read on without them, and `landing.manifest` shows them as null."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from lakebox.catalog.manifest import Manifest
from lakebox.catalog.manifest_arrow import read_sqlite, rows_to_arrow

OLD_MANIFEST = """
CREATE TABLE lakebox_manifest (
    batch_id VARCHAR(64) PRIMARY KEY, source VARCHAR(200) NOT NULL,
    original_path TEXT NOT NULL, landed_path TEXT, sha256 VARCHAR(64) NOT NULL,
    bytes BIGINT NOT NULL, modified_at DATETIME, received_at DATETIME NOT NULL,
    status VARCHAR(20) NOT NULL, rows_read BIGINT, rows_formatted BIGINT,
    rows_quarantined BIGINT, rows_duplicate BIGINT, error TEXT, formatted_at DATETIME
)
"""
ROW = (
    "INSERT INTO lakebox_manifest (batch_id, source, original_path, sha256, bytes, received_at, "
    "status) VALUES ('b1', 'sales', 'in/1.csv', 'ab', 3, '2026-01-02 03:04:05.000000', 'formatted')"
)


def _old_catalog(path) -> sa.Engine:
    engine = sa.create_engine(f"sqlite:///{path}")
    with engine.begin() as connection:
        connection.execute(sa.text(OLD_MANIFEST))
        connection.execute(sa.text(ROW))
    return engine


def test_an_old_manifest_lacks_read_with_until_opened(tmp_path) -> None:
    path = tmp_path / "catalog.db"
    engine = _old_catalog(path)

    [before] = read_sqlite(path)  # read without SQLAlchemy, as `lakebox query` does
    assert "read_with" not in before
    assert rows_to_arrow([before]).column("read_with").to_pylist() == [None]

    manifest = Manifest(engine)
    [entry] = manifest.entries()
    assert (entry.batch_id, entry.read_with, entry.received_at.tzinfo) == ("b1", None, UTC)


def test_read_with_is_kept_once_added(tmp_path) -> None:
    manifest = Manifest(_old_catalog(tmp_path / "catalog.db"))
    manifest.update("b1", read_with='{"format": {"value": "csv", "origin": "detected"}}')

    assert manifest.get("b1").read_with == '{"format": {"value": "csv", "origin": "detected"}}'
    assert manifest.of_batches(["b1", "b2"]).keys() == {"b1"}
    assert manifest.entries()[0].received_at == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
