"""Arrow types shown as PostgreSQL types."""

from __future__ import annotations

import pyarrow as pa
import pytest

from lakebox.serving.pgwire import types


@pytest.mark.parametrize(
    ("arrow", "oid"),
    [
        (pa.int16(), types.INT2),
        (pa.int32(), types.INT4),
        (pa.int64(), types.INT8),
        (pa.float64(), types.FLOAT8),
        (pa.decimal128(12, 2), types.NUMERIC),
        (pa.date32(), types.DATE),
        (pa.timestamp("us"), types.TIMESTAMP),
        (pa.timestamp("us", tz="UTC"), types.TIMESTAMPTZ),
        (pa.string(), types.TEXT),
        (pa.binary(), types.BYTEA),
        (pa.list_(pa.int32()), 1007),
        (pa.list_(pa.list_(pa.int32())), types.TEXT),
    ],
)
def test_arrow_types_map_to_postgres_oids(arrow, oid):
    assert types.pg_type(arrow).oid == oid


def test_numeric_typmod_carries_precision_and_scale():
    assert types.pg_type(pa.decimal128(12, 2)).modifier == ((12 << 16) | 2) + 4
