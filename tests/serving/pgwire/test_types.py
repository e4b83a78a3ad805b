"""Arrow columns in PostgreSQL's text and binary formats."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

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


def test_text_cells():
    def text(values, kind):
        return types.text_cells(pa.array(values, kind)).to_pylist()

    moment = dt.datetime(2024, 1, 2, 3, 4, 5, 600)
    assert text([True, None], pa.bool_()) == [b"t", None]
    assert text([1.5, float("inf"), float("nan")], pa.float64()) == [b"1.5", b"Infinity", b"NaN"]
    assert text([moment], pa.timestamp("us", tz="UTC")) == [b"2024-01-02 03:04:05.000600+00"]
    assert text([moment], pa.timestamp("ns")) == [b"2024-01-02 03:04:05.000600"]
    assert text([b"\x01"], pa.binary()) == [b"\\x01"]
    assert text([[1, None], []], pa.list_(pa.int64())) == [b"{1,NULL}", b"{}"]
    assert text([["a b", 'q"', "NULL"]], pa.list_(pa.string())) == [b'{"a b","q\\"","NULL"}']
    assert text([[[1]]], pa.list_(pa.list_(pa.int64()))) == [b"[[1]]"]
    assert text([[("k", 1)]], pa.map_(pa.string(), pa.int64())) == [b'{"k":1}']


@pytest.mark.parametrize(
    "value", ["0", "-0.001", "123.4500", "10000", "-98765.4321", "0.00010", "1e5", "NaN"]
)
def test_binary_numeric_round_trips(value):
    number = Decimal(value)
    back = types.decode_binary_parameter(types.NUMERIC, types.numeric_binary(number))
    assert str(back) == str(number) if number.is_nan() else back == number


def test_data_rows_frame_each_row():
    cells = [types.text_cells(pa.array([1, None])), types.text_cells(pa.array(["a", "bc"]))]
    rows = types.data_rows(cells)
    assert rows == (
        b"D\x00\x00\x00\x10\x00\x02\x00\x00\x00\x011\x00\x00\x00\x01a"
        b"D\x00\x00\x00\x10\x00\x02\xff\xff\xff\xff\x00\x00\x00\x02bc"
    )
